package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
)

// RunStatus is RUN_STATUS.STATUS.
type RunStatus string

const (
	RunPrepared  RunStatus = "PREPARED"
	RunStarting  RunStatus = "STARTING"
	RunRunning   RunStatus = "RUNNING"
	RunStopping  RunStatus = "STOPPING"
	RunCompleted RunStatus = "COMPLETED"
	RunFailed    RunStatus = "FAILED"
	RunCancelled RunStatus = "CANCELLED"
)

// Terminal reports whether no transition leaves s.
func (s RunStatus) Terminal() bool {
	return s == RunCompleted || s == RunFailed || s == RunCancelled
}

// allowedFrom maps a target status to the statuses that may move to it.
var allowedFrom = map[RunStatus][]RunStatus{
	RunStarting:  {RunPrepared},
	RunRunning:   {RunStarting},
	RunStopping:  {RunStarting, RunRunning},
	RunCompleted: {RunRunning, RunStopping},
	RunFailed:    {RunPrepared, RunStarting, RunRunning, RunStopping},
	RunCancelled: {RunPrepared, RunStarting, RunRunning, RunStopping},
}

// PhaseKind says whether the current phase is measured.
type PhaseKind string

const (
	PhaseWarmup      PhaseKind = "WARMUP"
	PhaseMeasurement PhaseKind = "MEASUREMENT"
)

// Run is a row of RUN_STATUS: the authoritative state of one run.
type Run struct {
	ID                string
	ScenarioName      string
	TemplateID        string
	TemplateName      string
	Status            RunStatus
	Phase             string    // current phase name ("" before the first)
	PhaseKind         PhaseKind // "" when no phase runs
	WorkersExpected   int
	WorkersRegistered int
	WorkersActive     int
	WorkersCompleted  int
	CreatedAt         time.Time
	StartTime         *time.Time
	EndTime           *time.Time
	WarmupStart       *time.Time
	WarmupEnd         *time.Time
	MeasurementStart  *time.Time
	MeasurementEnd    *time.Time
	FailureReason     string
	Plan              json.RawMessage // the evaluated plan (no secrets)
	Seed              int64
	SampleRate        float64
	NextSequenceID    int64 // the SEQUENCE_ID the next control event gets
	UpdatedAt         time.Time
	// LeaderEpoch is the highest orchestrator epoch that wrote the run
	// (see AcquireRunLease); ApplyLockID the apply lease the run was
	// started under; CancelRequested is set by `fbctl cancel`.
	LeaderEpoch     int64
	ApplyLockID     string
	CancelRequested bool
}

// RunUpdate changes some columns of a run; nil fields are left alone.
type RunUpdate struct {
	Phase             *string
	PhaseKind         *PhaseKind
	WorkersExpected   *int
	WorkersRegistered *int
	WorkersActive     *int
	WorkersCompleted  *int
	StartTime         *time.Time
	EndTime           *time.Time
	WarmupStart       *time.Time
	WarmupEnd         *time.Time
	MeasurementStart  *time.Time
	MeasurementEnd    *time.Time
	FailureReason     *string
	SampleRate        *float64
	Plan              json.RawMessage
	ApplyLockID       *string
	CancelRequested   *bool
	// Epoch, when above 0, fences the write: it is refused with ErrFenced
	// when the run's LEADER_EPOCH is higher, and raises it otherwise.
	Epoch int64
}

var colsRun = []dialect.Column{
	{Name: "RUN_ID"}, {Name: "SCENARIO_NAME"}, {Name: "TEMPLATE_ID"}, {Name: "TEMPLATE_NAME"}, {Name: "STATUS"},
	{Name: "PHASE"}, {Name: "TOTAL_WORKERS_EXPECTED"}, {Name: "CREATED_AT"}, dialect.JSONCol("PLAN"), {Name: "SEED"},
	{Name: "SAMPLE_RATE"}, {Name: "NEXT_SEQUENCE_ID"}, {Name: "UPDATED_AT"},
}

// CreateRun inserts the run in status PREPARED. ID is generated when empty;
// SampleRate 0 means 1. The stored run is returned.
func (s *Store) CreateRun(ctx context.Context, r Run) (Run, error) {
	if r.ID == "" {
		r.ID = NewID()
	}
	if r.ScenarioName == "" {
		return Run{}, errors.New("create run: empty scenario name")
	}
	if r.SampleRate == 0 {
		r.SampleRate = 1
	}
	now := s.nowUTC()
	_, err := s.exec(ctx, s.db, s.d.Insert("RUN_STATUS", colsRun, 1),
		r.ID, r.ScenarioName, nullString(r.TemplateID), nullString(r.TemplateName), string(RunPrepared), r.Phase,
		int64(r.WorkersExpected), s.d.Time(now), s.d.JSON(r.Plan), r.Seed, s.d.Float(r.SampleRate), int64(1), s.d.Time(now))
	if err != nil {
		return Run{}, fmt.Errorf("create run %s: %w", r.ID, err)
	}
	return s.GetRun(ctx, r.ID)
}

