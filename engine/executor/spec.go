package executor

import (
	"github.com/flakebench/fbctl/engine/load"
)

// FromSpec builds the executor of one worker's load, exactly as the plan
// resolved it (engine.WorkerAssignment.Load): nothing is split or derived
// here.
func FromSpec(s load.Spec) (Executor, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	think := s.ThinkTime.Std()
	switch s.Model {
	case load.Closed:
		return &Closed{Sessions: int(s.Sessions), Duration: s.Duration.Std(), ThinkTime: think, SpinWindow: DefaultSpinWindow}, nil
	case load.Open:
		o := NewConstant(s.Rate, int(s.Sessions), int(s.MaxSessions), s.Duration.Std())
		o.SpinWindow = DefaultSpinWindow
		return o, nil
	case load.Ramp:
		r := s.Ramp
		o := NewRamp(r.From, r.To, r.Over.Std(), s.Duration.Std(), int(s.Sessions), int(s.MaxSessions))
		o.SpinWindow = DefaultSpinWindow
		return o, nil
	case load.QPSTarget:
		return &Adjustable{Sessions: int(s.Sessions), MinSessions: int(s.MinSessions), MaxSessions: int(s.MaxSessions),
			Duration: s.Duration.Std(), ThinkTime: think, SpinWindow: DefaultSpinWindow}, nil
	default: // load.FindMax; Check rejected anything else
		f := s.FindMax
		return &FindMax{Start: int(f.Start), Step: int(f.Step), Max: int(f.Max), StepDuration: f.StepDuration.Std(),
			MaxErrorRate: f.MaxErrorRate, MaxP95Increase: f.MaxP95Increase, MaxQPSDrop: f.MaxQPSDrop,
			ThinkTime: think, SpinWindow: DefaultSpinWindow}, nil
	}
}
