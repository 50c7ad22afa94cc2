package executor

import (
	"testing"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/google/go-cmp/cmp"
)

func TestNewFromPhaseSplitsAcrossWorkers(t *testing.T) {
	think := 5 * time.Millisecond
	override := time.Duration(0)
	for _, tc := range []struct {
		name  string
		phase dsl.Phase
		share Share
		want  Executor
	}{
		{"closed remainder to low ids", dsl.Phase{Model: dsl.ModelClosed, Connections: 10, Duration: time.Minute}, Share{Worker: 1, Workers: 3},
			&Closed{Connections: 3, Duration: time.Minute, ThinkTime: think}},
		{"closed think override", dsl.Phase{Model: dsl.ModelClosed, Connections: 10, Duration: time.Minute, ThinkTime: &override}, Share{Worker: 0, Workers: 3},
			&Closed{Connections: 4, Duration: time.Minute}},
		{"open share", dsl.Phase{Model: dsl.ModelOpen, Rate: 1000, MaxConnections: 40, Duration: time.Minute}, Share{Worker: 0, Workers: 4},
			spin(NewConstant(250, 10, time.Minute))},
		{"open derived max connections", dsl.Phase{Model: dsl.ModelOpen, Rate: 300, Duration: time.Minute}, Share{Workers: 1},
			spin(NewConstant(300, 30, time.Minute))},
		{"ramp", dsl.Phase{Model: dsl.ModelRamp, Ramp: &dsl.Ramp{From: 100, To: 500, Over: time.Minute}, Duration: 2 * time.Minute, MaxConnections: 8}, Share{Workers: 2},
			spin(NewRamp(50, 250, time.Minute, 2*time.Minute, 4))},
		{"find max", dsl.Phase{Model: dsl.ModelFindMax, FindMax: &dsl.FindMax{Start: 4, Step: 2, Max: 40, StepDuration: time.Second, MaxErrorRate: 0.01}}, Share{Workers: 2},
			&FindMax{Start: 2, Step: 1, Max: 20, StepDuration: time.Second, MaxErrorRate: 0.01, ThinkTime: think}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := New(&tc.phase, think, tc.share)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Fatalf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := New(&dsl.Phase{Model: dsl.ModelClosed, Connections: 1}, 0, Share{Worker: 1, Workers: 2}); err == nil {
		t.Fatal("a worker with no connections was accepted")
	}
	if _, err := New(&dsl.Phase{Model: "bogus"}, 0, Share{}); err == nil {
		t.Fatal("unknown model accepted")
	}
}

func spin(o *Open) *Open {
	o.SpinWindow = DefaultSpinWindow
	return o
}