const selectRun = `SELECT RUN_ID, SCENARIO_NAME, TEMPLATE_ID, TEMPLATE_NAME, STATUS, PHASE, PHASE_KIND,
TOTAL_WORKERS_EXPECTED, WORKERS_REGISTERED, WORKERS_ACTIVE, WORKERS_COMPLETED, CREATED_AT, START_TIME, END_TIME,
WARMUP_START_TIME, WARMUP_END_TIME, MEASUREMENT_START_TIME, MEASUREMENT_END_TIME, FAILURE_REASON, PLAN, SEED,
SAMPLE_RATE, NEXT_SEQUENCE_ID, UPDATED_AT, LEADER_EPOCH, APPLY_LOCK_ID, CANCEL_REQUESTED FROM RUN_STATUS`

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var (
		r                                   Run
		tid, tname, kind, reason, phase     sql.NullString
		created, start, end, ws, we, ms, me dialect.Time
		updated                             dialect.Time
		plan                                dialect.JSON
		rate                                dialect.Float
		status                              string
		lockID                              sql.NullString
	)
	err := sc.Scan(&r.ID, &r.ScenarioName, &tid, &tname, &status, &phase, &kind, &r.WorkersExpected, &r.WorkersRegistered,
		&r.WorkersActive, &r.WorkersCompleted, &created, &start, &end, &ws, &we, &ms, &me, &reason, &plan, &r.Seed,
		&rate, &r.NextSequenceID, &updated, &r.LeaderEpoch, &lockID, &r.CancelRequested)
	r.ApplyLockID = lockID.String
	if err != nil {
		return r, err
	}
	r.TemplateID, r.TemplateName, r.Status, r.Phase = tid.String, tname.String, RunStatus(status), phase.String
	r.PhaseKind, r.FailureReason, r.Plan, r.SampleRate = PhaseKind(kind.String), reason.String, plan.Raw, rate.Float
	r.CreatedAt, r.UpdatedAt = created.Time, updated.Time
	r.StartTime, r.EndTime, r.WarmupStart, r.WarmupEnd = start.Ptr(), end.Ptr(), ws.Ptr(), we.Ptr()
	r.MeasurementStart, r.MeasurementEnd = ms.Ptr(), me.Ptr()
	return r, nil
}

// GetRun returns the run, or ErrNotFound.
func (s *Store) GetRun(ctx context.Context, runID string) (Run, error) {
	r, err := scanRun(s.queryRow(ctx, s.db, selectRun+" WHERE RUN_ID = ?", runID))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("run %s: %w", runID, ErrNotFound)
	}
	if err != nil {
		return r, fmt.Errorf("get run %s: %w", runID, err)
	}
	return r, nil
}

// ListRunsOptions filter ListRuns.
type ListRunsOptions struct {
	Status   []RunStatus // any of these; empty: all
	Scenario string      // exact scenario name; empty: all
	Limit    int         // 0: 100; negative: every run
}

