package engine

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/load"
)

// derivedPreopenLatency is the latency the pre-opened sessions of an open
// phase without connections are budgeted for: ceil(peak rate × 10 ms),
// at least one per worker and at most max_connections. More sessions open
// on demand, up to max_connections.
const derivedPreopenLatency = 10 * time.Millisecond

// expandPhase resolves one phase: template, model parameters, connection
// budget, worker count and every worker's load. It always returns a
// non-nil plan (best effort when diagnostics hold errors).
func expandPhase(cfg *dsl.Config, sc *dsl.Scenario, p *dsl.Phase, hashes map[string]string) (*phaseInfo, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	rng := rangePtr(p.DeclRange)
	errorf := func(summary, format string, args ...any) {
		diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: summary,
			Detail: fmt.Sprintf("Phase %q of scenario %q: ", p.Name, sc.Name) + fmt.Sprintf(format, args...), Subject: rng})
	}
	pp := &PhasePlan{Name: p.Name, Model: p.Model, Duration: load.Duration(p.Duration), Assignments: []WorkerAssignment{}}
	info := &phaseInfo{plan: pp}

	tmplName := p.Template
	if tmplName == "" {
		tmplName = sc.Template
	}
	pp.Template = tmplName
	t := cfg.Templates[tmplName]
	switch {
	case tmplName == "":
		errorf("Phase has no template", "neither the phase nor the scenario names a template. Set template = template.NAME.")
	case t == nil:
		errorf("Unknown template", "template %q is not declared.%s", tmplName, didYouMean(tmplName, cfg.TemplateOrder, slices.Sorted(maps.Keys(cfg.Templates))))
	default:
		pp.TemplateHash = hashes[tmplName]
		pp.ThinkTime = load.Duration(t.ThinkTime)
		pp.Connection = t.Connection
	}
	if p.ThinkTime != nil {
		pp.ThinkTime = load.Duration(*p.ThinkTime)
	}

	needDuration := func() {
		if p.Duration <= 0 {
			errorf("Invalid phase duration", "a %s phase needs a duration longer than zero (got %s).", p.Model, p.Duration)
		}
	}
	var budget int64
	var rate float64 // total rate for the split (open: rate; ramp: peak)
	switch pp.Model {
	case load.Closed:
		needDuration()
		budget = p.Connections
		if budget <= 0 {
			errorf("Invalid connections", "a closed-model phase needs connections of at least 1 (got %d).", p.Connections)
		}
		pp.ExpectedOperationsNote = "depends on latency (closed model)"
	case load.Open:
		needDuration()
		rate = p.Rate
		if !(rate > 0) || !finite(rate) {
			errorf("Invalid rate", "an open-model phase needs a rate above 0 ops/s (got %v).", p.Rate)
			rate = 0
		}
		pp.Rate = rate
		ops := int64(math.Round(rate * p.Duration.Seconds()))
		pp.ExpectedOperations = &ops
	case load.Ramp:
		r := p.Ramp
		if r == nil {
			errorf("Missing ramp", "a ramp phase needs a ramp block (from, to, over).")
			break
		}
		dur, over := p.Duration, r.Over
		switch {
		case dur <= 0 && over <= 0:
			errorf("Invalid ramp duration", "set the phase duration or the ramp's over to a duration longer than zero.")
		case dur <= 0:
			dur = over
		case over <= 0:
			over = dur
		case over > dur:
			errorf("Ramp longer than its phase", "the ramp lasts %s but the phase only %s. Shorten over or lengthen duration.", over, dur)
			over = dur
		}
		if r.From < 0 || r.To < 0 || !finite(r.From) || !finite(r.To) || (r.From == 0 && r.To == 0) {
			errorf("Invalid ramp rates", "ramp rates must not be negative and at least one must be above 0 (from = %v, to = %v).", r.From, r.To)
		}
		rate = max(r.From, r.To, 0)
		pp.Rate = rate
		pp.Duration = load.Duration(dur)
		pp.Ramp = &RampPlan{From: r.From, To: r.To, Over: load.Duration(over)}
		ops := int64(math.Round((r.From+r.To)/2*over.Seconds() + r.To*(dur-over).Seconds()))
		pp.ExpectedOperations = &ops
	case load.FindMax:
		fm := p.FindMax
		if fm == nil {
			errorf("Missing find_max", "a find_max phase needs a find_max block.")
			break
		}
		ceiling := fm.Max
		if ceiling == 0 {
			ceiling = DefaultFindMaxCeiling
		}
		fp := &FindMaxPlan{Start: fm.Start, Step: fm.Step, Max: ceiling, StepDuration: load.Duration(fm.StepDuration),
			MaxErrorRate: fm.MaxErrorRate, MaxP95Increase: fm.MaxP95Increase, MaxQPSDrop: fm.MaxQPSDrop}
		pp.FindMax = fp
		switch {
		case fm.Start <= 0 || fm.Step <= 0:
			errorf("Invalid find_max steps", "start and step must be at least 1 (start = %d, step = %d).", fm.Start, fm.Step)
		case fm.StepDuration <= 0:
			errorf("Invalid find_max step duration", "step_duration must be longer than zero (got %s).", fm.StepDuration)
		case ceiling < fm.Start:
			errorf("Invalid find_max ceiling", "max (%d) is below start (%d).", ceiling, fm.Start)
		default:
			fp.Steps = (ceiling-fm.Start)/fm.Step + 1
			if p.Duration > 0 {
				fp.Steps = min(fp.Steps, int64(p.Duration/fm.StepDuration))
				if fp.Steps == 0 {
					errorf("Phase shorter than one step", "the phase lasts %s, less than one find_max step of %s.", p.Duration, fm.StepDuration)
				}
			}
			pp.Duration = load.Duration(time.Duration(fp.Steps) * fm.StepDuration)
		}
		budget = ceiling
		pp.ExpectedOperationsNote = fmt.Sprintf("depends on latency (find_max: at most %d steps × %s)", fp.Steps, fm.StepDuration)
	case load.QPSTarget:
		needDuration()
		budget = p.MaxConnections
		if !(p.QPSTarget > 0) || !finite(p.QPSTarget) || p.MinConnections < 1 || p.MaxConnections < p.Connections || p.Connections < p.MinConnections {
			errorf("Invalid qps_target", "a qps_target phase needs a target above 0 ops/s and 1 ≤ min_connections ≤ connections ≤ max_connections (got %v, %d, %d, %d).",
				p.QPSTarget, p.MinConnections, p.Connections, p.MaxConnections)
		}
		pp.Rate = p.QPSTarget
		pp.QPSTarget = &QPSTargetPlan{Target: p.QPSTarget, MinConnections: p.MinConnections, MaxConnections: p.MaxConnections}
		ops := int64(math.Round(p.QPSTarget * p.Duration.Seconds()))
		pp.ExpectedOperations = &ops
		pp.ExpectedOperationsNote = "at the target rate, once the controller reached it"
	default:
		errorf("Unknown load model", "model %q is not one of closed, open, ramp, find_max, qps_target.", p.Model)
	}

	// Open models: the connection budget is max_connections, or derived.
	open := pp.Model.IsOpen()
	if open {
		budget = p.MaxConnections
		if budget < 0 {
			errorf("Invalid max_connections", "max_connections must not be negative (got %d).", budget)
		}
		if budget <= 0 {
			budget = max(int64(math.Ceil(rate*derivedLatency.Seconds())), 1)
			pp.ConnectionsDerived = true
		}
	}

	wc, err := ResolveWorkers(p.Workers, p.Scaling, budget)
	if err != nil {
		errorf("Worker count cannot be resolved", "%v.", err)
		wc = WorkerCount{Workers: 1, Scaling: ScalingPlan{Mode: ScaleWorkers}}
	}
	if pp.ConnectionsDerived && budget < wc.Workers {
		budget = wc.Workers // one session per worker at least
	}
	pp.Scaling, pp.Workers, pp.Connections = wc.Scaling, wc.Workers, budget
	pp.Sessions = budget
	switch {
	case open:
		pp.Sessions = p.Connections
		if pp.Sessions <= 0 {
			pp.Sessions = min(budget, max(wc.Workers, int64(math.Ceil(rate*derivedPreopenLatency.Seconds()))))
			pp.SessionsDerived = true
		}
		if pp.Sessions > budget {
			errorf("More pre-opened sessions than max_connections", "the phase opens %d sessions before it starts but may hold at most %d. Lower connections or raise max_connections.", pp.Sessions, budget)
		}
	case pp.FindMax != nil:
		pp.Sessions = pp.FindMax.Start
	case pp.QPSTarget != nil:
		pp.Sessions = p.Connections
		if pp.QPSTarget.MinConnections < wc.Workers {
			errorf("More workers than min_connections", "%d workers share at least %d sessions; each worker needs one. Set min_connections to at least %d.", wc.Workers, pp.QPSTarget.MinConnections, wc.Workers)
		}
	}
	info.budget = budget
	info.warmup = budget
	if pp.FindMax != nil {
		info.warmup = pp.FindMax.Start // warm up at the first step, not the ceiling
	}
	if pp.QPSTarget != nil {
		info.warmup = pp.Sessions // warm up where the controller starts
	}

	if budget > 0 && wc.Workers > budget {
		errorf("More workers than connections",
			"%d workers share %d connections, so %s. Use at most %d workers, or more connections.",
			wc.Workers, budget, idleWorkers(budget, wc.Workers), budget)
	} else if open && pp.Sessions > 0 && wc.Workers > pp.Sessions {
		errorf("More workers than pre-opened sessions",
			"%d workers share %d sessions opened before the start, so %s. Set connections to at least %d.",
			wc.Workers, pp.Sessions, idleWorkers(pp.Sessions, wc.Workers), wc.Workers)
	}
	if open && rate > 0 && rate < float64(wc.Workers) {
		diags = diags.Append(&hcl.Diagnostic{Severity: hcl.DiagWarning, Summary: "Workers with no rate",
			Detail: fmt.Sprintf("Phase %q of scenario %q: a rate of %v ops/s split over %d workers leaves some workers with a whole-number share of 0 ops/s (the fraction goes to worker-0). Use at most %d workers.",
				p.Name, sc.Name, rate, wc.Workers, max(int64(rate), 1)), Subject: rng})
	}
	info.ok = !diags.HasErrors()
	if info.ok {
		pp.Assignments = phaseAssignments(pp)
		pp.Sequences = planSequences(t, pp)
	}
	return info, diags
}

