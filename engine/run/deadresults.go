package run

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flakebench/fbctl/engine/load"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
)

// recoverDeadWorkers completes the child rows of the workers marked DEAD
// with what they measured after their last written row: the phases they
// were in when they died, rebuilt from the metrics snapshots they stored
// every heartbeat (results.WithSnapshots). Each completed row is written
// back with status DEAD and a reason saying up to when it counts, so the
// parent's merge, `fbctl show` and comparisons see the same numbers.
// What a worker measured after its last stored interval died with it.
func (o *orch) recoverDeadWorkers(children []store.TestResult) []store.TestResult {
	hbs, err := o.st.ListHeartbeats(o.bg, o.runID)
	if err != nil {
		o.log.Warn("dead workers' measurements not recovered: heartbeats not read", "error", err)
		return children
	}
	models := map[string]load.Model{}
	for _, n := range o.plan.Nodes {
		if n.Phase != nil {
			models[n.Phase.Name] = n.Phase.Model
		}
	}
	order := o.phaseOrder()
	var snaps []store.MetricsSnapshot
	read := false
	for _, hb := range hbs {
		if hb.Status != store.WorkerDead {
			continue
		}
		if !read {
			read = true
			for _, phase := range order {
				ms, err := o.st.MetricsSnapshotsAfter(o.bg, o.runID, phase, -1)
				if err != nil {
					o.log.Warn("dead workers' measurements not recovered: metrics snapshots not read", "phase", phase, "error", err)
					return children
				}
				snaps = append(snaps, ms...)
			}
		}
		i := slices.IndexFunc(children, func(c store.TestResult) bool { return c.WorkerID == hb.WorkerID })
		g := hb.WorkerGroupID
		child := store.TestResult{TestID: ChildTestID(o.runID, g), RunID: o.runID, WorkerID: hb.WorkerID, WorkerGroupID: &g,
			ScenarioName: o.plan.Scenario, TemplateName: o.plan.Template}
		if i >= 0 {
			child = children[i]
		}
		row, added, err := results.WithSnapshots(child, snaps, models, order)
		if err != nil {
			o.log.Warn("a dead worker's measurements not recovered", "worker", hb.WorkerID, "error", err)
			continue
		}
		if len(added) == 0 {
			continue
		}
		var parts []string
		for _, a := range added {
			parts = append(parts, fmt.Sprintf("%s: %d operations up to %s", a.Phase, a.Ops, a.Until.UTC().Format("15:04:05.000")))
		}
		note := "the worker died; counted from its metrics snapshots (" + strings.Join(parts, "; ") +
			"), what it measured after its last stored interval is lost"
		row.Status = string(store.WorkerDead)
		row.FailureReason = addReason(row.FailureReason, note)
		if row.EndTime == nil {
			end := added[len(added)-1].Until
			row.EndTime = &end
		}
		if row.StartTime == nil {
			start := *row.MeasurementStart
			row.StartTime = &start
		}
		if err := o.st.WriteTestResult(o.bg, row); err != nil {
			o.log.Warn("a dead worker's recovered row not written", "worker", hb.WorkerID, "error", err)
		}
		o.log.Info("dead worker's measurements recovered from its metrics snapshots", "worker", hb.WorkerID, "phases", strings.Join(parts, "; "))
		if i >= 0 {
			children[i] = row
		} else {
			children = append(children, row)
		}
	}
	return children
}
