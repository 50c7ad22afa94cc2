package preflight

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
)

// Codes of the interactive-table checks.
const (
	CodeInteractiveShape   = "interactive-query-shape"
	CodeInteractiveNoWarm  = "interactive-no-cache-warmup"
	CodeInteractiveTimeout = "interactive-statement-timeout"
)

var (
	joinRE  = regexp.MustCompile(`(?i)\bJOIN\b`)
	writeRE = regexp.MustCompile(`(?i)^\s*(INSERT|UPDATE|DELETE|MERGE)\b`)
)

// interactive warns about what Snowflake documents for interactive tables
// and warehouses: they serve simple selective SELECTs and GROUP BY on a few
// dimensions, not large joins or DML; their cache warms slowly, so a run
// without a cache_warmup measures the warming; and queries run under the
// warehouse's STATEMENT_TIMEOUT_IN_SECONDS, recorded in the fingerprint.
func interactive(cfg *dsl.Config, rp engine.RunPlan) []Warning {
	var out []Warning
	seen := map[string]bool{}
	warm := false
	for _, n := range rp.Nodes {
		warm = warm || n.CacheWarmup != nil
	}
	for _, n := range rp.Nodes {
		if n.Phase == nil || seen[n.Phase.Template] {
			continue
		}
		seen[n.Phase.Template] = true
		t, _ := snowflakeTemplate(cfg, n.Phase.Template)
		if t == nil || t.TableType != dsl.TableInteractive {
			continue
		}
		var joins, dml []string
		for _, name := range t.QueryOrder {
			q := t.Queries[name]
			if writeRE.MatchString(q.SQL) {
				dml = append(dml, name)
			} else if joinRE.MatchString(q.SQL) {
				joins = append(joins, name)
			}
		}
		sort.Strings(joins)
		if len(joins) > 0 {
			out = append(out, Warning{Code: CodeInteractiveShape, Scenario: rp.Scenario, Template: t.Name,
				Summary: fmt.Sprintf("template %s joins on an interactive table (%s)", t.Name, strings.Join(joins, ", ")),
				Detail: "Interactive warehouses serve simple selective SELECTs and GROUP BY on a few dimensions best; large joins " +
					"may be slow or hit the warehouse's statement timeout. Measure joins on a standard warehouse too before comparing."})
		}
		if len(dml) > 0 {
			out = append(out, Warning{Code: CodeInteractiveShape, Scenario: rp.Scenario, Template: t.Name,
				Summary: fmt.Sprintf("template %s writes to an interactive table (%s)", t.Name, strings.Join(dml, ", ")),
				Detail: "Interactive tables are created by CREATE … AS SELECT (static) or refreshed from their source (dynamic, TARGET_LAG); " +
					"DML on them is not what they are for and may be refused. Write to the source table instead."})
		}
		if !warm {
			out = append(out, Warning{Code: CodeInteractiveNoWarm, Scenario: rp.Scenario, Template: t.Name,
				Summary: fmt.Sprintf("scenario %s has no cache_warmup for interactive table %s", rp.Scenario, t.Table),
				Detail: "An interactive warehouse's cache warming may take significant time and changes latency by orders of magnitude; " +
					"without a cache_warmup block the first phase measures the warming. Add cache_warmup { max_duration = \"5m\" }."})
		}
		out = append(out, Warning{Code: CodeInteractiveTimeout, Scenario: rp.Scenario, Template: t.Name,
			Summary: fmt.Sprintf("queries of %s run under the interactive warehouse's statement timeout", t.Name),
			Detail: "Uncached queries on an interactive warehouse are cut off at its STATEMENT_TIMEOUT_IN_SECONDS (reported as short; " +
				"UNVERIFIED): timeouts count as errors. The run records the value in its fingerprint (fbctl show)."})
	}
	return out
}