// planSampling decides the run's sample rate: one rate for the whole run
// (stored in TEST_RESULTS.SAMPLE_RATE), applied to every phase.
func planSampling(sc *dsl.Scenario, names []string, infos map[string]*phaseInfo) SamplingPlan {
	one := 1.0
	s := sc.Sampling
	switch {
	case s == nil:
		return SamplingPlan{Mode: SampleAll, Rate: &one}
	case !s.Auto && s.MaxRowsPerSecond <= 0:
		r := s.Rate
		return SamplingPlan{Mode: SampleFixed, Rate: &r}
	}
	// auto, or a fixed rate capped by max_rows_per_second: the rate is the
	// smaller of the ceiling and what keeps stored rows under the budget.
	sp := SamplingPlan{Mode: SampleAuto, MaxRowsPerSecond: s.MaxRowsPerSecond}
	rate := 1.0
	if !s.Auto {
		sp.Mode, rate, sp.MaxRate = SampleFixed, s.Rate, s.Rate
	}
	var closed []string
	for _, n := range names {
		pp := infos[n].plan
		switch {
		case pp.Model.IsOpen():
			if pp.Rate > 0 && s.MaxRowsPerSecond > 0 {
				rate = min(rate, float64(s.MaxRowsPerSecond)/pp.Rate)
			}
		default:
			closed = append(closed, n)
		}
	}
	if len(closed) > 0 && sc.Warmup == nil {
		// Nothing measures the latency-bound rate before the first
		// phase: the ceiling (a fixed rate), or every operation (auto).
		if sp.Mode == SampleFixed {
			sp.Note = fmt.Sprintf("no warmup to measure phase %q's latency-bound rate against max_rows_per_second = %d: the fixed rate, capped only by the open phases' planned rates", closed[0], s.MaxRowsPerSecond)
		} else {
			sp.Note = fmt.Sprintf("no warmup to measure phase %q's latency-bound rate: every measurement operation is stored (add a warmup block, or set a fixed rate)", closed[0])
		}
		sp.Rate = &rate
		return sp
	}
	if len(closed) > 0 {
		ceiling := "1"
		if sp.Mode == SampleFixed {
			ceiling = fmt.Sprintf("%g", s.Rate)
		}
		sp.Note = fmt.Sprintf("decided at the end of warmup from the measured rate: min(%s, %d / ops/s); phase %q has a latency-bound rate",
			ceiling, s.MaxRowsPerSecond, closed[0])
		if rate < 1 && (sp.Mode != SampleFixed || rate < s.Rate) {
			sp.Note += fmt.Sprintf("; at most %.6g given the open phases", rate)
		}
		if rate < 1 {
			sp.MaxRate = rate
		}
		return sp
	}
	sp.Rate = &rate
	return sp
}

