package dsl

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/flakebench/fbctl/engine/load"
	"github.com/flakebench/fbctl/internal/graph"
	"github.com/hashicorp/hcl/v2"
)

// Default find_max settings.
const (
	DefaultFindMaxStepDuration = 30 * time.Second
	DefaultFindMaxErrorRate    = 0.01
	DefaultFindMaxP95Increase  = 0.5
	DefaultFindMaxQPSDrop      = 0.1
)

// ScalingModes lists the scaling modes.
var ScalingModes = []ScalingMode{ScaleAuto, ScaleBounded, ScaleFixed}

// phaseState keeps what dependency resolution needs.
type phaseState struct {
	p        *Phase
	block    *hcl.Block
	explicit bool                 // depends_on was given
	depRange map[string]hcl.Range // dependency name -> its range in depends_on
}

func (l *loader) decodePhase(st *scenarioState, b *hcl.Block, ctx *hcl.EvalContext) *phaseState {
	name := b.Labels[0]
	if prev, ok := st.phases[name]; ok {
		l.diags = append(l.diags, duplicate("phase", name, prev.block.DefRange, b.DefRange))
		return nil
	}
	p := &Phase{Name: name, Template: st.s.Template, DeclRange: b.DefRange}
	ps := &phaseState{p: p, block: b, depRange: map[string]hcl.Range{}}
	st.phases[name] = ps
	st.s.Phases = append(st.s.Phases, p)

	content, diags := b.Body.Content(phaseSchema)
	l.diags = append(l.diags, diags...)
	attrs := content.Attributes

	if a := attrs["template"]; a != nil {
		if n, ok := l.templateRef(a.Expr, ctx); ok {
			p.Template = n
		}
	} else if p.Template == "" && !st.templateGiven {
		l.diags = append(l.diags, errorDiag("Missing template",
			fmt.Sprintf("The phase %q has no template: set template on the phase or on its scenario (it may be left out only when exactly one template is declared).", name),
			rangePtr(b.DefRange), nil))
	}
	if a := attrs["depends_on"]; a != nil {
		ps.explicit = true
		exprs, d := hcl.ExprList(a.Expr)
		l.diags = append(l.diags, d...)
		for _, e := range exprs {
			if n, ok := l.nameRef(e, ctx, "phase"); ok {
				if _, dup := ps.depRange[n]; !dup {
					p.DependsOn = append(p.DependsOn, n)
					ps.depRange[n] = e.Range()
				}
			}
		}
	}

	// The load model: exactly one of connections (closed), rate, ramp,
	// find_max. With rate or ramp, connections are the sessions opened
	// before the phase starts.
	type modelSrc struct {
		model load.Model
		rng   hcl.Range
	}
	var models []modelSrc
	conns := attrs["connections"]
	if a := conns; a != nil {
		n, _, d := getPositiveInt(a, ctx)
		l.diags = append(l.diags, d...)
		p.Connections = n
		if attrs["rate"] == nil && attrs["qps_target"] == nil && len(content.Blocks.OfType("ramp")) == 0 {
			models = append(models, modelSrc{load.Closed, a.NameRange})
		}
	}
	if a := attrs["rate"]; a != nil {
		models = append(models, modelSrc{load.Open, a.NameRange})
		f, _, d := getPositiveFloat(a, ctx)
		l.diags = append(l.diags, d...)
		p.Rate = f
	}
	if a := attrs["qps_target"]; a != nil {
		models = append(models, modelSrc{load.QPSTarget, a.NameRange})
		f, _, d := getPositiveFloat(a, ctx)
		l.diags = append(l.diags, d...)
		l.atMost(a, f, MaxRate, " ops/s")
		p.QPSTarget = f
	}
	for i, rb := range content.Blocks.OfType("ramp") {
		if i > 0 {
			l.diags = append(l.diags, duplicateBlock("ramp", rb))
			continue
		}
		models = append(models, modelSrc{load.Ramp, rb.DefRange})
		p.Ramp = l.decodeRamp(rb, ctx)
	}
	for i, fb := range content.Blocks.OfType("find_max") {
		if i > 0 {
			l.diags = append(l.diags, duplicateBlock("find_max", fb))
			continue
		}
		models = append(models, modelSrc{load.FindMax, fb.DefRange})
		p.FindMax = l.decodeFindMax(fb, ctx)
	}
	switch len(models) {
	case 0:
		l.diags = append(l.diags, errorDiag("Missing load model",
			fmt.Sprintf("The phase %q needs one load model: connections (closed), rate (open), qps_target, a ramp block or a find_max block.", name),
			rangePtr(b.DefRange), nil))
	case 1:
		p.Model = models[0].model
	default:
		p.Model = models[0].model
		for _, m := range models[1:] {
			l.diags = append(l.diags, errorDiag("Conflicting load models",
				fmt.Sprintf("The phase %q already has the %s load model (%s); a phase takes exactly one of connections, rate, qps_target, ramp or find_max.", name, models[0].model, models[0].rng.String()),
				rangePtr(m.rng), rangePtr(b.DefRange)))
		}
	}
	if a := attrs["max_connections"]; a != nil {
		n, _, d := getPositiveInt(a, ctx)
		l.diags = append(l.diags, d...)
		p.MaxConnections = n
		if len(models) == 1 && p.Model != load.Open && p.Model != load.Ramp && p.Model != load.QPSTarget {
			l.diags = append(l.diags, errorDiag("Unexpected max_connections",
				fmt.Sprintf("max_connections caps the sessions of an open load model (rate or ramp); the phase %q uses %s.", name, p.Model),
				rangePtr(a.NameRange), rangePtr(a.Range)))
		}
	}
	if open := p.Model == load.Open || p.Model == load.Ramp; open && conns != nil && p.MaxConnections > 0 && p.Connections > p.MaxConnections {
		l.diags = append(l.diags, errorDiag("Invalid connections",
			fmt.Sprintf("The phase %q opens %d sessions before it starts but max_connections caps it at %d. Lower connections or raise max_connections.",
				name, p.Connections, p.MaxConnections),
			rangePtr(conns.Expr.Range()), rangePtr(conns.Range)))
	}

	if a := attrs["duration"]; a != nil {
		d, _, dd := getDuration(a, ctx, true)
		l.diags = append(l.diags, dd...)
		p.Duration = d
	} else if p.Model == load.Closed || p.Model == load.Open || p.Model == load.QPSTarget {
		l.diags = append(l.diags, errorDiag("Missing required argument",
			fmt.Sprintf("The phase %q needs a duration, such as duration = \"30s\".", name),
			rangePtr(b.DefRange), nil))
	}
	l.decodeQPSTarget(p, b, attrs, conns, ctx, len(models))
	if p.Model == load.Ramp && p.Ramp != nil {
		p.Duration = durationOr(p.Duration, p.Ramp.Over)
	}

	if a := attrs["workers"]; a != nil {
		n, _, d := getPositiveInt(a, ctx)
		l.diags = append(l.diags, d...)
		p.Workers = n
	}
	for i, sb := range content.Blocks.OfType("scaling") {
		if i > 0 {
			l.diags = append(l.diags, duplicateBlock("scaling", sb))
			continue
		}
		if a := attrs["workers"]; a != nil {
			l.diags = append(l.diags, errorDiag("Conflicting worker settings",
				fmt.Sprintf("The phase %q sets both workers (%s) and a scaling block; use one.", name, a.NameRange.String()),
				rangePtr(sb.DefRange), nil))
			continue
		}
		p.Scaling = l.decodeScaling(sb, ctx)
	}
	if p.Scaling == nil && p.Workers == 0 {
		p.Workers = 1
	}
	if a := attrs["think_time"]; a != nil {
		d, ok, dd := getDuration(a, ctx, false)
		l.diags = append(l.diags, dd...)
		if ok {
			p.ThinkTime = &d
		}
	}
	l.checkPhaseLimits(p, content)
	return ps
}

