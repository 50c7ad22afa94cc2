package view

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/compare"
)

// CompareFormats are the renderers of `fbctl compare -format`.
var CompareFormats = map[string]func(io.Writer, *compare.Comparison) error{
	"table":    CompareTable,
	"markdown": CompareMarkdown,
	"json":     func(w io.Writer, c *compare.Comparison) error { return JSON(w, c) },
	"junit":    CompareJUnit,
	"github":   CompareGitHub,
}

// CompareValue renders one compared value of metric: latencies (µs) as
// durations ("0" for none), qps and dropped per second, error_rate as a
// percentage.
func CompareValue(metric dsl.Metric, v float64) string {
	switch metric {
	case dsl.MetricQPS:
		return fmt.Sprintf("%.1f/s", v)
	case dsl.MetricDropped:
		return fmt.Sprintf("%.2f/s", v)
	case dsl.MetricErrorRate:
		return fmt.Sprintf("%.2f%%", v*100)
	}
	if v == 0 {
		return "0"
	}
	return Micros(int64(v + 0.5))
}

var metricLabel = map[dsl.Metric]string{dsl.MetricQPS: "ops/s", dsl.MetricP50: "p50", dsl.MetricP95: "p95", dsl.MetricP99: "p99",
	dsl.MetricP999: "p99.9", dsl.MetricMax: "max", dsl.MetricErrorRate: "error rate", dsl.MetricDropped: "dropped"}

func ci(r compare.Row) string {
	if r.CILow == nil {
		return "-"
	}
	return fmt.Sprintf("[%+.1f%%, %+.1f%%]", *r.CILow*100, *r.CIHigh*100)
}

func pval(r compare.Row) string {
	if r.P == nil {
		return "-"
	}
	if *r.P < 0.001 {
		return "<0.001"
	}
	return fmt.Sprintf("%.3f", *r.P)
}

func verdictMark(v string) string {
	switch v {
	case compare.Better:
		return "better"
	case compare.Worse:
		return "WORSE"
	case compare.Same:
		return "~"
	}
	return "?"
}

