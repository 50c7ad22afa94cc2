package compare

import (
	"fmt"
	"hash/fnv"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/load"
	"github.com/flakebench/fbctl/engine/results"
	"github.com/flakebench/fbctl/engine/store"
)

// FormatVersion is the version of the Comparison JSON (`fbctl compare
// -format json`); it changes when a consumer would have to.
const FormatVersion = "1"

// AllQueries is the query scope of a row over every query of a phase.
const AllQueries = "(all)"

// Verdicts.
const (
	Better       = "better"
	Worse        = "worse"
	Same         = "no significant change"
	Inconclusive = "inconclusive"
)

// Run is one side of a comparison, as stored.
type Run struct {
	Run    store.Run
	Plan   engine.RunPlan
	Phases []results.PhaseSummary // the parent row's PHASE_RESULTS
	Series []*results.Interval    // exact merged intervals (results.Series)
	Tags   map[string]string
}

// Options tune a comparison.
type Options struct {
	// Force turns refusing gates into warnings.
	Force bool
}

// Comparison is the result of Compare: plain, versioned data.
type Comparison struct {
	FormatVersion string      `json:"format_version"`
	Baseline      RunRef      `json:"baseline"`
	Candidate     RunRef      `json:"candidate"`
	Comparable    bool        `json:"comparable"`
	Gates         []Gate      `json:"gates"`
	Rows          []Row       `json:"rows"`
	Rules         []RuleCheck `json:"rules"`
	Summary       Summary     `json:"summary"`
}

// RunRef names a compared run.
type RunRef struct {
	RunID     string            `json:"run_id"`
	Scenario  string            `json:"scenario"`
	Status    string            `json:"status"`
	CreatedAt string            `json:"created_at"`
	Tags      map[string]string `json:"tags,omitempty"`
}

// Gate is one comparability check that found a difference. Refuse is set
// when the difference makes the numbers incomparable (and -force was not
// given); otherwise it is a warning.
type Gate struct {
	Check     string `json:"check"`
	Phase     string `json:"phase,omitempty"`
	Baseline  string `json:"baseline"`
	Candidate string `json:"candidate"`
	Refuse    bool   `json:"refuse"`
	Message   string `json:"message"`
}

// Row is one metric of one query scope of one phase on both sides.
// Baseline and Candidate are the exact values over the whole phase
// (latencies in microseconds, qps and dropped per second, error_rate a
// fraction); Change their relative change. The test runs on the
// per-interval values: N of each side, the medians' change's bootstrap
// CI, and the Mann–Whitney p.
type Row struct {
	Phase      string     `json:"phase"`
	Query      string     `json:"query"`
	Metric     dsl.Metric `json:"metric"`
	Baseline   float64    `json:"baseline"`
	Candidate  float64    `json:"candidate"`
	Change     *float64   `json:"change"` // null: undefined (a zero baseline)
	CILow      *float64   `json:"ci_low,omitempty"`
	CIHigh     *float64   `json:"ci_high,omitempty"`
	P          *float64   `json:"p,omitempty"`
	NBaseline  int        `json:"n_baseline"`
	NCandidate int        `json:"n_candidate"`
	Verdict    string     `json:"verdict"`
	Note       string     `json:"note,omitempty"`
}

// RuleCheck is one regression rule applied to one row.
type RuleCheck struct {
	engine.RegressionPlan
	RowPhase string   `json:"row_phase"`
	RowQuery string   `json:"row_query"`
	Change   *float64 `json:"change"`
	Verdict  string   `json:"verdict"`
	// Outcome is "pass", "violated" or "inconclusive".
	Outcome string `json:"outcome"`
	Message string `json:"message"`
}

// Summary counts the verdicts and rule outcomes.
type Summary struct {
	Better       int `json:"better"`
	Worse        int `json:"worse"`
	Same         int `json:"same"`
	Inconclusive int `json:"inconclusive"`
	Violated     int `json:"rules_violated"`
	RulesPassed  int `json:"rules_passed"`
	RulesUnknown int `json:"rules_inconclusive"`
}

