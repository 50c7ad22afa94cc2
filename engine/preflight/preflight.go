package preflight

import (
	"fmt"
	"sort"
	"strings"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/snowflake"
)

// LockWaiterLimit is how many statements Snowflake lets wait for one
// standard table's lock; more fail with error 000625.
const LockWaiterLimit = 20

// Warning codes.
const (
	CodeLockWaiters     = "lock-waiters"
	CodeSharedWarehouse = "shared-warehouse"
)

// Warning is one finding, in plan-view words.
type Warning struct {
	Code     string // CodeLockWaiters or CodeSharedWarehouse
	Scenario string // "" for a finding about templates only
	Node     string // plan node ("warmup", "phase.<name>"); "" when not per node
	Template string
	Summary  string // one line
	Detail   string // full sentences with what to do
}

// Options add what the files do not say.
type Options struct {
	// ResultsDSN is the results store chosen outside the files (-results,
	// FLAKEBENCH_RESULTS); "" means the files' results block, if any.
	ResultsDSN string
}

// Check returns the warnings for plan, built from cfg, in plan order.
func Check(cfg *dsl.Config, plan *engine.Plan, opts Options) []Warning {
	if cfg == nil || plan == nil {
		return nil
	}
	var out []Warning
	for _, rp := range plan.Runs {
		out = append(out, lockWaiters(cfg, rp)...)
		out = append(out, interactive(cfg, rp)...)
	}
	out = append(out, sharedWarehouse(cfg, plan, opts)...)
	return out
}

// snowflakeTemplate returns the template and its connection when the
// template benchmarks Snowflake.
func snowflakeTemplate(cfg *dsl.Config, name string) (*dsl.Template, *dsl.Connection) {
	t := cfg.Templates[name]
	if t == nil {
		return nil, nil
	}
	c := cfg.Connections[t.Connection]
	if c == nil || c.Type != dsl.ConnSnowflake {
		return nil, nil
	}
	return t, c
}

func writes(t *dsl.Template) []string {
	var out []string
	for _, name := range t.QueryOrder {
		if q := t.Queries[name]; q != nil && q.IsWrite() {
			out = append(out, name)
		}
	}
	return out
}

func lockWaiters(cfg *dsl.Config, rp engine.RunPlan) []Warning {
	var out []Warning
	firstTemplate := ""
	for _, n := range rp.Nodes {
		if n.Phase != nil && firstTemplate == "" {
			firstTemplate = n.Phase.Template
		}
	}
	for _, n := range rp.Nodes {
		var tmpl string
		var conns int64
		switch {
		case n.Phase != nil:
			tmpl, conns = n.Phase.Template, n.Phase.Connections
		case n.Warmup != nil:
			tmpl, conns = firstTemplate, n.Warmup.Connections
		default:
			continue
		}
		t, _ := snowflakeTemplate(cfg, tmpl)
		if t == nil || conns <= LockWaiterLimit {
			continue
		}
		if tt := t.TableType; tt != "" && tt != dsl.TableStandard {
			continue
		}
		w := writes(t)
		if len(w) == 0 {
			continue
		}
		out = append(out, Warning{
			Code: CodeLockWaiters, Scenario: rp.Scenario, Node: n.Name, Template: t.Name,
			Summary: fmt.Sprintf("%s may run %d concurrent sessions writing to standard table %s (Snowflake's lock-waiter limit is %d)",
				n.Name, conns, t.Table, LockWaiterLimit),
			Detail: fmt.Sprintf("Template %q writes (%s) to a standard table, where DML takes a table lock. Snowflake lets at most %d "+
				"statements wait for it and fails the rest with error 000625, so the run measures lock queueing and errors rather "+
				"than the warehouse. Use at most %d connections for this phase, a hybrid table, or separate tables per session.",
				t.Name, strings.Join(w, ", "), LockWaiterLimit, LockWaiterLimit),
		})
	}
	return out
}

// resultsWarehouse is the warehouse the results store writes through, and
// where that was decided.
func resultsWarehouse(cfg *dsl.Config, opts Options) (wh, account, from string) {
	if opts.ResultsDSN != "" {
		rest, ok := strings.CutPrefix(opts.ResultsDSN, "snowflake://")
		if !ok {
			return "", "", ""
		}
		cfg, err := snowflake.ParseStoreDSN(rest)
		if err != nil {
			return "", "", "" // the store's own open reports it
		}
		return cfg.Warehouse, cfg.Account, "-results"
	}
	if cfg.Results == nil {
		return "", "", ""
	}
	c := cfg.Connections[cfg.Results.Connection]
	if c == nil || c.Type != dsl.ConnSnowflake {
		return "", "", ""
	}
	return c.Get("warehouse"), accountOf(c), "the results block (connection." + c.Key() + ")"
}

func accountOf(c *dsl.Connection) string {
	if a := c.Params["account"]; a != "" {
		return a
	}
	if a := c.Get("account"); a != "" {
		return a
	}
	return c.Get("connection_name")
}

func sharedWarehouse(cfg *dsl.Config, plan *engine.Plan, opts Options) []Warning {
	rwh, racct, from := resultsWarehouse(cfg, opts)
	if rwh == "" {
		return nil
	}
	used := map[string]bool{}
	for _, rp := range plan.Runs {
		for _, n := range rp.Nodes {
			if n.Phase != nil {
				used[n.Phase.Template] = true
			}
		}
	}
	names := make([]string, 0, len(used))
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Warning
	for _, name := range names {
		t, c := snowflakeTemplate(cfg, name)
		if t == nil {
			continue
		}
		wh := c.Get("warehouse")
		if wh == "" || !strings.EqualFold(wh, rwh) {
			continue
		}
		if a := accountOf(c); a != "" && racct != "" && !strings.EqualFold(a, racct) {
			continue // same name, different account
		}
		out = append(out, Warning{
			Code: CodeSharedWarehouse, Template: name,
			Summary: fmt.Sprintf("template %q benchmarks warehouse %s, which the results store also uses", name, wh),
			Detail: fmt.Sprintf("The results store (chosen by %s) writes query executions, heartbeats and control events through "+
				"warehouse %s while the benchmark measures it: those writes queue with the measured queries and take "+
				"their compute. Give the results store its own warehouse (an X-Small is enough).", from, wh),
		})
	}
	return out
}
