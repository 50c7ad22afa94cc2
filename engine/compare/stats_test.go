package compare

import (
	"math"
	"testing"
)

func TestMannWhitneyP(t *testing.T) {
	// Fully separated samples of 4 and 4: the exact two-sided p is 2/70.
	p := MannWhitneyP([]float64{1, 2, 3, 4}, []float64{5, 6, 7, 8})
	if math.Abs(p-2.0/70) > 1e-12 {
		t.Fatalf("separated 4+4: p = %.6f, want 2/70 = %.6f", p, 2.0/70)
	}
	// U = 1 of 3+3 (one inversion): P(U <= 1) = 2/20, two-sided 0.2.
	if p := MannWhitneyP([]float64{1, 2, 4}, []float64{3, 5, 6}); math.Abs(p-0.2) > 1e-12 {
		t.Fatalf("3+3 with U = 1: p = %v, want 0.2", p)
	}
	// With a tie the normal approximation is used: separated 4+4 with a
	// tie inside one side gives about 0.03.
	if p := MannWhitneyP([]float64{1, 2, 2, 4}, []float64{5, 6, 7, 8}); math.Abs(p-0.03) > 0.005 {
		t.Fatalf("with ties: p = %.4f, want ≈ 0.03", p)
	}
	// Larger samples (above exactMax) use the normal approximation.
	var a, b []float64
	for i := range 40 {
		a = append(a, float64(2*i))
		b = append(b, float64(2*i+1)+20)
	}
	if p := MannWhitneyP(a, b); p <= 0 || p > 0.05 {
		t.Fatalf("40+40 shifted: p = %v", p)
	}
	// Three per side can never reach α = 0.05 (why MinSamples is 4).
	if p := MannWhitneyP([]float64{1, 2, 3}, []float64{4, 5, 6}); p < Alpha {
		t.Fatalf("3+3: p = %.4f below α", p)
	}
	// Interleaved samples are no evidence of a shift.
	if p := MannWhitneyP([]float64{1, 3, 5, 7, 9}, []float64{2, 4, 6, 8, 10}); p < 0.5 {
		t.Fatalf("interleaved: p = %.4f, want large", p)
	}
	// All values tied: no evidence at all.
	if p := MannWhitneyP([]float64{2, 2, 2, 2}, []float64{2, 2, 2, 2}); p != 1 {
		t.Fatalf("all tied: p = %v, want 1", p)
	}
	if p := MannWhitneyP(nil, []float64{1}); p != 1 {
		t.Fatalf("empty side: p = %v", p)
	}
}

func TestBootstrapCIIsRepeatableAndCoversTheShift(t *testing.T) {
	base := []float64{100, 102, 98, 101, 99, 100, 103, 97}
	cand := []float64{150, 153, 147, 151, 149, 150, 154, 146}
	lo, hi, ok := BootstrapCI(base, cand, 7)
	if !ok || lo > 0.5 || hi < 0.5 || lo <= 0.4 || hi >= 0.6 {
		t.Fatalf("CI [%v, %v] ok=%v should hold +50%% and stay near it", lo, hi, ok)
	}
	lo2, hi2, _ := BootstrapCI(base, cand, 7)
	if lo2 != lo || hi2 != hi {
		t.Fatal("the same seed gave another interval")
	}
	if _, _, ok := BootstrapCI([]float64{0, 0}, []float64{1, 1}, 1); ok {
		t.Fatal("a zero baseline has no relative change")
	}
}

func TestRelChangeAndMedian(t *testing.T) {
	if RelChange(0, 0) != 0 || !math.IsInf(RelChange(0, 1), 1) || RelChange(4, 5) != 0.25 {
		t.Fatal("RelChange")
	}
	if Median([]float64{3, 1, 2}) != 2 || Median([]float64{4, 1, 2, 3}) != 2.5 || Median(nil) != 0 {
		t.Fatal("Median")
	}
}
