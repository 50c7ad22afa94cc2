package compare

import (
	"math/rand/v2"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
)

var t0 = time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)

// synthRun builds a stored-looking run of one closed phase "steady" with
// queries lookup and insert: intervals one-second long, lookupUS the
// typical lookup latency, each interval drawn from rng.
func synthRun(id string, intervals int, lookupUS float64, seed uint64, rules ...engine.RegressionPlan) Run {
	rng := rand.New(rand.NewPCG(seed, 1))
	all := histogram.New()
	perQuery := map[string]*hdr.Histogram{"lookup": histogram.New(), "insert": histogram.New()}
	var ivs []*results.Interval
	for i := range intervals {
		iv := &results.Interval{Phase: "steady", Index: int64(i), Start: t0.Add(time.Duration(i) * time.Second), Length: time.Second,
			Workers: 1, Hists: map[histogram.Key]*hdr.Histogram{}}
		for _, qt := range []struct {
			q       string
			typical float64
		}{{"lookup", lookupUS}, {"insert", 800}} { // a fixed order: the same seed gives the same run
			q, typical := qt.q, qt.typical
			h := histogram.New()
			for range 500 {
				v := int64(typical * (0.5 + rng.Float64()) * (1 + 4*rng.Float64()*rng.Float64()))
				_ = h.RecordValue(v)
				_ = all.RecordValue(v)
				_ = perQuery[q].RecordValue(v)
			}
			iv.Hists[histogram.Key{Metric: histogram.MetricLatency, Phase: "steady", Template: "orders", Query: q, Success: true}] = h
		}
		ivs = append(ivs, iv)
	}
	secs := float64(intervals)
	ps := results.PhaseSummary{Name: "steady", Model: "closed", Workers: 1, Seconds: secs,
		Counts: results.Counts{Total: all.TotalCount(), OK: all.TotalCount()}, QPS: float64(all.TotalCount()) / secs,
		Latency: histogram.Summarize(all)}
	for _, q := range []string{"insert", "lookup"} {
		h := perQuery[q]
		ps.Queries = append(ps.Queries, results.QuerySummary{Template: "orders", Query: q, Ops: h.TotalCount(),
			QPS: float64(h.TotalCount()) / secs, Latency: histogram.Summarize(h)})
	}
	plan := engine.RunPlan{Scenario: "nightly", Regressions: rules, Nodes: []engine.Node{{Kind: engine.NodePhase, Name: "phase.steady",
		Phase: &engine.PhasePlan{Name: "steady", Template: "orders", TemplateHash: "sha256:aaaa", Connection: "sqlite.local", Model: "closed", Workers: 1}}}}
	return Run{Run: store.Run{ID: id, ScenarioName: "nightly", Status: store.RunCompleted, CreatedAt: t0, SampleRate: 1},
		Plan: plan, Phases: []results.PhaseSummary{ps}, Series: ivs,
		Tags: map[string]string{"fbctl.template.orders.table_type": "sqlite"}}
}

func rowOf(t *testing.T, c *Comparison, query string, metric dsl.Metric) Row {
	t.Helper()
	for _, r := range c.Rows {
		if r.Query == query && r.Metric == metric {
			return r
		}
	}
	t.Fatalf("no row %s %s", query, metric)
	return Row{}
}

var tenPercent = 0.10

var lookupRule = engine.RegressionPlan{Name: "lookup_p99", Metric: "p99", Query: "lookup", MaxIncrease: &tenPercent,
	File: "scenarios/nightly.fb.hcl", Line: 42, Column: 3}

func TestInjectedSlowdownIsWorseAndViolatesTheRule(t *testing.T) {
	base := synthRun("base", 10, 100, 1)
	cand := synthRun("cand", 10, 300, 2, lookupRule) // lookups three times slower
	c := Compare(base, cand, Options{})
	if !c.Comparable {
		t.Fatalf("gates refused: %+v", c.Gates)
	}
	for _, m := range []dsl.Metric{dsl.MetricP50, dsl.MetricP99} {
		if r := rowOf(t, c, "lookup", m); r.Verdict != Worse || r.CILow == nil || *r.CILow <= 0 {
			t.Errorf("lookup %s: %+v, want worse with a CI above zero", m, r)
		}
	}
	if r := rowOf(t, c, "insert", "p50"); r.Verdict != Same {
		t.Errorf("insert p50 did not change: %+v", r)
	}
	if len(c.Rules) != 1 || c.Rules[0].Outcome != "violated" || c.Summary.Violated != 1 {
		t.Fatalf("rules: %+v", c.Rules)
	}
}

