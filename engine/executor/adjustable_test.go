package executor

import (
	"context"
	"testing"
	"testing/synctest"
	"time"

	"github.com/flakebench/fbctl/engine/histogram"
)

// SetTarget moves the sessions of a running Adjustable, clamped to its
// bounds, without restarting it: the history records each count, the
// target sees that many sessions open, and every session is closed at the
// end.
func TestAdjustableFollowsTargets(t *testing.T) {
	target := &capTarget{latency: flat(0)}
	synctest.Test(t, func(t *testing.T) {
		rec := NewRecorder(histogram.NewRegistry(), readQuery, RecorderOptions{})
		env := Env{Target: target, Ops: oneQueryOps, Recorder: rec.Phase("q", false)}
		a := &Adjustable{Sessions: 2, MinSessions: 1, MaxSessions: 8, Duration: 4 * time.Second}
		if err := a.Open(context.Background(), env); err != nil {
			t.Fatal(err)
		}
		var open []int64
		changed := make(chan struct{})
		go func() {
			defer close(changed)
			for _, n := range []int{6, 100, 0} {
				time.Sleep(time.Second)
				a.SetTarget(n)
				time.Sleep(10 * time.Millisecond)
				open = append(open, target.open.Load())
			}
		}()
		res, err := a.Run(context.Background(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		<-changed
		var got []int
		for _, c := range res.Targets {
			got = append(got, c.Sessions)
		}
		if len(got) != 4 || got[0] != 2 || got[1] != 6 || got[2] != 8 || got[3] != 1 {
			t.Fatalf("targets %v, want [2 6 8 1]", got)
		}
		if len(open) != 3 || open[0] != 6 || open[1] != 8 || open[2] != 1 {
			t.Fatalf("sessions open after each change %v, want [6 8 1]", open)
		}
		if res.PeakSessions != 8 || res.Counts.Ops == 0 || target.open.Load() != 0 {
			t.Fatalf("peak %d, ops %d, left open %d", res.PeakSessions, res.Counts.Ops, target.open.Load())
		}
	})
}