// planThresholds collects the scenario's thresholds, then each used
// template's SLOs as "slo.<query>.<metric>" thresholds (latencies in ms).
// An SLO applies to all phases when every phase uses its template, else to
// each phase that does (same name, Phase set).
func planThresholds(cfg *dsl.Config, sc *dsl.Scenario, names []string, infos map[string]*phaseInfo) []ThresholdPlan {
	out := []ThresholdPlan{}
	for _, th := range sc.Thresholds {
		out = append(out, ThresholdPlan{Name: th.Name, Metric: th.Metric, Query: th.Query, Phase: th.Phase,
			Below: cloneF(th.Below), Above: cloneF(th.Above), Source: "scenario"})
	}
	var used []string
	phasesOf := map[string][]string{}
	for _, n := range names {
		t := infos[n].plan.Template
		if cfg.Templates[t] == nil {
			continue
		}
		if _, ok := phasesOf[t]; !ok {
			used = append(used, t)
		}
		phasesOf[t] = append(phasesOf[t], n)
	}
	for _, tn := range used {
		scope := []string{""}
		if len(phasesOf[tn]) != len(names) {
			scope = phasesOf[tn]
		}
		for _, slo := range cfg.Templates[tn].SLOs {
			query := slo.Query
			if query == "*" {
				query = ""
			}
			add := func(metric dsl.Metric, v float64) {
				for _, ph := range scope {
					out = append(out, ThresholdPlan{Name: "slo." + slo.Query + "." + string(metric), Metric: metric,
						Query: query, Phase: ph, Below: &v, Source: "slo", Template: tn})
				}
			}
			if slo.P50 > 0 {
				add(dsl.MetricP50, load.Duration(slo.P50).Millis())
			}
			if slo.P95 > 0 {
				add(dsl.MetricP95, load.Duration(slo.P95).Millis())
			}
			if slo.P99 > 0 {
				add(dsl.MetricP99, load.Duration(slo.P99).Millis())
			}
			if slo.ErrorRate != nil {
				add(dsl.MetricErrorRate, *slo.ErrorRate)
			}
		}
	}
	return out
}

func cloneF(f *float64) *float64 {
	if f == nil {
		return nil
	}
	v := *f
	return &v
}