func TestSameScenarioTwiceIsNoSignificantChange(t *testing.T) {
	c := Compare(synthRun("a", 10, 100, 3), synthRun("b", 10, 100, 4, lookupRule), Options{})
	if c.Rules[0].Outcome != "pass" {
		t.Fatalf("rule: %+v", c.Rules[0])
	}
	if r := rowOf(t, c, "lookup", "p50"); r.Verdict != Same {
		t.Fatalf("lookup p50 of two runs of one distribution: %+v", r)
	}
}

// TestFalsePositiveRateIsAboutAlpha compares 40 pairs of runs drawn from
// one distribution: the share of rows called better or worse must stay
// near α (each row is its own test; there is no correction for the many
// rows of a comparison, which is why rules, not verdicts, gate CI).
func TestFalsePositiveRateIsAboutAlpha(t *testing.T) {
	var rows, flagged int
	for seed := range uint64(40) {
		c := Compare(synthRun("a", 10, 100, 100+seed), synthRun("b", 10, 100, 500+seed), Options{})
		for _, r := range c.Rows {
			if r.Verdict == Inconclusive {
				continue
			}
			rows++
			if r.Verdict != Same {
				flagged++
			}
		}
	}
	rate := float64(flagged) / float64(rows)
	t.Logf("%d of %d rows flagged between runs of one distribution (%.1f%%)", flagged, rows, 100*rate)
	if rate > 2*Alpha {
		t.Fatalf("%.1f%% of rows flagged, want about α = %.0f%%", 100*rate, 100*Alpha)
	}
}

func TestTooFewIntervalsIsInconclusive(t *testing.T) {
	c := Compare(synthRun("a", 3, 100, 5), synthRun("b", 10, 300, 6, lookupRule), Options{})
	r := rowOf(t, c, "lookup", "p99")
	if r.Verdict != Inconclusive || r.Note == "" || r.P != nil {
		t.Fatalf("3 baseline intervals: %+v", r)
	}
	if c.Rules[0].Outcome != "inconclusive" || c.Summary.RulesUnknown != 1 {
		t.Fatalf("rule: %+v", c.Rules[0])
	}
}

func TestGatesRefuseDifferentTemplatesAndTableTypes(t *testing.T) {
	base, cand := synthRun("a", 8, 100, 7), synthRun("b", 8, 100, 8)
	cand.Plan.Nodes[0].Phase.TemplateHash = "sha256:bbbb"
	cand.Tags["fbctl.template.orders.table_type"] = "hybrid"
	cand.Plan.Nodes[0].Phase.Workers = 2
	c := Compare(base, cand, Options{})
	if c.Comparable || len(c.Rows) != 0 {
		t.Fatalf("compared incomparable runs: %+v", c.Gates)
	}
	checks := map[string]bool{}
	for _, g := range c.Gates {
		checks[g.Check] = g.Refuse
	}
	for _, want := range []string{"template_hash", "template.orders.table_type", "worker_layout"} {
		if !checks[want] {
			t.Errorf("gate %s did not refuse: %+v", want, c.Gates)
		}
	}
	if c := Compare(base, cand, Options{Force: true}); !c.Comparable || len(c.Rows) == 0 {
		t.Fatalf("-force did not compare: %+v", c.Gates)
	}
}

func TestPartialLastIntervalIsLeftOut(t *testing.T) {
	r := synthRun("a", 6, 100, 9)
	r.Series[5].Length = 20 * time.Millisecond
	if got := len(phaseSeries(r.Series, "steady")); got != 5 {
		t.Fatalf("%d intervals, want 5 (the 20ms one left out)", got)
	}
}