func ref(r Run) RunRef {
	return RunRef{RunID: r.Run.ID, Scenario: r.Run.ScenarioName, Status: string(r.Run.Status),
		CreatedAt: r.Run.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"), Tags: userTags(r.Tags)}
}

func userTags(tags map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range tags {
		if len(k) < len(store.SystemTagPrefix) || k[:len(store.SystemTagPrefix)] != store.SystemTagPrefix {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Compare compares cand against base. The gates run first; when one
// refuses, Comparable is false and no row is computed.
func Compare(base, cand Run, o Options) *Comparison {
	c := &Comparison{FormatVersion: FormatVersion, Baseline: ref(base), Candidate: ref(cand), Gates: Gates(base, cand),
		Rows: []Row{}, Rules: []RuleCheck{}}
	c.Comparable = true
	for i := range c.Gates {
		if o.Force {
			c.Gates[i].Refuse = false
		}
		if c.Gates[i].Refuse {
			c.Comparable = false
		}
	}
	if !c.Comparable {
		return c
	}
	seed := seedOf(base.Run.ID, cand.Run.ID)
	bp, cp := phasesByName(base), phasesByName(cand)
	for _, ps := range cand.Phases {
		b, ok := bp[ps.Name]
		if !ok {
			continue
		}
		c.Rows = append(c.Rows, comparePhase(b, cp[ps.Name], phaseSeries(base.Series, ps.Name), phaseSeries(cand.Series, ps.Name), seed)...)
	}
	c.Rules = checkRules(cand.Plan.Regressions, c.Rows)
	for _, r := range c.Rows {
		switch r.Verdict {
		case Better:
			c.Summary.Better++
		case Worse:
			c.Summary.Worse++
		case Same:
			c.Summary.Same++
		default:
			c.Summary.Inconclusive++
		}
	}
	for _, r := range c.Rules {
		switch r.Outcome {
		case "violated":
			c.Summary.Violated++
		case "pass":
			c.Summary.RulesPassed++
		default:
			c.Summary.RulesUnknown++
		}
	}
	return c
}

func seedOf(a, b string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(a + "\x00" + b))
	return h.Sum64()
}

func phasesByName(r Run) map[string]results.PhaseSummary {
	m := map[string]results.PhaseSummary{}
	for _, p := range r.Phases {
		m[p.Name] = p
	}
	return m
}

// phaseSeries returns the phase's full intervals (results.FullIntervals).
func phaseSeries(all []*results.Interval, phase string) []*results.Interval {
	return results.FullIntervals(all, phase)
}

// scopes returns the query scopes of a phase: all queries, then each
// query both sides ran, by name.
func scopes(b, c results.PhaseSummary) []results.QueryKey {
	in := map[results.QueryKey]bool{}
	for _, q := range b.Queries {
		in[results.QueryKey{Template: q.Template, Query: q.Query}] = true
	}
	out := []results.QueryKey{{Query: AllQueries}}
	var qs []results.QueryKey
	for _, q := range c.Queries {
		k := results.QueryKey{Template: q.Template, Query: q.Query}
		if in[k] {
			qs = append(qs, k)
		}
	}
	sort.Slice(qs, func(i, j int) bool { return qs[i].Query < qs[j].Query })
	return append(out, qs...)
}

// exact returns the whole-phase value of metric for a scope.
func exact(p results.PhaseSummary, scope results.QueryKey, metric dsl.Metric) float64 {
	r := results.Reading{Latency: p.Latency, QPS: p.QPS, ErrorRate: p.ErrorRate, Dropped: results.PerSecond(p.Counts.Dropped, p.Seconds)}
	if scope.Query != AllQueries {
		for _, q := range p.Queries {
			if q.Template == scope.Template && q.Query == scope.Query {
				r.Latency, r.QPS, r.ErrorRate = q.Latency, q.QPS, q.ErrorRate
			}
		}
	}
	v, _ := r.Value(metric)
	return v
}

// samples returns one value of metric per interval for a scope. Latency
// intervals without an operation in scope give no sample.
func samples(ivs []*results.Interval, scope results.QueryKey, metric dsl.Metric) []float64 {
	keep := func(k histogram.Key) bool {
		return scope.Query == AllQueries || (k.Template == scope.Template && k.Query == scope.Query)
	}
	var out []float64
	var prevDropped int64
	for i, iv := range ivs {
		h := iv.Latency(keep)
		n := h.TotalCount()
		switch {
		case metric == dsl.MetricQPS:
			out = append(out, iv.PerSecond(n))
		case metric == dsl.MetricErrorRate:
			if n > 0 {
				bad := iv.Latency(func(k histogram.Key) bool { return keep(k) && !k.Success }).TotalCount()
				out = append(out, results.ErrorRate(bad, n))
			}
		case metric == dsl.MetricDropped:
			// Workers report the phase's dropped arrivals cumulatively.
			if i == 0 || iv.Index != ivs[i-1].Index+1 {
				prevDropped = 0
				if iv.Index > 0 {
					prevDropped = -1 // unknown start: skip this one
				}
			}
			if prevDropped >= 0 {
				out = append(out, iv.PerSecond(iv.Dropped-prevDropped))
			}
			prevDropped = iv.Dropped
		case metric.IsLatency():
			if n == 0 {
				continue
			}
			v, _ := results.Reading{Latency: histogram.Summarize(h)}.Value(metric)
			out = append(out, v)
		}
	}
	return out
}

func comparePhase(b, c results.PhaseSummary, bs, cs []*results.Interval, seed uint64) []Row {
	var rows []Row
	for _, sc := range scopes(b, c) {
		for _, m := range dsl.RegressionMetrics {
			if m.PerPhase() && (sc.Query != AllQueries || (b.Model == load.Closed && c.Model == load.Closed)) {
				continue // per phase only, and a closed model never drops
			}
			rows = append(rows, compareRow(b.Name, sc, m, exact(b, sc, m), exact(c, sc, m),
				samples(bs, sc, m), samples(cs, sc, m), seed))
		}
	}
	return rows
}

func ptr(f float64) *float64 { return &f }

func compareRow(phase string, sc results.QueryKey, metric dsl.Metric, bv, cv float64, bs, cs []float64, seed uint64) Row {
	r := Row{Phase: phase, Query: sc.Query, Metric: metric, Baseline: bv, Candidate: cv, NBaseline: len(bs), NCandidate: len(cs)}
	if ch := RelChange(bv, cv); !math.IsInf(ch, 0) {
		r.Change = ptr(ch)
	}
	if len(bs) < MinSamples || len(cs) < MinSamples {
		r.Verdict = Inconclusive
		r.Note = fmt.Sprintf("too few intervals (%d baseline, %d candidate; need at least %d on each side)", len(bs), len(cs), MinSamples)
		return r
	}
	p := MannWhitneyP(bs, cs)
	r.P = ptr(p)
	lo, hi, ok := BootstrapCI(bs, cs, seed^uint64(len(phase))^fnvOf(phase+sc.Query+string(metric)))
	if ok {
		r.CILow, r.CIHigh = ptr(lo), ptr(hi)
	}
	r.Verdict = Same
	excludesZero := ok && (lo > 0 || hi < 0)
	if !ok {
		// A zero baseline median: the test alone decides.
		excludesZero = true
	}
	if p < Alpha && excludesZero {
		up := Median(cs) > Median(bs)
		if up == metric.HigherIsBetter() {
			r.Verdict = Better
		} else {
			r.Verdict = Worse
		}
	}
	return r
}

func fnvOf(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// checkRules applies every regression rule to the rows in its scope: its
// phase (or every phase) and its query (or all queries).
func checkRules(rules []engine.RegressionPlan, rows []Row) []RuleCheck {
	out := []RuleCheck{}
	for _, rule := range rules {
		q := rule.Query
		if q == "" {
			q = AllQueries
		}
		matched := false
		for _, r := range rows {
			if r.Metric != rule.Metric || r.Query != q || (rule.Phase != "" && r.Phase != rule.Phase) {
				continue
			}
			matched = true
			out = append(out, applyRule(rule, r))
		}
		if !matched {
			out = append(out, RuleCheck{RegressionPlan: rule, RowPhase: rule.Phase, RowQuery: q, Outcome: "inconclusive",
				Message: fmt.Sprintf("regression rule %q: no phase of both runs measured %s of %s", rule.Name, rule.Metric, q)})
		}
	}
	return out
}

func applyRule(rule engine.RegressionPlan, r Row) RuleCheck {
	rc := RuleCheck{RegressionPlan: rule, RowPhase: r.Phase, RowQuery: r.Query, Change: r.Change, Verdict: r.Verdict}
	scope := fmt.Sprintf("%s of %s in phase %s", r.Metric, r.Query, r.Phase)
	limit, dir := 0.0, "grow"
	bad := false
	change := math.Inf(1)
	if r.Change != nil {
		change = *r.Change
	}
	if rule.MaxIncrease != nil {
		limit = *rule.MaxIncrease
		bad = change > limit
	} else if rule.MaxDecrease != nil {
		limit, dir = *rule.MaxDecrease, "fall"
		bad = -change > limit
	}
	// A move in the rule's direction counts only when it is significant:
	// the rule's bad direction is "worse" for latency and errors, and for
	// qps a decrease.
	significant := r.Verdict == Worse || r.Verdict == Better
	movedBadly := (rule.MaxIncrease != nil && r.Candidate > r.Baseline) || (rule.MaxDecrease != nil && r.Candidate < r.Baseline)
	switch {
	case r.Verdict == Inconclusive:
		rc.Outcome = "inconclusive"
		rc.Message = fmt.Sprintf("regression rule %q: %s cannot be decided: %s", rule.Name, scope, r.Note)
	case bad && significant && movedBadly:
		rc.Outcome = "violated"
		rc.Message = fmt.Sprintf("regression rule %q violated: %s changed %s, more than the %s it may %s (p = %.3g)",
			rule.Name, scope, FormatChange(r.Change), pct(limit), dir, deref(r.P))
	default:
		rc.Outcome = "pass"
		rc.Message = fmt.Sprintf("regression rule %q holds: %s changed %s (%s; may %s %s)", rule.Name, scope, FormatChange(r.Change), r.Verdict, dir, pct(limit))
	}
	return rc
}

func deref(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

func pct(f float64) string { return fmt.Sprintf("%.4g%%", f*100) }

// FormatChange renders a relative change: "+12.3%", "-4.0%", "new" for a
// zero baseline.
func FormatChange(c *float64) string {
	if c == nil {
		return "new"
	}
	return fmt.Sprintf("%+.1f%%", *c*100)
}

// Gates lists what differs between two runs that can make their numbers
// incomparable: scenario, each common phase's template hash, target
// connection, load model and worker layout, the templates' table types
// and warehouses (fbctl.* tags), the Snowflake warehouse size seen, and
// (as warnings) run status, sample rate and phases only one run has.
func Gates(base, cand Run) []Gate {
	var gs []Gate
	add := func(check, phase, b, c string, refuse bool, msg string) {
		gs = append(gs, Gate{Check: check, Phase: phase, Baseline: b, Candidate: c, Refuse: refuse, Message: msg})
	}
	if base.Run.ScenarioName != cand.Run.ScenarioName {
		add("scenario", "", base.Run.ScenarioName, cand.Run.ScenarioName, true,
			fmt.Sprintf("the runs are of different scenarios (%q and %q)", base.Run.ScenarioName, cand.Run.ScenarioName))
	}
	for _, side := range []struct {
		name string
		r    Run
	}{{"baseline", base}, {"candidate", cand}} {
		if side.r.Run.Status != store.RunCompleted {
			add("status", "", string(base.Run.Status), string(cand.Run.Status), false,
				fmt.Sprintf("the %s run %s is %s, not COMPLETED: its numbers may cover part of its phases", side.name, side.r.Run.ID, side.r.Run.Status))
		}
	}
	if base.Run.SampleRate != cand.Run.SampleRate {
		add("sample_rate", "", fmt.Sprint(base.Run.SampleRate), fmt.Sprint(cand.Run.SampleRate), false,
			"the runs stored QUERY_EXECUTIONS at different sample rates (the compared histograms hold every operation either way)")
	}
	bph, cph := planPhases(base.Plan), planPhases(cand.Plan)
	for _, name := range sortedNames(bph, cph) {
		b, inB := bph[name]
		c, inC := cph[name]
		switch {
		case !inB:
			add("phase", name, "(absent)", "present", false, fmt.Sprintf("phase %s is only in the candidate run and is not compared", name))
			continue
		case !inC:
			add("phase", name, "present", "(absent)", false, fmt.Sprintf("phase %s is only in the baseline run and is not compared", name))
			continue
		}
		if b.TemplateHash != c.TemplateHash {
			add("template_hash", name, b.TemplateHash, c.TemplateHash, true,
				fmt.Sprintf("phase %s ran template %q with different CONFIG (hash %s → %s): queries, table, table type or connection changed; `fbctl templates` shows the stored one", name, c.Template, short(b.TemplateHash), short(c.TemplateHash)))
		}
		if b.Connection != c.Connection {
			add("target", name, b.Connection, c.Connection, true, fmt.Sprintf("phase %s ran against connection %s, then %s", name, b.Connection, c.Connection))
		}
		if b.Model != c.Model {
			add("model", name, string(b.Model), string(c.Model), true, fmt.Sprintf("phase %s changed load model (%s → %s)", name, b.Model, c.Model))
		}
		if lb, lc := layout(b), layout(c); lb != lc {
			add("worker_layout", name, lb, lc, true, fmt.Sprintf("phase %s changed its worker layout (%s → %s)", name, lb, lc))
		}
	}
	for _, k := range sortedTagKeys(base.Tags, cand.Tags) {
		b, c := base.Tags[k], cand.Tags[k]
		if b != c {
			what := k[len(store.SystemTagPrefix):]
			add(what, "", orAbsent(b), orAbsent(c), true, fmt.Sprintf("%s differs: %s → %s", what, orAbsent(b), orAbsent(c)))
		}
	}
	bw, cw := warehouseSizes(base.Phases), warehouseSizes(cand.Phases)
	for _, name := range sortedNames(bw, cw) {
		if bw[name] != "" && cw[name] != "" && bw[name] != cw[name] {
			add("warehouse_size", name, bw[name], cw[name], true, fmt.Sprintf("phase %s ran on warehouse size %s, then %s", name, bw[name], cw[name]))
		}
	}
	return gs
}

func orAbsent(s string) string {
	if s == "" {
		return "(absent)"
	}
	return s
}

func short(h string) string {
	if len(h) > 19 {
		return h[:19]
	}
	return h
}

func planPhases(p engine.RunPlan) map[string]engine.PhasePlan {
	m := map[string]engine.PhasePlan{}
	for _, n := range p.Nodes {
		if n.Phase != nil {
			m[n.Phase.Name] = *n.Phase
		}
	}
	return m
}

// layout renders a phase's worker layout: workers × each one's share.
func layout(p engine.PhasePlan) string {
	shares := make([]string, 0, len(p.Assignments))
	for _, a := range p.Assignments {
		sh := fmt.Sprintf("%d sessions", a.Load.Sessions)
		if a.Load.MaxSessions > 0 {
			sh += fmt.Sprintf(" (max %d)", a.Load.MaxSessions)
		}
		if a.Load.Rate > 0 {
			sh += fmt.Sprintf(" at %g ops/s", a.Load.Rate)
		}
		shares = append(shares, sh)
	}
	return fmt.Sprintf("%d workers: %s", p.Workers, strings.Join(shares, "; "))
}

func warehouseSizes(ps []results.PhaseSummary) map[string]string {
	m := map[string]string{}
	for _, p := range ps {
		if p.Warehouse != nil {
			m[p.Name] = p.Warehouse.Size
		}
	}
	return m
}

func sortedNames[V any](a, b map[string]V) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func sortedTagKeys(a, b map[string]string) []string {
	var out []string
	for _, k := range sortedNames(a, b) {
		if len(k) > len(store.SystemTagPrefix) && k[:len(store.SystemTagPrefix)] == store.SystemTagPrefix {
			out = append(out, k)
		}
	}
	return out
}
