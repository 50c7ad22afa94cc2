package run

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/retry"
)

// resumeState is what the control plane says of a run's load nodes when a
// standby takes it over.
type resumeState struct {
	nodes map[string]nodeResume
}

// nodeResume is one load node's state: SET_PHASE was appended (prepared),
// START_PHASE too (start), every worker finished it (done).
type nodeResume struct {
	prepared, done, measured bool
	start                    time.Time
}

func (r *resumeState) of(name string) nodeResume {
	if r == nil {
		return nodeResume{}
	}
	return r.nodes[name]
}

// readResume rebuilds the nodes' state from the control events and the
// workers' node states.
func (o *orch) readResume(run store.Run) (*resumeState, error) {
	r := &resumeState{nodes: map[string]nodeResume{}}
	var after int64
	for {
		evs, err := o.st.EventsAfter(o.bg, o.runID, after, 0)
		if err != nil {
			return nil, err
		}
		if len(evs) == 0 {
			break
		}
		for _, ev := range evs {
			after = ev.Seq
			switch ev.Type {
			case store.EventSetPhase:
				var p phasePayload
				if err := decodeJSON(ev.Payload, &p); err != nil {
					return nil, fmt.Errorf("SET_PHASE event: %w", err)
				}
				n := r.nodes[p.Node]
				n.prepared = true
				r.nodes[p.Node] = n
			case store.EventStartPhase:
				var p startPhasePayload
				if err := decodeJSON(ev.Payload, &p); err != nil {
					return nil, fmt.Errorf("START_PHASE event: %w", err)
				}
				n := r.nodes[p.Node]
				n.start = time.UnixMicro(p.StartUS).UTC()
				r.nodes[p.Node] = n
			}
		}
	}
	hbs, err := o.st.ListHeartbeats(o.bg, o.runID)
	if err != nil {
		return nil, err
	}
	for name, n := range r.nodes {
		n.done = !n.start.IsZero() && o.nodeReached(hbs, name, nodeDone)
		n.measured = run.MeasurementStart != nil
		r.nodes[name] = n
	}
	if o.plan.Sampling.Rate == nil && o.plan.Sampling.MaxRowsPerSecond > 0 && run.WarmupEnd != nil {
		o.autoRate = run.SampleRate
	}
	return r, nil
}

// ErrRunOver is returned by Standby and Cancel for a run that already
// ended.
var ErrRunOver = errors.New("the run already ended")

// Standby is `fbctl standby`: it waits, as a standby orchestrator of the
// run runID, until the run's leader stops renewing its lease (or the run
// ends), takes the run over with a new epoch (fencing the old leader's
// writes) and drives it to its end from the control plane's state: nodes
// every worker finished are done, a running node is waited for, a
// prepared one is started, the rest of the DAG runs as usual; then
// teardown, the exact merge and the final status. Workers keep running
// their nodes while no orchestrator drives the run, for
// DefaultOrchestratorGrace after the lease expired. The workers of a run
// taken over are external (`fbctl worker`): in-process workers end with
// their orchestrator's process.
func Standby(ctx context.Context, runID string, cfg *dsl.Config, opts Options) (*Outcome, error) {
	opts.defaults()
	opts.Launch = LaunchExternal
	if opts.Store == nil || cfg == nil {
		return nil, errors.New("standby: no results store or scenario configuration")
	}
	st := opts.Store
	bg := context.WithoutCancel(ctx)
	var out *Outcome
	err := retry.Poll(ctx, max(opts.PollEvery, opts.LeaseTTL/10), func(ctx context.Context) (bool, error) {
		r, err := st.GetRun(ctx, runID)
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return true, err
		case r.Status.Terminal():
			return true, fmt.Errorf("run %s is %s: %w", runID, r.Status, ErrRunOver)
		default:
			l, err := st.RunLeaseState(ctx, runID)
			if err != nil {
				return true, err
			}
			if l.Exists && l.Expired() {
				o, err := takeOver(ctx, bg, r, cfg, opts)
				var held *store.RunLeaseHeldError
				if !errors.As(err, &held) {
					out = o
					return true, err
				}
			}
		}
		return false, nil
	})
	return out, err
}

// takeOver takes the run r over and drives it to its end.
func takeOver(ctx, bg context.Context, r store.Run, cfg *dsl.Config, opts Options) (*Outcome, error) {
	var plan engine.RunPlan
	if err := json.Unmarshal(r.Plan, &plan); err != nil {
		return nil, fmt.Errorf("run %s: read its plan: %w", r.ID, err)
	}
	o := newOrch(ctx, plan, cfg, opts)
	o.runID = r.ID
	o.log = opts.Logger.Named("standby").With("run", r.ID, "scenario", plan.Scenario)
	if _, err := o.st.SyncClock(bg); err != nil {
		return nil, err
	}
	if err := o.takeLease(false); err != nil {
		return nil, err
	}
	defer o.releaseLease()
	o.releaseApply = r.ApplyLockID
	o.log.Warn("took the run over from a lost orchestrator", "status", r.Status, "epoch", o.epoch())
	o.hook.StateChanged(StateChange{RunID: r.ID, Status: r.Status, Phase: r.Phase, PhaseKind: r.PhaseKind,
		Reason: fmt.Sprintf("taken over by a standby orchestrator (epoch %d)", o.epoch()), At: time.Now().UTC()})
	switch r.Status {
	case store.RunRunning:
		resume, err := o.readResume(r)
		if err != nil {
			return nil, err
		}
		return o.drive(ctx, resume)
	case store.RunStopping:
		return o.finishTakenOver(ctx, stoppedCause(o))
	default: // PREPARED, STARTING: the leader was lost before the load started
		return o.finishTakenOver(ctx, fmt.Errorf("%w before the run started; a standby orchestrator ended it", ErrOrchestratorLost))
	}
}