// ListRuns returns runs, newest first.
func (s *Store) ListRuns(ctx context.Context, o ListRunsOptions) ([]Run, error) {
	q := selectRun + " WHERE 1 = 1"
	var args []any
	if len(o.Status) > 0 {
		q += " AND STATUS IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(o.Status)), ", ") + ")"
		for _, st := range o.Status {
			args = append(args, string(st))
		}
	}
	if o.Scenario != "" {
		q += " AND SCENARIO_NAME = ?"
		args = append(args, o.Scenario)
	}
	if o.Limit == 0 {
		o.Limit = 100
	}
	q += " ORDER BY CREATED_AT DESC, RUN_ID"
	if o.Limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", o.Limit)
	}
	rows, err := s.query(ctx, s.db, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	defer rows.Close()
	var out []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, fmt.Errorf("list runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// setClause turns a RunUpdate into "COL = ?, ..." and its arguments.
func (s *Store) setClause(u RunUpdate) ([]string, []any) {
	var set []string
	var args []any
	add := func(col string, v any) { set = append(set, col+" = ?"); args = append(args, v) }
	addTime := func(col string, t *time.Time) {
		if t != nil {
			add(col, s.d.Time(*t))
		}
	}
	if u.Phase != nil {
		add("PHASE", *u.Phase)
	}
	if u.PhaseKind != nil {
		add("PHASE_KIND", nullString(string(*u.PhaseKind)))
	}
	for _, c := range []struct {
		col string
		v   *int
	}{{"TOTAL_WORKERS_EXPECTED", u.WorkersExpected}, {"WORKERS_REGISTERED", u.WorkersRegistered},
		{"WORKERS_ACTIVE", u.WorkersActive}, {"WORKERS_COMPLETED", u.WorkersCompleted}} {
		if c.v != nil {
			add(c.col, int64(*c.v))
		}
	}
	addTime("START_TIME", u.StartTime)
	addTime("END_TIME", u.EndTime)
	addTime("WARMUP_START_TIME", u.WarmupStart)
	addTime("WARMUP_END_TIME", u.WarmupEnd)
	addTime("MEASUREMENT_START_TIME", u.MeasurementStart)
	addTime("MEASUREMENT_END_TIME", u.MeasurementEnd)
	if u.FailureReason != nil {
		add("FAILURE_REASON", nullString(truncate(*u.FailureReason, maxMessage)))
	}
	if u.SampleRate != nil {
		add("SAMPLE_RATE", s.d.Float(*u.SampleRate))
	}
	if u.Plan != nil {
		set = append(set, "PLAN = "+s.d.Param(dialect.JSONCol("PLAN")))
		args = append(args, s.d.JSON(u.Plan))
	}
	if u.ApplyLockID != nil {
		add("APPLY_LOCK_ID", nullString(*u.ApplyLockID))
	}
	if u.CancelRequested != nil {
		add("CANCEL_REQUESTED", s.d.Bool(*u.CancelRequested))
	}
	if u.Epoch > 0 {
		add("LEADER_EPOCH", u.Epoch)
	}
	return set, args
}

// fence is the WHERE condition and argument of a write fenced by epoch
// ("" when the write is not fenced).
func fence(epoch int64) (string, []any) {
	if epoch <= 0 {
		return "", nil
	}
	return " AND LEADER_EPOCH <= ?", []any{epoch}
}

// whyNoRow explains a fenced write that changed no row: ErrFenced when a
// newer epoch holds the run, else ErrNotFound.
func (s *Store) whyNoRow(ctx context.Context, runID string, epoch int64) error {
	r, err := s.GetRun(ctx, runID)
	if err != nil {
		return err
	}
	if epoch > 0 && r.LeaderEpoch > epoch {
		return fmt.Errorf("run %s (epoch %d, this orchestrator %d): %w", runID, r.LeaderEpoch, epoch, ErrFenced)
	}
	return fmt.Errorf("run %s: %w", runID, ErrNotFound)
}

// UpdateRun changes the run's columns without changing its status.
func (s *Store) UpdateRun(ctx context.Context, runID string, u RunUpdate) error {
	set, args := s.setClause(u)
	set = append(set, "UPDATED_AT = ?")
	args = append(args, s.d.Time(s.nowUTC()), runID)
	cond, fargs := fence(u.Epoch)
	res, err := s.exec(ctx, s.db, "UPDATE RUN_STATUS SET "+strings.Join(set, ", ")+" WHERE RUN_ID = ?"+cond, append(args, fargs...)...)
	if err != nil {
		return fmt.Errorf("update run %s: %w", runID, err)
	}
	if affected(res) == 0 {
		return fmt.Errorf("update run %s: %w", runID, s.whyNoRow(ctx, runID, u.Epoch))
	}
	return nil
}

// TransitionRun moves the run to status to and applies u in one atomic
// statement, only when the current status allows it; otherwise it returns an
// *IllegalTransitionError (or ErrNotFound). Moving to STARTING sets
// START_TIME and a terminal status sets END_TIME unless u sets them.
func (s *Store) TransitionRun(ctx context.Context, runID string, to RunStatus, u RunUpdate) (Run, error) {
	from := allowedFrom[to]
	if len(from) == 0 { // nothing moves to PREPARED (or to an unknown status)
		cur, err := s.GetRun(ctx, runID)
		if err != nil {
			return Run{}, err
		}
		return cur, &IllegalTransitionError{RunID: runID, From: cur.Status, To: to}
	}
	now := s.nowUTC()
	if to == RunStarting && u.StartTime == nil {
		u.StartTime = &now
	}
	if to.Terminal() && u.EndTime == nil {
		u.EndTime = &now
	}
	if to.Terminal() && u.PhaseKind == nil {
		none := PhaseKind("")
		u.PhaseKind = &none
	}
	set, args := s.setClause(u)
	set = append([]string{"STATUS = ?"}, append(set, "UPDATED_AT = ?")...)
	args = append([]any{string(to)}, append(args, s.d.Time(now), runID)...)
	cond, fargs := fence(u.Epoch)
	q := "UPDATE RUN_STATUS SET " + strings.Join(set, ", ") + " WHERE RUN_ID = ?" + cond + " AND STATUS IN (" +
		strings.TrimSuffix(strings.Repeat("?, ", len(from)), ", ") + ")"
	args = append(args, fargs...)
	for _, f := range from {
		args = append(args, string(f))
	}
	res, err := s.exec(ctx, s.db, q, args...)
	if err != nil {
		return Run{}, fmt.Errorf("run %s -> %s: %w", runID, to, err)
	}
	if affected(res) == 0 {
		cur, err := s.GetRun(ctx, runID)
		if err != nil {
			return Run{}, err
		}
		if u.Epoch > 0 && cur.LeaderEpoch > u.Epoch {
			return cur, fmt.Errorf("run %s -> %s (epoch %d, this orchestrator %d): %w", runID, to, cur.LeaderEpoch, u.Epoch, ErrFenced)
		}
		return cur, &IllegalTransitionError{RunID: runID, From: cur.Status, To: to}
	}
	return s.GetRun(ctx, runID)
}

// maxMessage bounds stored error and failure messages.
const maxMessage = 1000