func duplicateBlock(kind string, b *hcl.Block) *hcl.Diagnostic {
	return errorDiag("Duplicate "+kind+" block",
		fmt.Sprintf("A phase takes at most one %s block.", kind), rangePtr(b.DefRange), nil)
}

func (l *loader) decodeRamp(b *hcl.Block, ctx *hcl.EvalContext) *Ramp {
	r := &Ramp{}
	content, diags := b.Body.Content(rampSchema)
	l.diags = append(l.diags, diags...)
	attrs := content.Attributes
	for _, n := range []string{"from", "to"} {
		a := attrs[n]
		if a == nil {
			continue
		}
		f, ok, d := getFloat(a, ctx)
		l.diags = append(l.diags, d...)
		if ok && f < 0 {
			l.diags = append(l.diags, errorDiag("Invalid "+n,
				fmt.Sprintf("A ramp rate must not be negative; got %g.", f), rangePtr(a.Expr.Range()), rangePtr(a.Range)))
		}
		l.atMost(a, f, MaxRate, " ops/s")
		if n == "from" {
			r.From = f
		} else {
			r.To = f
		}
	}
	if a := attrs["to"]; a != nil && r.From == 0 && r.To == 0 {
		l.diags = append(l.diags, errorDiag("Invalid to",
			"A ramp must reach a rate above zero.", rangePtr(a.Expr.Range()), rangePtr(a.Range)))
	}
	if a := attrs["over"]; a != nil {
		d, _, dd := getDuration(a, ctx, true)
		l.diags = append(l.diags, dd...)
		l.durationAtMost(a, d, MaxDuration)
		r.Over = d
	}
	return r
}

