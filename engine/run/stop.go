package run

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
)

// finish stops the workers, runs teardown, merges and writes the results,
// evaluates the thresholds and records the final status.
func (o *orch) finish(ctx context.Context, cause error, stopWorkers func()) (*Outcome, error) {
	status, reason, stopReason := store.RunCompleted, "", stopDone
	switch {
	case cause == nil:
	case errors.Is(cause, errCancelled) && o.cancelRequestedByCommand():
		status, reason, stopReason = store.RunCancelled, "cancelled with `fbctl cancel`", stopCancelled
	case errors.Is(cause, errCancelled):
		status, reason, stopReason = store.RunCancelled, "cancelled by the user", stopCancelled
	case errors.Is(cause, ErrOrchestratorLost):
		status, reason, stopReason = store.RunFailed, cause.Error(), stopLost
	default:
		status, reason, stopReason = store.RunFailed, cause.Error(), stopFailed
	}
	if cause != nil {
		o.log.Info("run stopping", "status", status, "reason", reason)
	}
	if _, err := o.appendEvent(store.EventStop, mustJSON(stopPayload{Reason: stopReason, Hard: o.isHard()})); err != nil {
		o.log.Error("STOP event not written; workers will reconcile from RUN_STATUS", "error", err)
	}
	if err := o.transition(store.RunStopping, store.RunUpdate{}); err != nil {
		o.log.Warn("run not moved to STOPPING", "error", err)
	}
	o.waitStopped()
	if stopWorkers != nil {
		stopWorkers()
	}
	hard := o.isHard()
	if hard {
		reason = "cancelled by the user (hard stop: in-flight operations abandoned, teardown skipped)"
	}
	for _, n := range o.plan.Nodes {
		if n.Kind != engine.NodeTeardown {
			continue
		}
		if hard {
			o.hook.NodeSkipped(o.runID, n.Name, "hard stop")
			continue
		}
		if o.noTeardown != "" {
			o.hook.NodeSkipped(o.runID, n.Name, o.noTeardown)
			reason += "; " + o.noTeardown
			continue
		}
		if err := o.runSQLNode(o.bg, n); err != nil {
			o.log.Error("teardown failed", "error", err)
			if status == store.RunCompleted {
				status, reason = store.RunFailed, err.Error()
			} else {
				reason += "; " + err.Error()
			}
		}
	}
	o.afterTeardown()
	out := &Outcome{RunID: o.runID}
	if err := o.mergeResults(out, status, reason); err != nil {
		o.log.Error("results not merged", "error", err)
		if status == store.RunCompleted {
			status, reason = store.RunFailed, err.Error()
		}
		out.Parent.Status, out.Parent.FailureReason = string(status), reason
		if werr := retryFinal(o.bg, o.st, o.log, "the run's result row", func() error {
			return o.st.WriteTestResult(o.bg, out.Parent)
		}); werr != nil {
			o.log.Error("parent result not written", "error", werr)
		}
	}
	out.Status, out.FailureReason = status, reason
	if err := retryFinal(o.bg, o.st, o.log, "the run's final status", func() error {
		return o.transition(status, store.RunUpdate{FailureReason: &reason})
	}); err != nil {
		return out, err
	}
	if o.releaseApply != "" {
		if err := retryFinal(o.bg, o.st, o.log, "the apply lock release", func() error {
			return o.st.ReleaseApplyLock(o.bg, o.releaseApply)
		}); err != nil {
			o.log.Warn("the run's apply lock was not released", "error", err)
		}
	}
	o.log.Info("run finished", "status", status, "reason", reason)
	return out, nil
}

// waitStopped waits until every worker reported COMPLETED (or is dead),
// up to DrainTimeout + DeadAfter; a hard stop shortens the wait.
func (o *orch) waitStopped() {
	deadline := time.Now().Add(o.opts.DrainTimeout + o.opts.DeadAfter)
	hardSent := o.isHard()
	drain := newDrainWatch()
	poll := time.NewTicker(o.opts.PollEvery)
	defer poll.Stop()
	for {
		hbs, err := o.st.ListHeartbeats(o.bg, o.runID)
		if err == nil {
			h := checkHealth(hbs, o.st.Now(), o.opts.StaleAfter, o.opts.DeadAfter)
			for _, hb := range h.dead {
				o.st.SetWorkerStatus(o.bg, o.runID, hb.WorkerID, store.WorkerDead, "")
			}
			if h.alive+h.stale == 0 {
				completed, active := 0, 0
				for _, hb := range hbs {
					if hb.Status == store.WorkerCompleted {
						completed++
					}
				}
				o.update(store.RunUpdate{WorkersCompleted: &completed, WorkersActive: &active})
				return
			}
			if !hardSent && drain.observe(hbs, h) {
				// A worker's stream still writes what it measured: wait
				// for it as long as it makes progress.
				deadline = time.Now().Add(o.opts.DrainTimeout + o.opts.DeadAfter)
				o.reportDrain(drain.progress())
			}
		}
		if hardSent && err == nil && time.Now().After(deadline) && anyFresh(hbs, o.st.Now(), hardStopFresh(o.opts)) && time.Now().Before(deadline.Add(o.opts.StaleAfter)) {
			// After a hard stop a worker that still heartbeats is
			// writing its final row: wait for it (up to StaleAfter more)
			// rather than leave its row RUNNING or missing.
		} else if time.Now().After(deadline) {
			o.log.Warn("workers did not finish in time; results hold what they wrote", "waited", time.Since(drain.start).Round(time.Millisecond))
			return
		}
		select {
		case <-o.opts.HardStop.Done():
			if !hardSent {
				hardSent = true
				o.setHard()
				o.appendEvent(store.EventStop, mustJSON(stopPayload{Reason: stopCancelled, Hard: true}))
				deadline = time.Now().Add(hardStopWait(o.opts))
			}
		case <-poll.C:
		}
	}
}

