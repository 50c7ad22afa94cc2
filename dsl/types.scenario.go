package dsl

import (
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// DefaultSeed is the seed of a scenario without a seed attribute: the
// 64-bit FNV-1a hash of its name with the top bit cleared, so it is stable
// across runs, machines and versions and is never negative.
func DefaultSeed(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64() &^ (1 << 63))
}

// scenarioState holds per-scenario decoding state.
type scenarioState struct {
	s      *Scenario
	phases map[string]*phaseState
	// templateGiven: the scenario has a template attribute (so a phase
	// without one does not repeat an error about it).
	templateGiven bool
}

func (l *loader) decodeScenario(pf *parsedFile, b *hcl.Block) {
	name := b.Labels[0]
	if prev, ok := l.cfg.Scenarios[name]; ok {
		l.diags = append(l.diags, duplicate("scenario", name, prev.DeclRange, b.DefRange))
		return
	}
	s := &Scenario{Name: name, Seed: DefaultSeed(name), DeclRange: b.DefRange}
	l.cfg.Scenarios[name] = s
	l.cfg.ScenarioOrder = append(l.cfg.ScenarioOrder, name)
	st := &scenarioState{s: s, phases: map[string]*phaseState{}}

	content, diags := b.Body.Content(scenarioSchema)
	l.diags = append(l.diags, diags...)
	ctx := pf.ctx
	attrs := content.Attributes
	if a := attrs["description"]; a != nil {
		s.Description = l.sensitiveStr(a, ctx, &s.Sensitive, "description")
	}
	if a := attrs["template"]; a != nil {
		st.templateGiven = true
		if n, ok := l.templateRef(a.Expr, ctx); ok {
			s.Template = n
		}
	} else if len(l.cfg.TemplateOrder) == 1 {
		s.Template = l.cfg.TemplateOrder[0]
	}
	if a := attrs["seed"]; a != nil {
		n, ok, d := getInt(a, ctx)
		l.diags = append(l.diags, d...)
		if ok {
			s.Seed = n
		}
	}

	for _, kind := range []string{"setup", "teardown", "warmup", "sampling", "cache_warmup"} {
		blocks := content.Blocks.OfType(kind)
		for i, blk := range blocks {
			if i > 0 {
				l.diags = append(l.diags, errorDiag("Duplicate "+kind+" block",
					fmt.Sprintf("A %s block was already declared at %s; a scenario takes at most one.", kind, blocks[0].DefRange.String()),
					rangePtr(blk.DefRange), nil))
				continue
			}
			switch kind {
			case "setup":
				s.Setup = l.decodeSQLList(blk, ctx, &s.Sensitive, "setup")
			case "teardown":
				s.Teardown = l.decodeSQLList(blk, ctx, &s.Sensitive, "teardown")
			case "warmup":
				s.Warmup = l.decodeWarmup(blk, ctx)
			case "sampling":
				s.Sampling = l.decodeSampling(blk, ctx)
			case "cache_warmup":
				s.CacheWarmup = l.decodeCacheWarmup(blk, ctx)
			}
		}
	}

	phaseBlocks := content.Blocks.OfType("phase")
	var order []*phaseState
	for _, pb := range phaseBlocks {
		if ps := l.decodePhase(st, pb, ctx); ps != nil {
			order = append(order, ps)
		}
	}
	if len(phaseBlocks) == 0 {
		l.diags = append(l.diags, errorDiag("Missing phase block",
			fmt.Sprintf("The scenario %q has no phase blocks; a scenario needs at least one phase.", name),
			rangePtr(b.DefRange), nil))
	}
	l.resolvePhaseDeps(st, order)

	thresholdNames := map[string]*Threshold{}
	for _, tb := range content.Blocks.OfType("threshold") {
		if prev, ok := thresholdNames[tb.Labels[0]]; ok {
			l.diags = append(l.diags, duplicate("threshold", tb.Labels[0], prev.DeclRange, tb.DefRange))
			continue
		}
		if t := l.decodeThreshold(st, tb, ctx); t != nil {
			thresholdNames[t.Name] = t
			s.Thresholds = append(s.Thresholds, t)
		}
	}
	l.decodeRegressions(st, content.Blocks.OfType("regression"), ctx)
}

