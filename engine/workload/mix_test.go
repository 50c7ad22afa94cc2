package workload

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func picks(m *Mix, n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = m.Next()
	}
	return out
}

func TestMixSequence(t *testing.T) {
	m, err := NewMix([]int64{5, 1, 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The smooth sequence for 5,1,1 is a a b a c a a, repeated.
	want := []int{0, 0, 1, 0, 2, 0, 0, 0, 0, 1, 0, 2, 0, 0}
	if diff := cmp.Diff(want, picks(m, 14)); diff != "" {
		t.Fatalf("sequence (-want +got):\n%s", diff)
	}
}

func TestMixOffsetRotatesTheCycle(t *testing.T) {
	base, _ := NewMix([]int64{5, 1, 1}, 0)
	cycle := picks(base, 7)
	for off := range 10 {
		m, err := NewMix([]int64{5, 1, 1}, off)
		if err != nil {
			t.Fatal(err)
		}
		got := picks(m, 7)
		for i := range got {
			if got[i] != cycle[(i+off)%7] {
				t.Fatalf("offset %d: got %v, want cycle %v rotated", off, got, cycle)
			}
		}
	}
}

func TestMixProportionsExactPerCycle(t *testing.T) {
	for _, weights := range [][]int64{{5, 1, 1}, {3, 0, 7, 2}, {1}, {100, 1}} {
		m, err := NewMix(weights, 3)
		if err != nil {
			t.Fatal(err)
		}
		for cycle := range 50 {
			counts := make([]int64, len(weights))
			for range m.Len() {
				counts[m.Next()]++
			}
			if diff := cmp.Diff(weights, counts); diff != "" {
				t.Fatalf("weights %v, cycle %d: counts differ (-want +got):\n%s", weights, cycle, diff)
			}
		}
	}
}

func TestMixRejectsBadWeights(t *testing.T) {
	if _, err := NewMix([]int64{0, 0}, 0); err == nil {
		t.Fatal("all-zero weights accepted")
	}
	if _, err := NewMix([]int64{1, -1}, 0); err == nil {
		t.Fatal("negative weight accepted")
	}
}