func (l *loader) decodeFindMax(b *hcl.Block, ctx *hcl.EvalContext) *FindMax {
	f := &FindMax{
		Start: 1, Step: 1, StepDuration: DefaultFindMaxStepDuration,
		MaxErrorRate: DefaultFindMaxErrorRate, MaxP95Increase: DefaultFindMaxP95Increase, MaxQPSDrop: DefaultFindMaxQPSDrop,
	}
	content, diags := b.Body.Content(findMaxSchema)
	l.diags = append(l.diags, diags...)
	attrs := content.Attributes
	ints := map[string]*int64{"start": &f.Start, "step": &f.Step, "max": &f.Max}
	for _, n := range []string{"start", "step", "max"} {
		if a := attrs[n]; a != nil {
			v, _, d := getPositiveInt(a, ctx)
			l.diags = append(l.diags, d...)
			l.atMost(a, float64(v), MaxConnections, "")
			*ints[n] = v
		}
	}
	if a := attrs["step_duration"]; a != nil {
		d, _, dd := getDuration(a, ctx, true)
		l.diags = append(l.diags, dd...)
		l.durationAtMost(a, d, MaxDuration)
		f.StepDuration = d
	}
	fracs := map[string]*float64{"max_error_rate": &f.MaxErrorRate, "max_qps_drop": &f.MaxQPSDrop}
	for _, n := range []string{"max_error_rate", "max_qps_drop"} {
		if a := attrs[n]; a != nil {
			v, _, d := getFraction(a, ctx)
			l.diags = append(l.diags, d...)
			*fracs[n] = v
		}
	}
	if a := attrs["max_p95_increase"]; a != nil {
		v, _, d := getPositiveFloat(a, ctx)
		l.diags = append(l.diags, d...)
		f.MaxP95Increase = v
	}
	if a := attrs["max"]; a != nil && f.Max > 0 && f.Start > 0 && f.Max < f.Start {
		l.diags = append(l.diags, errorDiag("Invalid max",
			fmt.Sprintf("The find_max ceiling (%d) is below its start (%d).", f.Max, f.Start),
			rangePtr(a.Expr.Range()), rangePtr(a.Range)))
	}
	return f
}