// templateRef resolves `template.NAME` or a string naming a template.
func (l *loader) templateRef(expr hcl.Expression, ctx *hcl.EvalContext) (string, bool) {
	name, ok := l.nameRef(expr, ctx, "template")
	if !ok {
		return "", false
	}
	if _, found := l.cfg.Templates[name]; !found {
		l.diags = append(l.diags, unknownName("Unknown template", "template", name, l.cfg.TemplateOrder, expr.Range()))
		return "", false
	}
	return name, true
}

// nameRef reads a reference written either as ROOT.NAME or as a string.
func (l *loader) nameRef(expr hcl.Expression, ctx *hcl.EvalContext, root string) (string, bool) {
	if tr, d := hcl.AbsTraversalForExpr(expr); !d.HasErrors() && tr.RootName() == root {
		if a, ok := tr[len(tr)-1].(hcl.TraverseAttr); ok && len(tr) == 2 {
			return a.Name, true
		}
		l.diags = append(l.diags, errorDiag("Invalid "+root+" reference",
			fmt.Sprintf("A %s reference has the form %s.NAME.", root, root), rangePtr(expr.Range()), nil))
		return "", false
	}
	v, sensitive, ok, d := evalExpr(expr, ctx)
	l.diags = append(l.diags, d...)
	if !ok {
		return "", false
	}
	if sensitive {
		l.diags = append(l.diags, errorDiag("Sensitive value not allowed",
			fmt.Sprintf("A %s reference names what the run does and is shown in plans, so it cannot come from a sensitive value.", root),
			rangePtr(expr.Range()), nil))
		return "", false
	}
	if v.Type() != cty.String {
		l.diags = append(l.diags, errorDiag("Invalid "+root+" reference",
			fmt.Sprintf("A %s reference is written %s.NAME or as a string with the name.", root, root), rangePtr(expr.Range()), nil))
		return "", false
	}
	return v.AsString(), true
}

// decodeSQLList reads a setup or teardown block; a statement from a
// sensitive value is recorded in sens as "KIND[I]".
func (l *loader) decodeSQLList(b *hcl.Block, ctx *hcl.EvalContext, sens *Sensitivity, kind string) []string {
	content, diags := b.Body.Content(sqlListSchema)
	l.diags = append(l.diags, diags...)
	if a := content.Attributes["sql"]; a != nil {
		list, sensitive, _, d := getStringList(a, ctx)
		l.diags = append(l.diags, d...)
		for i := range sensitive {
			sens.set(fmt.Sprintf("%s[%d]", kind, i))
			l.noteSecret(list[i])
		}
		return list
	}
	return nil
}

func (l *loader) decodeWarmup(b *hcl.Block, ctx *hcl.EvalContext) *Warmup {
	w := &Warmup{DeclRange: b.DefRange}
	content, diags := b.Body.Content(warmupSchema)
	l.diags = append(l.diags, diags...)
	if a := content.Attributes["duration"]; a != nil {
		d, _, dd := getDuration(a, ctx, true)
		l.diags = append(l.diags, dd...)
		l.durationAtMost(a, d, MaxDuration)
		w.Duration = d
	}
	if a := content.Attributes["connections"]; a != nil {
		n, _, d := getPositiveInt(a, ctx)
		l.diags = append(l.diags, d...)
		l.atMost(a, float64(n), MaxConnections, "")
		w.Connections = n
	}
	return w
}

