package dsl

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// Regression is a `regression` block of a scenario: how much a metric may
// change against a baseline run before `fbctl compare` fails. Exactly one
// of MaxIncrease/MaxDecrease is set, as a fraction of the baseline (0.1:
// 10 %).
type Regression struct {
	Name        string
	Metric      Metric
	Query       string // "": all queries
	Phase       string // "": every measurement phase, each on its own
	MaxIncrease *float64
	MaxDecrease *float64
	DeclRange   hcl.Range
}

var regressionSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "metric", Required: true},
		{Name: "query"},
		{Name: "phase"},
		{Name: "max_increase"},
		{Name: "max_decrease"},
	},
}

// decodeRegressions decodes the scenario's regression blocks.
func (l *loader) decodeRegressions(st *scenarioState, blocks hcl.Blocks, ctx *hcl.EvalContext) {
	names := map[string]*Regression{}
	for _, b := range blocks {
		if prev, ok := names[b.Labels[0]]; ok {
			l.diags = append(l.diags, duplicate("regression", b.Labels[0], prev.DeclRange, b.DefRange))
			continue
		}
		if r := l.decodeRegression(st, b, ctx); r != nil {
			names[r.Name] = r
			st.s.Regressions = append(st.s.Regressions, r)
		}
	}
}

func (l *loader) decodeRegression(st *scenarioState, b *hcl.Block, ctx *hcl.EvalContext) *Regression {
	r := &Regression{Name: b.Labels[0], DeclRange: b.DefRange}
	content, diags := b.Body.Content(regressionSchema)
	l.diags = append(l.diags, diags...)
	attrs := content.Attributes
	ok := !diags.HasErrors()
	if a := attrs["metric"]; a != nil {
		if s, good, d := getKeyword(a, ctx); !good {
			l.diags, ok = append(l.diags, d...), false
		} else if !slices.Contains(RegressionMetrics, Metric(s)) {
			l.diags, ok = append(l.diags, unknownValue("Unknown metric", "regression metric", s, kindNames(RegressionMetrics), a.Expr.Range())), false
		} else {
			r.Metric = Metric(s)
		}
	}
	phase, query, scoped := l.decodeScope(st, attrs, ctx, "regression rule")
	r.Phase, r.Query, ok = phase, query, ok && scoped
	if a := attrs["query"]; a != nil && ok && r.Metric.PerPhase() {
		l.diags = append(l.diags, errorDiag("Query scope not allowed",
			fmt.Sprintf("The regression rule %q watches dropped arrivals, which are counted per phase, not per query; remove the query attribute.", r.Name),
			rangePtr(a.NameRange), rangePtr(a.Range)))
		ok = false
	}
	inc, dec := attrs["max_increase"], attrs["max_decrease"]
	switch {
	case inc != nil && dec != nil:
		l.diags = append(l.diags, errorDiag("Conflicting regression limits",
			fmt.Sprintf("The regression rule %q sets both max_increase and max_decrease; set exactly one.", r.Name),
			rangePtr(dec.NameRange), rangePtr(dec.Range)))
		return nil
	case inc == nil && dec == nil:
		l.diags = append(l.diags, errorDiag("Missing regression limit",
			fmt.Sprintf("The regression rule %q needs max_increase (latency, errors: e.g. \"10%%\") or max_decrease (qps: e.g. \"5%%\").", r.Name),
			rangePtr(b.DefRange), nil))
		return nil
	}
	limit := inc
	if limit == nil {
		limit = dec
	}
	f, good := l.fraction(limit, ctx)
	if !good || !ok {
		return nil
	}
	if limit == inc {
		r.MaxIncrease = &f
	} else {
		r.MaxDecrease = &f
	}
	return r
}

// fraction reads a relative change: "10%" or 0.1, at least zero.
func (l *loader) fraction(a *hcl.Attribute, ctx *hcl.EvalContext) (float64, bool) {
	v, sensitive, ok, d := evalExpr(a.Expr, ctx)
	l.diags = append(l.diags, d...)
	if !ok {
		return 0, false
	}
	if sensitive {
		l.diags = append(l.diags, sensitiveNotAllowed(a))
		return 0, false
	}
	bad := func(got string) (float64, bool) {
		l.diags = append(l.diags, errorDiag("Invalid "+a.Name,
			fmt.Sprintf("The %s must be a percentage such as \"10%%\" or a fraction such as 0.1, at least zero; got %s.", a.Name, got),
			rangePtr(a.Expr.Range()), rangePtr(a.Range)))
		return 0, false
	}
	var f float64
	switch {
	case v.IsNull() || !v.IsKnown():
		return bad("no value")
	case v.Type() == cty.Number:
		f, _ = v.AsBigFloat().Float64()
	case v.Type() == cty.String:
		s := strings.TrimSpace(v.AsString())
		num, isPct := strings.CutSuffix(s, "%")
		p, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if err != nil || !isPct {
			return bad(fmt.Sprintf("%q (a string needs a number followed by %%)", s))
		}
		f = p / 100
	default:
		return bad("a " + v.Type().FriendlyName())
	}
	if f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		return bad(strconv.FormatFloat(f, 'g', -1, 64))
	}
	return f, true
}
