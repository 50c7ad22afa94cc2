package load

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// Model is a load model.
type Model string

// Load models.
const (
	// Closed: Spec.Sessions sessions, each sending its next operation as
	// soon as the previous one (plus think time) ended.
	Closed Model = "closed"
	// Open: operations start on a schedule at Spec.Rate ops/s whatever the
	// latency, on Spec.Sessions pre-opened sessions that grow on demand up
	// to Spec.MaxSessions; an arrival that finds no free session and no
	// room to open one is dropped.
	Open Model = "open"
	// Ramp: the open model with a rate moving linearly (Spec.Ramp).
	Ramp Model = "ramp"
	// FindMax: the closed model stepping its sessions (Spec.FindMax).
	FindMax Model = "find_max"
	// QPSTarget: the closed model whose session count the orchestrator
	// moves between Spec.MinSessions and Spec.MaxSessions (starting at
	// Spec.Sessions) toward Spec.Rate, the worker's share of the target.
	QPSTarget Model = "qps_target"
)

// Valid reports whether m is one of the load models.
func (m Model) Valid() bool {
	switch m {
	case Closed, Open, Ramp, FindMax, QPSTarget:
		return true
	}
	return false
}

// IsOpen reports whether m schedules arrivals (open and ramp).
func (m Model) IsOpen() bool { return m == Open || m == Ramp }

// Spec is one worker's share of one load node, fully resolved: an executor
// needs nothing else to run it.
type Spec struct {
	Model Model `json:"model"`
	// Duration is how long the worker issues operations, from the node's
	// common start instant (for find_max: steps × step duration, the
	// longest it can take).
	Duration Duration `json:"duration_ms"`
	// Sessions is the number of sessions opened before the start: the
	// concurrency of a closed phase, the pre-opened sessions of an open or
	// ramp phase, the first step of find_max.
	Sessions int64 `json:"sessions"`
	// MaxSessions caps the sessions of an open or ramp phase, which open
	// more than Sessions only when arrivals find every session busy; for
	// find_max it is the concurrency ceiling. 0 for closed phases.
	MaxSessions int64 `json:"max_sessions,omitempty"`
	// MinSessions is the floor of a qps_target phase's sessions.
	MinSessions int64 `json:"min_sessions,omitempty"`
	// Rate is the worker's arrivals per second of an open phase; for a
	// ramp its peak (see Ramp).
	Rate    float64      `json:"rate,omitempty"`
	Ramp    *RampSpec    `json:"ramp,omitempty"`
	FindMax *FindMaxSpec `json:"find_max,omitempty"`
	// ThinkTime is the pause after each operation of a session.
	ThinkTime Duration `json:"think_time_ms"`
}

// RampSpec is the worker's rate moving linearly from From to To (ops/s)
// over Over, then holding To until the spec's Duration ends.
type RampSpec struct {
	From float64  `json:"from"`
	To   float64  `json:"to"`
	Over Duration `json:"over_ms"`
}

// FindMaxSpec is the worker's step load: Start, Start+Step, … sessions up
// to Max, each step lasting StepDuration, stopping at the first step that
// breaks a limit (a zero limit is off).
type FindMaxSpec struct {
	Start          int64    `json:"start"`
	Step           int64    `json:"step"`
	Max            int64    `json:"max"`
	StepDuration   Duration `json:"step_duration_ms"`
	MaxErrorRate   float64  `json:"max_error_rate"`
	MaxP95Increase float64  `json:"max_p95_increase"`
	MaxQPSDrop     float64  `json:"max_qps_drop"`
}

// Check reports a spec an executor cannot run. A plan that validated never
// holds one; Check guards plans read back from a store or file.
func (s Spec) Check() error {
	bad := func(format string, args ...any) error { return fmt.Errorf("load: "+format, args...) }
	if s.ThinkTime < 0 {
		return bad("think time %s is negative", s.ThinkTime)
	}
	switch s.Model {
	case Closed:
		if s.Sessions < 1 || s.Duration <= 0 {
			return bad("a closed load needs at least 1 session and a duration (got %d, %s)", s.Sessions, s.Duration)
		}
	case Open, Ramp:
		if s.Sessions < 1 || s.MaxSessions < s.Sessions || s.Duration <= 0 {
			return bad("an open load needs 1 ≤ sessions ≤ max sessions and a duration (got %d, %d, %s)", s.Sessions, s.MaxSessions, s.Duration)
		}
		if s.Model == Open && !(s.Rate > 0 && !math.IsInf(s.Rate, 0)) {
			return bad("an open load needs a rate above 0 (got %v)", s.Rate)
		}
		if s.Model == Ramp {
			r := s.Ramp
			if r == nil || r.From < 0 || r.To < 0 || (r.From == 0 && r.To == 0) || r.Over <= 0 || r.Over > s.Duration {
				return bad("a ramp needs rates ≥ 0, not both 0, and 0 < over ≤ duration")
			}
		}
	case QPSTarget:
		if s.MinSessions < 1 || s.Sessions < s.MinSessions || s.MaxSessions < s.Sessions || s.Duration <= 0 || !(s.Rate > 0) {
			return bad("a qps_target load needs 1 ≤ min sessions ≤ sessions ≤ max sessions, a rate above 0 and a duration")
		}
	case FindMax:
		f := s.FindMax
		if f == nil || f.Start < 1 || f.Step < 1 || f.Max < f.Start || f.StepDuration <= 0 {
			return bad("find_max needs 1 ≤ start ≤ max, step ≥ 1 and a step duration")
		}
	default:
		return bad("unknown model %q", s.Model)
	}
	return nil
}

// Duration is a time.Duration that JSON encodes as a number of
// milliseconds (whole unless it has a sub-millisecond part), the unit of
// every *_ms field of the plan.
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d like time.Duration.
func (d Duration) String() string { return time.Duration(d).String() }

// Millis returns d in milliseconds.
func (d Duration) Millis() float64 { return float64(d) / float64(time.Millisecond) }

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, d.Millis(), 'f', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > float64(math.MaxInt64)/float64(time.Millisecond) {
		return fmt.Errorf("load: %s is not a duration in milliseconds", b)
	}
	*d = Duration(math.Round(v * float64(time.Millisecond)))
	return nil
}