func (l *loader) decodeScaling(b *hcl.Block, ctx *hcl.EvalContext) *Scaling {
	// Unset counts stay 0: the planner applies its defaults (min_workers 1,
	// max_workers unbounded, max_connections_per_worker 200).
	s := &Scaling{Mode: ScaleAuto}
	content, diags := b.Body.Content(scalingSchema)
	l.diags = append(l.diags, diags...)
	attrs := content.Attributes
	if a := attrs["mode"]; a != nil {
		if m, ok, d := getKeyword(a, ctx); !ok {
			l.diags = append(l.diags, d...)
		} else if !slices.Contains(ScalingModes, ScalingMode(m)) {
			l.diags = append(l.diags, unknownValue("Unknown scaling mode", "scaling mode", m, kindNames(ScalingModes), a.Expr.Range()))
		} else {
			s.Mode = ScalingMode(m)
		}
	}
	ints := map[string]*int64{"min_workers": &s.MinWorkers, "max_workers": &s.MaxWorkers, "max_connections_per_worker": &s.MaxConnectionsPerWorker}
	for _, n := range []string{"min_workers", "max_workers", "max_connections_per_worker"} {
		if a := attrs[n]; a != nil {
			v, _, d := getPositiveInt(a, ctx)
			l.diags = append(l.diags, d...)
			if n == "max_connections_per_worker" {
				l.atMost(a, float64(v), MaxConnections, "")
			} else {
				l.atMost(a, float64(v), MaxWorkers, "")
			}
			*ints[n] = v
		}
	}
	if a := attrs["max_workers"]; a != nil && s.MaxWorkers > 0 && s.MaxWorkers < max(s.MinWorkers, 1) {
		l.diags = append(l.diags, errorDiag("Invalid max_workers",
			fmt.Sprintf("max_workers (%d) is below min_workers (%d).", s.MaxWorkers, s.MinWorkers),
			rangePtr(a.Expr.Range()), rangePtr(a.Range)))
	}
	return s
}

// resolvePhaseDeps checks depends_on names, fills in the implicit
// dependency on the previous phase, and reports cycles.
func (l *loader) resolvePhaseDeps(st *scenarioState, order []*phaseState) {
	for i, ps := range order {
		if !ps.explicit {
			if i > 0 {
				prev := order[i-1].p.Name
				ps.p.DependsOn = []string{prev}
			}
			continue
		}
		var kept []string
		for _, n := range ps.p.DependsOn {
			if _, ok := st.phases[n]; !ok {
				l.diags = append(l.diags, unknownName("Unknown phase", fmt.Sprintf("phase|in scenario %q", st.s.Name), n, phaseNames(st.s), ps.depRange[n]))
				continue
			}
			kept = append(kept, n)
		}
		ps.p.DependsOn = kept
	}
	names := make([]string, len(order))
	index := make(map[string]int, len(order))
	for i, ps := range order {
		names[i] = ps.p.Name
		index[ps.p.Name] = i
	}
	deps := make([][]int, len(order))
	for i, ps := range order {
		for _, dep := range ps.p.DependsOn {
			deps[i] = append(deps[i], index[dep])
		}
	}
	// Each cycle is reported at the depends_on reference that closes it.
	for _, c := range graph.Cycles(names, deps) {
		ps, dep := order[c[len(c)-2]], names[c[len(c)-1]]
		subject, ok := ps.depRange[dep]
		if !ok {
			subject = ps.block.DefRange
		}
		l.diags = append(l.diags, errorDiag("Phase dependency cycle",
			fmt.Sprintf("The phases of scenario %q depend on each other in a cycle: %s. A phase without depends_on follows the previous phase in file order.", st.s.Name, strings.Join(graph.Names(names, c), " → ")),
			rangePtr(subject), rangePtr(ps.block.DefRange)))
	}
}
