package stream

import (
	"math"
	"testing"
)

func TestFractionMatchesExecutionIDHash(t *testing.T) {
	for _, seq := range []int64{0, 1, 9, 10, 12345, -7, math.MaxInt64} {
		id := ExecutionID("run42", "worker-3", seq)
		if got, want := fraction("run42", "worker-3", seq), Fraction(id); got != want {
			t.Fatalf("seq %d: fraction %v != Fraction(%q) %v", seq, got, id, want)
		}
	}
	if ExecutionID("r", "w", 12) != "r-w-12" {
		t.Fatalf("ExecutionID = %q", ExecutionID("r", "w", 12))
	}
}

func TestFractionIsUniform(t *testing.T) {
	const n = 200000
	var buckets [10]int
	for seq := int64(1); seq <= n; seq++ {
		f := fraction("0123456789abcdef0123456789abcdef", "worker-1", seq)
		if f < 0 || f >= 1 {
			t.Fatalf("fraction %v out of [0,1)", f)
		}
		buckets[int(f*10)]++
	}
	// Each bucket ~ Binomial(n, 0.1): sd ≈ 134; allow 6 sd.
	for i, c := range buckets {
		if math.Abs(float64(c)-n/10) > 6*math.Sqrt(n*0.1*0.9) {
			t.Fatalf("bucket %d has %d of %d", i, c, n)
		}
	}
}

func TestSamplerKeepAndWeight(t *testing.T) {
	s := Sampler{Rate: 0.3}
	kept := 0
	for seq := int64(1); seq <= 1000; seq++ {
		k := s.Keep("r", "w", seq)
		if k != (Fraction(ExecutionID("r", "w", seq)) < 0.3) {
			t.Fatalf("Keep(%d) disagrees with Fraction", seq)
		}
		if k != s.Keep("r", "w", seq) {
			t.Fatal("Keep is not deterministic")
		}
		if k {
			kept++
		}
	}
	if kept < 200 || kept > 400 {
		t.Fatalf("kept %d of 1000 at rate 0.3", kept)
	}
	if w := s.Weight(); math.Abs(w-1/0.3) > 1e-12 {
		t.Fatalf("Weight = %v", w)
	}
	for _, all := range []Sampler{{}, {Rate: 1}} {
		if !all.Keep("r", "w", 5) || all.Weight() != 1 {
			t.Fatalf("%+v must keep all with weight 1", all)
		}
	}
	for _, bad := range []float64{-0.1, 1.5, math.NaN()} {
		if (Sampler{Rate: bad}).Validate() == nil {
			t.Fatalf("rate %v accepted", bad)
		}
	}
}

func TestAutoRate(t *testing.T) {
	for _, c := range []struct{ max, obs, want float64 }{
		{1000, 4000, 0.25},
		{1000, 500, 1},
		{1000, 1000, 1},
		{1000, 0, 1},
		{0, 4000, 1},
	} {
		if got := AutoRate(c.max, c.obs); got != c.want {
			t.Errorf("AutoRate(%v, %v) = %v, want %v", c.max, c.obs, got, c.want)
		}
	}
}