func compareHeader(c *compare.Comparison) string {
	tags := func(r compare.RunRef) string {
		var parts []string
		for k, v := range r.Tags {
			parts = append(parts, k+"="+v)
		}
		if len(parts) == 0 {
			return ""
		}
		sortStrings(parts)
		return " [" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprintf("Baseline  %s (%s, %s, %s)%s\nCandidate %s (%s, %s, %s)%s\n",
		c.Baseline.RunID, c.Baseline.Scenario, c.Baseline.Status, c.Baseline.CreatedAt, tags(c.Baseline),
		c.Candidate.RunID, c.Candidate.Scenario, c.Candidate.Status, c.Candidate.CreatedAt, tags(c.Candidate))
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// CompareTable renders a comparison for a terminal.
func CompareTable(w io.Writer, c *compare.Comparison) error {
	fmt.Fprint(w, compareHeader(c))
	for _, g := range c.Gates {
		kind := "warning"
		if g.Refuse {
			kind = "NOT COMPARABLE"
		}
		fmt.Fprintf(w, "%s: %s\n", kind, g.Message)
	}
	if !c.Comparable {
		fmt.Fprintln(w, "\nThe runs are not compared: fix what differs, or give -force to compare them anyway.")
		return nil
	}
	fmt.Fprintln(w, "\nBaseline and candidate are exact over each phase; the test runs on the per-interval values")
	fmt.Fprintf(w, "(Mann–Whitney U, α = %.2f; 95%% bootstrap CI of the change of the interval medians).\n", compare.Alpha)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	phase := ""
	for _, r := range c.Rows {
		if r.Phase != phase {
			phase = r.Phase
			fmt.Fprintf(tw, "\nphase %s\t\t\t\t\t\t\t\t\n", phase)
			fmt.Fprintln(tw, "QUERY\tMETRIC\tBASELINE\tCANDIDATE\tCHANGE\t95% CI\tP\tN\tVERDICT\t")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\t\n", r.Query, metricLabel[r.Metric],
			CompareValue(r.Metric, r.Baseline), CompareValue(r.Metric, r.Candidate), compare.FormatChange(r.Change),
			ci(r), pval(r), r.NBaseline, r.NCandidate, verdictMark(r.Verdict))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	notes := map[string]bool{}
	for _, r := range c.Rows {
		if r.Note != "" && !notes[r.Phase+r.Note] {
			notes[r.Phase+r.Note] = true
			fmt.Fprintf(w, "? phase %s: %s\n", r.Phase, r.Note)
		}
	}
	s := c.Summary
	fmt.Fprintf(w, "\n%d better, %d worse, %d no significant change, %d inconclusive.\n", s.Better, s.Worse, s.Same, s.Inconclusive)
	if len(c.Rules) > 0 {
		fmt.Fprintln(w, "\nRegression rules:")
		for _, r := range c.Rules {
			fmt.Fprintf(w, "  %-12s %s (%s:%d)\n", strings.ToUpper(r.Outcome), r.Message, r.File, r.Line)
		}
	} else {
		fmt.Fprintln(w, "The scenario declares no regression rule: the exit code is 0 unless -fail-on-worse.")
	}
	return nil
}

// CompareMarkdown renders a comparison for a pull-request comment or
// $GITHUB_STEP_SUMMARY: rules and significant changes first, every row
// in a collapsed section.
func CompareMarkdown(w io.Writer, c *compare.Comparison) error {
	fmt.Fprintf(w, "### fbctl compare: %s\n\n", c.Candidate.Scenario)
	fmt.Fprintf(w, "Baseline `%s` (%s) → candidate `%s` (%s)\n\n", c.Baseline.RunID, c.Baseline.CreatedAt, c.Candidate.RunID, c.Candidate.CreatedAt)
	for _, g := range c.Gates {
		kind := "⚠️ warning"
		if g.Refuse {
			kind = "⛔ not comparable"
		}
		fmt.Fprintf(w, "- %s: %s\n", kind, mdEscape(g.Message))
	}
	if !c.Comparable {
		fmt.Fprintln(w, "\nThe runs were not compared.")
		return nil
	}
	s := c.Summary
	if len(c.Gates) > 0 {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "**%d worse, %d better**, %d no significant change, %d inconclusive", s.Worse, s.Better, s.Same, s.Inconclusive)
	if len(c.Rules) > 0 {
		fmt.Fprintf(w, "; regression rules: %d violated, %d passed, %d inconclusive", s.Violated, s.RulesPassed, s.RulesUnknown)
	}
	fmt.Fprintln(w, ".")
	if len(c.Rules) > 0 {
		fmt.Fprintln(w, "\n| rule | scope | change | outcome |\n|---|---|---:|---|")
		for _, r := range c.Rules {
			icon := map[string]string{"pass": "✅ pass", "violated": "❌ violated", "inconclusive": "❔ inconclusive"}[r.Outcome]
			fmt.Fprintf(w, "| `%s` (%s:%d) | %s of %s in %s | %s | %s |\n", r.Name, r.File, r.Line, metricLabel[r.Metric], r.RowQuery, r.RowPhase, compare.FormatChange(r.Change), icon)
		}
	}
	table := func(rows []compare.Row) {
		fmt.Fprintln(w, "\n| phase | query | metric | baseline | candidate | change | 95% CI | p | verdict |\n|---|---|---|---:|---:|---:|---:|---:|---|")
		for _, r := range rows {
			fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", r.Phase, r.Query, metricLabel[r.Metric],
				CompareValue(r.Metric, r.Baseline), CompareValue(r.Metric, r.Candidate), compare.FormatChange(r.Change), ci(r), pval(r), r.Verdict)
		}
	}
	var moved []compare.Row
	for _, r := range c.Rows {
		if r.Verdict == compare.Worse || r.Verdict == compare.Better {
			moved = append(moved, r)
		}
	}
	if len(moved) > 0 {
		fmt.Fprintln(w, "\nSignificant changes:")
		table(moved)
	}
	fmt.Fprintln(w, "\n<details><summary>Every phase, query and metric</summary>")
	table(c.Rows)
	fmt.Fprintln(w, "\n</details>")
	fmt.Fprintln(w, "\nBaseline and candidate are exact over each phase; verdicts come from a Mann–Whitney U test on the per-interval values (α = 0.05) with a 95 % bootstrap CI of the change of the interval medians.")
	return nil
}

func mdEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// CompareJUnit renders a comparison as JUnit XML: one test case for the
// comparability gates, one per regression rule and row it applies to
// (violated: a failure; inconclusive: skipped) and, without rules, one per
// significantly worse row as a failure.
func CompareJUnit(w io.Writer, c *compare.Comparison) error {
	s := junitSuite{Name: "fbctl compare " + c.Candidate.Scenario}
	class := "fbctl.compare." + c.Candidate.Scenario
	gate := junitCase{Name: "comparable", Classname: class}
	if !c.Comparable {
		var msgs []string
		for _, g := range c.Gates {
			if g.Refuse {
				msgs = append(msgs, g.Message)
			}
		}
		gate.Failure = &junitMessage{Message: "the runs are not comparable", Text: strings.Join(msgs, "\n")}
	}
	s.Cases = append(s.Cases, gate)
	for _, r := range c.Rules {
		tc := junitCase{Name: fmt.Sprintf("%s (%s, %s)", r.Name, r.RowPhase, r.RowQuery), Classname: class, File: r.File, Line: r.Line}
		switch r.Outcome {
		case "violated":
			tc.Failure = &junitMessage{Message: "regression rule violated", Text: r.Message}
		case "inconclusive":
			tc.Skipped = &junitMessage{Message: r.Message}
		}
		s.Cases = append(s.Cases, tc)
	}
	covered := map[[3]string]bool{}
	for _, r := range c.Rules {
		covered[[3]string{r.RowPhase, r.RowQuery, string(r.Metric)}] = true
	}
	for _, r := range c.Rows {
		if r.Verdict != compare.Worse || covered[[3]string{r.Phase, r.Query, string(r.Metric)}] {
			continue
		}
		tc := junitCase{Name: fmt.Sprintf("%s %s of %s", r.Phase, metricLabel[r.Metric], r.Query), Classname: class + ".verdicts"}
		msg := fmt.Sprintf("%s of %s in phase %s: %s → %s (%s, 95%% CI %s, p = %s)", metricLabel[r.Metric], r.Query, r.Phase,
			CompareValue(r.Metric, r.Baseline), CompareValue(r.Metric, r.Candidate), compare.FormatChange(r.Change), ci(r), pval(r))
		if len(c.Rules) == 0 {
			tc.Failure = &junitMessage{Message: "worse", Text: msg}
		} else {
			tc.Skipped = &junitMessage{Message: "worse, but no regression rule covers it: " + msg}
		}
		s.Cases = append(s.Cases, tc)
	}
	for _, tc := range s.Cases {
		s.Tests++
		if tc.Failure != nil {
			s.Failures++
		}
		if tc.Skipped != nil {
			s.Skipped++
		}
	}
	fmt.Fprint(w, xml.Header)
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{s}}); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w)
	return err
}

