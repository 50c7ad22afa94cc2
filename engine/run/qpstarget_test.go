package run

import "testing"

func TestNextSessions(t *testing.T) {
	for _, c := range []struct {
		s            int64
		rate, target float64
		want         int64
	}{
		{4, 300, 300, 4},   // on target
		{4, 290, 300, 4},   // inside the 5% deadband
		{2, 100, 300, 4},   // ×3 wanted, ×2 allowed
		{4, 245, 300, 5},   // round(4.9)
		{4, 322, 300, 4},   // above by less than half a session: hold
		{4, 370, 300, 3},   // round(3.24)
		{8, 600, 300, 4},   // halve
		{8, 2000, 300, 4},  // at most ÷2
		{3, 0, 300, 6},     // nothing completed: double
		{12, 100, 300, 16}, // clamped to max
		{2, 900, 300, 2},   // clamped to min
	} {
		if got := NextSessions(c.s, c.rate, c.target, 2, 16); got != c.want {
			t.Errorf("NextSessions(%d, %v, %v) = %d, want %d", c.s, c.rate, c.target, got, c.want)
		}
	}
}
