package engine

import (
	"time"

	"github.com/flakebench/fbctl/engine/load"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/flakebench/fbctl/dsl"
)

func TestSplitConnectionsExact(t *testing.T) {
	if d := cmp.Diff([]int64{4, 3, 3}, SplitConnections(10, 3)); d != "" {
		t.Fatal(d)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		total, workers := r.Int64N(100000), 1+r.Int64N(64)
		parts := SplitConnections(total, workers)
		var sum int64
		for i, p := range parts {
			sum += p
			if i > 0 && p > parts[i-1] {
				t.Fatalf("remainder not on lowest ids: %v", parts)
			}
			if parts[0]-p > 1 {
				t.Fatalf("uneven split: %v", parts)
			}
		}
		if sum != total {
			t.Fatalf("split(%d, %d) sums to %d", total, workers, sum)
		}
	}
}

func TestSplitRateExact(t *testing.T) {
	if d := cmp.Diff([]float64{3.5, 3, 3}, SplitRate(9.5, 3)); d != "" {
		t.Fatal(d)
	}
	if d := cmp.Diff([]float64{2.25, 2, 1, 1}, SplitRate(6.25, 4)); d != "" {
		t.Fatal(d)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 5000 {
		rate := r.Float64() * float64(r.Int64N(1_000_000)+1)
		workers := 1 + r.Int64N(64)
		parts := SplitRate(rate, workers)
		// Summed in both directions: exact either way.
		var fwd, rev float64
		for i := range parts {
			fwd += parts[i]
			rev += parts[len(parts)-1-i]
		}
		if fwd != rate || rev != rate {
			t.Fatalf("SplitRate(%v, %d) = %v sums to %v / %v", rate, workers, parts, fwd, rev)
		}
		for i := 1; i < len(parts); i++ {
			if parts[i] != float64(int64(parts[i])) {
				t.Fatalf("share %d is not whole: %v", i, parts)
			}
		}
	}
}

func TestResolveWorkers(t *testing.T) {
	tests := []struct {
		name    string
		workers int64
		sc      *dsl.Scaling
		budget  int64
		want    int64
		err     string
	}{
		{"default one", 0, nil, 100, 1, ""},
		{"explicit", 4, nil, 100, 4, ""},
		{"auto ceil", 0, &dsl.Scaling{Mode: dsl.ScaleAuto, MaxConnectionsPerWorker: 100}, 250, 3, ""},
		{"auto default per worker", 0, &dsl.Scaling{Mode: dsl.ScaleAuto}, 401, 3, ""},
		{"auto min", 0, &dsl.Scaling{Mode: dsl.ScaleAuto, MinWorkers: 5, MaxConnectionsPerWorker: 100}, 250, 5, ""},
		{"auto clamped to max", 0, &dsl.Scaling{Mode: dsl.ScaleAuto, MaxWorkers: 2, MaxConnectionsPerWorker: 100}, 1000, 2, ""},
		{"bounded within", 0, &dsl.Scaling{Mode: dsl.ScaleBounded, MaxWorkers: 4, MaxConnectionsPerWorker: 100}, 400, 4, ""},
		{"bounded over max", 0, &dsl.Scaling{Mode: dsl.ScaleBounded, MaxWorkers: 4, MaxConnectionsPerWorker: 100}, 401, 0,
			"401 connections need 5 workers at 100 connections per worker, more than max_workers = 4"},
		{"fixed", 0, &dsl.Scaling{Mode: dsl.ScaleFixed, MinWorkers: 6}, 10, 6, ""},
		{"min over max", 0, &dsl.Scaling{Mode: dsl.ScaleAuto, MinWorkers: 6, MaxWorkers: 2}, 10, 0, "greater than max_workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveWorkers(tt.workers, tt.sc, tt.budget)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got.Workers != tt.want {
				t.Fatalf("got %d, %v; want %d", got.Workers, err, tt.want)
			}
		})
	}
}

func TestPhaseAssignments(t *testing.T) {
	sec := load.Duration(time.Second)
	open := &PhasePlan{Model: load.Open, Duration: sec, Rate: 1000.5, Sessions: 5, Connections: 10, Workers: 3}
	got := phaseAssignments(open)
	spec := func(sessions, maxSess int64, rate float64) load.Spec {
		return load.Spec{Model: load.Open, Duration: sec, Sessions: sessions, MaxSessions: maxSess, Rate: rate}
	}
	want := []WorkerAssignment{
		{WorkerID: "worker-0", WorkerGroupID: 0, Load: spec(2, 4, 334.5)},
		{WorkerID: "worker-1", WorkerGroupID: 1, Load: spec(2, 3, 333)},
		{WorkerID: "worker-2", WorkerGroupID: 2, Load: spec(1, 3, 333)},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatal(d)
	}
	for _, a := range got {
		if err := a.Load.Check(); err != nil {
			t.Fatalf("%s: %v", a.WorkerID, err)
		}
	}

	ramp := &PhasePlan{Model: load.Ramp, Duration: 2 * sec, Rate: 400, Sessions: 2, Connections: 4, Workers: 2,
		Ramp: &RampPlan{From: 100, To: 400, Over: sec}}
	var from, to float64
	for _, a := range phaseAssignments(ramp) {
		from += a.Load.Ramp.From
		to += a.Load.Ramp.To
		if a.Load.Rate != a.Load.Ramp.To {
			t.Fatalf("%s: peak %v, ramp to %v", a.WorkerID, a.Load.Rate, a.Load.Ramp.To)
		}
	}
	if from != 100 || to != 400 {
		t.Fatalf("ramp shares sum to %v → %v, want 100 → 400", from, to)
	}

	fm := &PhasePlan{Model: load.FindMax, Duration: 10 * sec, Workers: 3, Connections: 30,
		FindMax: &FindMaxPlan{Start: 2, Step: 4, Max: 30, StepDuration: sec}}
	for i, a := range phaseAssignments(fm) {
		f := a.Load.FindMax
		if f.Start < 1 || f.Step < 1 || f.Max < f.Start || a.Load.Sessions != f.Start {
			t.Fatalf("worker %d: %+v", i, f)
		}
	}
	closed := phaseAssignments(&PhasePlan{Model: load.Closed, Duration: sec, Sessions: 3, Connections: 3, Workers: 1})
	if l := closed[0].Load; l.Rate != 0 || l.MaxSessions != 0 || l.Sessions != 3 {
		t.Fatalf("closed load %+v", l)
	}
}
