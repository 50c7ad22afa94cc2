package run

import (
	"encoding/json"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
	"github.com/flakebench/fbctl/engine/store"
)

// progress reports the running phase to the hook from the workers' latest
// metrics snapshots (read-only query on the store).
func (o *orch) progress(h health) {
	p := Progress{RunID: o.runID, Phase: o.phase, PhaseKind: store.PhaseMeasurement, Elapsed: time.Since(o.pstart),
		WorkersAlive: h.alive, WorkersStale: h.stale, WorkersExpected: int(o.plan.Workers)}
	if o.phase == NodeWarmupPhase {
		p.PhaseKind = store.PhaseWarmup
	}
	p.Planned = o.plannedLength(o.phase)
	d := o.st.Dialect()
	since := o.pstart.Add(-time.Second).UTC()
	rows, err := o.st.DB().QueryContext(o.bg, d.Rebind(`SELECT WORKER_ID, TS, OPERATIONS, ERRORS, DROPPED, QPS, P50_US, P99_US, EXTRA
FROM WORKER_METRICS_SNAPSHOTS WHERE RUN_ID = ? AND PHASE = ? AND TS >= ? ORDER BY TS`), o.runID, o.phase, d.Time(since))
	if err != nil {
		o.log.Debug("progress query failed", "error", err)
		o.hook.Progress(p)
		return
	}
	defer rows.Close()
	type last struct {
		ops, errs, dropped, p50, p99 int64
		qps                          float64
		stream                       StreamStats
	}
	by := map[string]last{}
	for rows.Next() {
		var (
			id       string
			ts       dialect.Time
			l        last
			qps      dialect.Float
			p50, p99 *int64
			extra    dialect.JSON
		)
		if err := rows.Scan(&id, &ts, &l.ops, &l.errs, &l.dropped, &qps, &p50, &p99, &extra); err != nil {
			o.log.Debug("progress row unreadable", "error", err)
			break
		}
		if len(extra.Raw) > 0 {
			_ = json.Unmarshal(extra.Raw, &l.stream)
		}
		l.qps = qps.Float
		if p50 != nil {
			l.p50 = *p50
		}
		if p99 != nil {
			l.p99 = *p99
		}
		by[id] = l
	}
	var weighted float64
	for _, l := range by {
		p.Operations += l.ops
		p.Errors += l.errs
		p.Dropped += l.dropped
		p.OpsPerSec += l.qps
		weighted += float64(l.p50) * l.qps
		p.P99US = max(p.P99US, l.p99)
		p.Stream.add(l.stream)
	}
	if p.OpsPerSec > 0 {
		p.P50US = int64(weighted / p.OpsPerSec)
	}
	o.hook.Progress(p)
}

// plannedLength is the planned length of the node running phase.
func (o *orch) plannedLength(phase string) time.Duration {
	ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
	for _, n := range o.plan.Nodes {
		switch {
		case phase == NodeWarmupPhase && n.Warmup != nil:
			return ms(n.Warmup.DurationMS)
		case n.Phase != nil && n.Phase.Name == phase:
			return ms(n.Phase.DurationMS)
		}
	}
	return 0
}