// finishTakenOver ends a taken-over run that has no load to drive.
func (o *orch) finishTakenOver(ctx context.Context, cause error) (*Outcome, error) {
	o.watch = newWatcher(o)
	return o.finish(ctx, cause, nil)
}

// stoppedCause is the cause a run in STOPPING was stopping for, from its
// STOP event.
func stoppedCause(o *orch) error {
	evs, _ := o.st.EventsAfter(o.bg, o.runID, 0, 0)
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].Type != store.EventStop {
			continue
		}
		var p stopPayload
		_ = decodeJSON(evs[i].Payload, &p)
		switch p.Reason {
		case stopCancelled:
			return errCancelled
		case stopFailed:
			return fmt.Errorf("%w while the run was stopping after a failure", ErrOrchestratorLost)
		}
		return nil
	}
	return nil
}

// CancelOptions configure Cancel.
type CancelOptions struct {
	Options
	// Wait is how long a live orchestrator is given to stop the run itself
	// (teardown included) before Cancel takes it over (0: 2 × LeaseTTL).
	Wait time.Duration
}

// Cancel is `fbctl cancel RUN_ID`: it ends any run. It asks the run's
// orchestrator to stop (RUN_STATUS.CANCEL_REQUESTED; the orchestrator
// records CANCELLED after its teardown) and, when no live orchestrator
// answers within Wait, takes the run over itself: STOP to the workers,
// their rows merged, CANCELLED recorded, the run's apply lock released.
// It returns the run's final row.
func Cancel(ctx context.Context, runID string, o CancelOptions) (store.Run, error) {
	o.defaults()
	if o.Wait <= 0 {
		o.Wait = 2 * o.LeaseTTL
	}
	st := o.Store
	r, err := st.GetRun(ctx, runID)
	if err != nil {
		return r, err
	}
	if r.Status.Terminal() {
		return r, fmt.Errorf("run %s is %s: %w", runID, r.Status, ErrRunOver)
	}
	yes := true
	if err := st.UpdateRun(ctx, runID, store.RunUpdate{CancelRequested: &yes}); err != nil {
		return r, err
	}
	deadline := time.Now().Add(o.Wait)
	ended := false
	if err := retry.Poll(ctx, o.PollEvery, func(ctx context.Context) (bool, error) {
		if !time.Now().Before(deadline) {
			return true, nil
		}
		var err error
		if r, err = st.GetRun(ctx, runID); err == nil && r.Status.Terminal() {
			ended = true
			return true, nil
		}
		l, err := st.RunLeaseState(ctx, runID)
		return err == nil && l.Expired(), nil // expired: nobody drives the run
	}); err != nil {
		return r, err
	}
	if ended {
		return r, nil
	}
	var plan engine.RunPlan
	if err := json.Unmarshal(r.Plan, &plan); err != nil {
		return r, fmt.Errorf("run %s: read its plan: %w", runID, err)
	}
	orc := newOrch(ctx, plan, &dsl.Config{}, o.Options)
	orc.runID = runID
	orc.log = o.Logger.Named("cancel").With("run", runID)
	if err := orc.takeLease(true); err != nil {
		return r, err
	}
	defer orc.releaseLease()
	orc.releaseApply = r.ApplyLockID
	orc.watch = newWatcher(orc)
	orc.noTeardown = "no orchestrator answered the cancel request, so teardown did not run"
	orc.requestCancel()
	if _, err := orc.finish(ctx, errCancelled, nil); err != nil {
		return r, err
	}
	return st.GetRun(context.WithoutCancel(ctx), runID)
}

// endLostRun is what a worker does after it stopped because its run's
// orchestrator was lost: if it can take the run's lease (nobody renewed
// it), it ends the run FAILED with the reason, the rows of every worker
// merged and the run's apply lock released; otherwise another process
// (a standby, another worker) is ending it.
func endLostRun(ctx context.Context, w *worker, reason string) {
	opts := Options{Store: w.st, Logger: w.opts.Logger, HeartbeatEvery: w.opts.HeartbeatEvery, PollEvery: w.opts.PollEvery,
		DrainTimeout: w.opts.DrainTimeout, LeaseTTL: w.opts.LeaseTTL, Launch: LaunchExternal,
		Holder: fmt.Sprintf("worker %s ending a run whose orchestrator was lost", w.id)}
	opts.defaults()
	r, err := w.st.GetRun(ctx, w.runID)
	if err != nil || r.Status.Terminal() {
		return
	}
	o := newOrch(ctx, w.plan, w.opts.Config, opts)
	o.runID = w.runID
	o.log = w.log.Named("end-lost-run")
	if err := o.takeLease(false); err != nil {
		w.log.Info("another process ends the run", "error", err)
		return
	}
	defer o.releaseLease()
	o.releaseApply = r.ApplyLockID
	o.watch = newWatcher(o)
	o.noTeardown = "teardown did not run: the orchestrator was lost"
	if _, err := o.finish(ctx, fmt.Errorf("%w: %s", ErrOrchestratorLost, reason), nil); err != nil {
		w.log.Error("the run could not be ended", "error", err)
	}
}
