package executor

import (
	"fmt"
	"math"
	"time"

	"github.com/flakebench/fbctl/dsl"
)

// Share places a worker among a phase's workers: totals (connections,
// rate, max connections) are split between them.
type Share struct {
	Worker  int // 0-based WORKER_GROUP_ID
	Workers int // >= 1
}

// Split returns this worker's part of total, spreading the remainder over
// the lowest worker ids.
func (s Share) Split(total int64) int64 {
	w := int64(max(s.Workers, 1))
	n := total / w
	if int64(s.Worker) < total%w {
		n++
	}
	return n
}

// Rate returns this worker's part of a total rate.
func (s Share) Rate(total float64) float64 { return total / float64(max(s.Workers, 1)) }

// DerivedMaxConnections is the per-worker connection cap of an open phase
// that sets none: enough sessions for a mean latency of 100 ms at the
// worker's peak rate, between 1 and 256.
func DerivedMaxConnections(peakRate float64) int {
	return int(min(max(math.Ceil(peakRate*0.1), 1), 256))
}

// New builds the executor of phase p for the worker share places; think
// is the template's think time (the phase's own overrides it).
func New(p *dsl.Phase, think time.Duration, share Share) (Executor, error) {
	if p.ThinkTime != nil {
		think = *p.ThinkTime
	}
	maxConns := func(peak float64) int {
		if p.MaxConnections > 0 {
			return int(max(share.Split(p.MaxConnections), 1))
		}
		return DerivedMaxConnections(peak)
	}
	switch p.Model {
	case dsl.ModelClosed:
		n := share.Split(p.Connections)
		if n < 1 {
			return nil, fmt.Errorf("phase %q: worker %d gets no connections (%d over %d workers)", p.Name, share.Worker, p.Connections, share.Workers)
		}
		return &Closed{Connections: int(n), Duration: p.Duration, ThinkTime: think}, nil
	case dsl.ModelOpen:
		if p.Rate <= 0 {
			return nil, fmt.Errorf("phase %q: rate must be positive", p.Name)
		}
		rate := share.Rate(p.Rate)
		o := NewConstant(rate, maxConns(rate), p.Duration)
		o.SpinWindow = DefaultSpinWindow
		return o, nil
	case dsl.ModelRamp:
		if p.Ramp == nil {
			return nil, fmt.Errorf("phase %q: ramp model without a ramp", p.Name)
		}
		from, to := share.Rate(p.Ramp.From), share.Rate(p.Ramp.To)
		over := p.Ramp.Over
		if over <= 0 {
			over = p.Duration
		}
		o := NewRamp(from, to, over, p.Duration, maxConns(max(from, to)))
		o.SpinWindow = DefaultSpinWindow
		return o, nil
	case dsl.ModelFindMax:
		fm := p.FindMax
		if fm == nil {
			return nil, fmt.Errorf("phase %q: find_max model without settings", p.Name)
		}
		return &FindMax{
			Start: int(max(share.Split(fm.Start), 1)), Step: int(max(share.Split(fm.Step), 1)), Max: int(share.Split(fm.Max)),
			StepDuration: fm.StepDuration, MaxErrorRate: fm.MaxErrorRate, MaxP95Increase: fm.MaxP95Increase,
			MaxQPSDrop: fm.MaxQPSDrop, ThinkTime: think,
		}, nil
	}
	return nil, fmt.Errorf("phase %q: unknown load model %q", p.Name, p.Model)
}

// TemplateQueries returns the queries of t in QueryOrder, as SQLTarget
// runs them and as the Recorder names them; rebind (nil: none) rewrites
// each statement's placeholders for the target's dialect.
func TemplateQueries(t *dsl.Template, rebind func(string) string) ([]QuerySpec, []QueryInfo, error) {
	specs := make([]QuerySpec, 0, len(t.QueryOrder))
	infos := make([]QueryInfo, 0, len(t.QueryOrder))
	for _, name := range t.QueryOrder {
		q := t.Queries[name]
		if q == nil {
			return nil, nil, fmt.Errorf("template %q: query %q is not defined", t.Name, name)
		}
		sql := q.SQL
		if rebind != nil {
			sql = rebind(sql)
		}
		specs = append(specs, QuerySpec{SQL: sql, Write: q.IsWrite()})
		infos = append(infos, QueryInfo{Name: q.Name, Kind: q.Kind, Write: q.IsWrite()})
	}
	return specs, infos, nil
}