func (l *loader) decodeSampling(b *hcl.Block, ctx *hcl.EvalContext) *Sampling {
	s := &Sampling{Rate: 1, DeclRange: b.DefRange}
	content, diags := b.Body.Content(samplingSchema)
	l.diags = append(l.diags, diags...)
	if a := content.Attributes["rate"]; a != nil {
		v, sensitive, ok, d := evalAttr(a, ctx)
		l.diags = append(l.diags, d...)
		switch {
		case ok && sensitive:
			l.diags = append(l.diags, sensitiveNotAllowed(a))
		case !ok:
		case v.Type() == cty.String && v.AsString() == "auto":
			s.Rate, s.Auto = 0, true
		case v.Type() == cty.Number:
			f, _ := v.AsBigFloat().Float64()
			if f > 0 && f <= 1 {
				s.Rate = f
				break
			}
			fallthrough
		default:
			l.diags = append(l.diags, errorDiag("Invalid sampling rate",
				fmt.Sprintf("The sampling rate must be a fraction in (0, 1] (1 stores every operation) or \"auto\"; got %s.", showValue(v)),
				rangePtr(a.Expr.Range()), rangePtr(a.Range)))
		}
	}
	if a := content.Attributes["max_rows_per_second"]; a != nil {
		n, _, d := getPositiveInt(a, ctx)
		l.diags = append(l.diags, d...)
		l.atMost(a, float64(n), MaxRowsPerSecond, "")
		s.MaxRowsPerSecond = n
	}
	return s
}

func showValue(v cty.Value) string {
	switch v.Type() {
	case cty.String:
		return fmt.Sprintf("%q", v.AsString())
	case cty.Number:
		return v.AsBigFloat().Text('g', 6)
	}
	return "a " + v.Type().FriendlyName()
}

func (l *loader) decodeThreshold(st *scenarioState, b *hcl.Block, ctx *hcl.EvalContext) *Threshold {
	t := &Threshold{Name: b.Labels[0], DeclRange: b.DefRange}
	content, diags := b.Body.Content(thresholdSchema)
	l.diags = append(l.diags, diags...)
	attrs := content.Attributes
	ok := !diags.HasErrors()
	if a := attrs["metric"]; a != nil {
		if s, good, d := getKeyword(a, ctx); !good {
			l.diags, ok = append(l.diags, d...), false
		} else if !slices.Contains(ThresholdMetrics, Metric(s)) {
			l.diags, ok = append(l.diags, unknownValue("Unknown metric", "threshold metric", s, kindNames(ThresholdMetrics), a.Expr.Range())), false
		} else {
			t.Metric = Metric(s)
		}
	}
	phase, query, scoped := l.decodeScope(st, attrs, ctx, "threshold")
	t.Phase, t.Query, ok = phase, query, ok && scoped
	below, above := attrs["below"], attrs["above"]
	switch {
	case below != nil && above != nil:
		l.diags = append(l.diags, errorDiag("Conflicting threshold bounds",
			fmt.Sprintf("The threshold %q sets both below and above; set exactly one.", t.Name),
			rangePtr(above.NameRange), rangePtr(above.Range)))
		return nil
	case below == nil && above == nil:
		l.diags = append(l.diags, errorDiag("Missing threshold bound",
			fmt.Sprintf("The threshold %q needs either below or above.", t.Name), rangePtr(b.DefRange), nil))
		return nil
	}
	bound := below
	if bound == nil {
		bound = above
	}
	var f float64
	var good bool
	var d hcl.Diagnostics
	if t.Metric.IsLatency() {
		f, good, d = l.latency(bound, ctx)
	} else {
		f, good, d = getFloat(bound, ctx)
	}
	l.diags = append(l.diags, d...)
	if !good || !ok {
		return nil
	}
	if bound == below {
		t.Below = &f
	} else {
		t.Above = &f
	}
	return t
}

func phaseNames(s *Scenario) []string {
	var out []string
	for _, p := range s.Phases {
		out = append(out, p.Name)
	}
	return out
}

// durationOr returns d, or def when d is zero.
func durationOr(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