// mergeResults merges the workers' rows exactly (histograms summed bucket
// by bucket) into the parent row, writes it, and fills out.
func (o *orch) mergeResults(out *Outcome, status store.RunStatus, reason string) error {
	run, err := o.st.GetRun(o.bg, o.runID)
	if err != nil {
		return err
	}
	rows, err := o.st.ListResults(o.bg, o.runID)
	if err != nil {
		return err
	}
	for _, r := range rows {
		if !r.IsParent() {
			out.Children = append(out.Children, r)
		}
	}
	out.Children = o.recoverDeadWorkers(out.Children)
	o.closeUnfinishedChildren(out.Children, status)
	end := o.st.Now()
	p := store.TestResult{TestID: o.runID, RunID: o.runID, ScenarioName: o.plan.Scenario, TemplateName: o.plan.Template,
		Status: string(status), FailureReason: reason, StartTime: run.StartTime, EndTime: &end, SampleRate: run.SampleRate,
		ScenarioSnapshot: run.Plan}
	out.Parent = p
	set, err := results.Merge(out.Children, o.phaseOrder())
	if err != nil {
		return err
	}
	phases, err := set.Fill(&p)
	if err != nil {
		return err
	}
	o.mu.Lock()
	extra := len(o.serverStats)+len(o.warehouses)+len(o.qpsControl) > 0
	for i := range phases {
		phases[i].ServerStats = o.serverStats[phases[i].Name]
		phases[i].Warehouse = o.warehouses[phases[i].Name]
		phases[i].QPSControl = o.qpsControl[phases[i].Name]
	}
	o.mu.Unlock()
	if extra {
		if p.PhaseResults, err = json.Marshal(phases); err != nil {
			return err
		}
	}
	if o.opts.Stream != nil {
		p.OpsIssued, p.RowsStored = 0, 0
		for _, c := range out.Children {
			p.OpsIssued += c.OpsIssued
			p.RowsStored += c.RowsStored
		}
		o.trueStreamCounts(&p, out.Children)
	}
	out.Parent, out.Phases = p, phases
	if err := json.Unmarshal(p.QueryResults, &out.Queries); err != nil {
		return err
	}
	out.FindMax = FindMaxOutcomes(phases)
	if status == store.RunCompleted || p.Total > 0 {
		// A run that failed or was stopped before measuring anything has
		// no thresholds to judge (each would only say "no measured
		// operation in scope" after the real reason).
		out.Thresholds = results.Evaluate(o.plan.Thresholds, set)
	}
	return o.st.WriteTestResult(o.bg, p)
}

// closeUnfinishedChildren gives a worker row still RUNNING (its worker was
// stopped before it wrote its final row: the wait after a hard stop, or a
// worker that did not finish in time) the run's final status and says
// why. The row keeps every phase the worker had finished and written; it
// is rewritten so that no row of an ended run says RUNNING.
func (o *orch) closeUnfinishedChildren(children []store.TestResult, status store.RunStatus) {
	for i := range children {
		c := &children[i]
		if c.Status != childRunning {
			continue
		}
		c.Status = string(status)
		c.FailureReason = addReason(c.FailureReason, "the worker was stopped before it wrote its final row: this row holds the phases it had finished")
		if err := retryFinal(o.bg, o.st, o.log, "an unfinished worker row", func() error {
			return o.st.WriteTestResult(o.bg, *c)
		}); err != nil {
			o.log.Warn("an unfinished worker row was not closed", "worker", c.WorkerID, "error", err)
		}
	}
}

// addReason appends note to a row's failure reason ("": note alone).
func addReason(reason, note string) string {
	if reason == "" {
		return note
	}
	return reason + "; " + note
}

func (o *orch) phaseOrder() []string {
	var names []string
	for _, n := range o.plan.Nodes {
		if n.Phase != nil {
			names = append(names, n.Phase.Name)
		}
	}
	return names
}