// maxAnnotations is how many error annotations are written: GitHub keeps
// 10 per step, one is the summary.
const maxAnnotations = 9

// CompareGitHub renders a comparison as GitHub Actions workflow commands:
// an error annotation at the scenario file and line of each violated
// rule, warnings for gates and undecided rules, and a summary notice.
func CompareGitHub(w io.Writer, c *compare.Comparison) error {
	for _, g := range c.Gates {
		level := "warning"
		if g.Refuse {
			level = "error"
		}
		fmt.Fprintf(w, "::%s title=%s::%s\n", level, ghProp("fbctl compare: "+g.Check), ghData(g.Message))
	}
	n := 0
	for _, r := range c.Rules {
		level := map[string]string{"violated": "error", "inconclusive": "warning"}[r.Outcome]
		if level == "" {
			continue
		}
		if level == "error" {
			if n++; n > maxAnnotations {
				continue
			}
		}
		fmt.Fprintf(w, "::%s file=%s,line=%d,col=%d,title=%s::%s\n", level, ghProp(r.File), r.Line, r.Column,
			ghProp("regression rule "+r.Name), ghData(r.Message))
	}
	s := c.Summary
	msg := fmt.Sprintf("%s: %d worse, %d better, %d no significant change, %d inconclusive; rules %d violated, %d passed, %d inconclusive",
		c.Candidate.Scenario, s.Worse, s.Better, s.Same, s.Inconclusive, s.Violated, s.RulesPassed, s.RulesUnknown)
	if !c.Comparable {
		msg = c.Candidate.Scenario + ": the runs are not comparable"
	}
	if n > maxAnnotations {
		msg += fmt.Sprintf(" (%d more violations not annotated)", n-maxAnnotations)
	}
	_, err := fmt.Fprintf(w, "::notice title=fbctl compare::%s\n", ghData(msg))
	return err
}

func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghProp(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// writeRegressions lists a run plan's regression rules (for `fbctl plan`).
func writeRegressions(b *strings.Builder, rs []engine.RegressionPlan) {
	if len(rs) == 0 {
		return
	}
	b.WriteString("  regression rules (fbctl compare against a baseline run):\n")
	for _, r := range rs {
		scope := "all queries"
		if r.Query != "" {
			scope = "query " + r.Query
		}
		if r.Phase != "" {
			scope += ", phase " + r.Phase
		} else {
			scope += ", each phase"
		}
		rule := ""
		if r.MaxIncrease != nil {
			rule = fmt.Sprintf("may grow at most %.4g%%", *r.MaxIncrease*100)
		} else if r.MaxDecrease != nil {
			rule = fmt.Sprintf("may fall at most %.4g%%", *r.MaxDecrease*100)
		}
		fmt.Fprintf(b, "    %-24s %s %s (%s)\n", r.Name, metricLabel[r.Metric], rule, scope)
	}
}
