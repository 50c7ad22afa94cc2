package engine

import (
	"fmt"
	"strings"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/load"
)

// NodeCacheWarmup is the cache warm-up node: after setup, before the
// warmup and phases, one session issues the template's queries until the
// median latency is stable; its operations are excluded from results and
// its curve is recorded on its own.
const NodeCacheWarmup NodeKind = "cache_warmup"

// CacheWarmupPlan is a cache_warmup node.
type CacheWarmupPlan struct {
	Template    string        `json:"template"`
	MaxDuration load.Duration `json:"max_duration_ms"`
	Window      load.Duration `json:"window_ms"`
	Tolerance   float64       `json:"tolerance"`
}

// Requirement is a server-side object a run needs and fbctl does not
// create (setup SQL in the scenario does): shown by plan, checked by apply
// after setup.
type Requirement struct {
	Kind     string `json:"kind"` // interactive_table | interactive_warehouse | warehouse
	Name     string `json:"name"`
	Template string `json:"template"`
	// What the object must be, in words, and the DDL that creates it.
	Detail string `json:"detail"`
	DDL    string `json:"ddl,omitempty"`
	// ClusterBy, TargetLag, Size, MaxClusters, Tables: what apply checks.
	ClusterBy   []string `json:"cluster_by,omitempty"`
	TargetLag   string   `json:"target_lag,omitempty"`
	Size        string   `json:"size,omitempty"`
	MaxClusters int64    `json:"max_cluster_count,omitempty"`
	Tables      []string `json:"tables,omitempty"`
}

// WarehouseAction is what the run does to a warehouse around it.
type WarehouseAction struct {
	Warehouse string `json:"warehouse"`
	Template  string `json:"template"`
	// Resume: resumed before setup if suspended, suspended after teardown
	// only if the run resumed it.
	Resume bool `json:"resume,omitempty"`
	// Size and MaxClusters are set for the run and restored afterwards.
	Size        string `json:"size,omitempty"`
	MaxClusters int64  `json:"max_cluster_count,omitempty"`
}

// planServerObjects adds the cache warm-up node, the requirements and the
// warehouse actions of the run's templates.
func planServerObjects(cfg *dsl.Config, sc *dsl.Scenario, run *RunPlan) {
	seen := map[string]bool{}
	for _, n := range run.Nodes {
		if n.Phase == nil || seen[n.Phase.Template] {
			continue
		}
		seen[n.Phase.Template] = true
		t := cfg.Templates[n.Phase.Template]
		if t == nil {
			continue
		}
		var wh string
		if c := cfg.Connections[t.Connection]; c != nil {
			wh = c.Get("warehouse")
		}
		if it := t.Interactive; it != nil && t.TableType == dsl.TableInteractive {
			r := Requirement{Kind: "interactive_table", Name: t.Table, Template: t.Name, ClusterBy: it.ClusterBy, TargetLag: it.TargetLag}
			ddl := fmt.Sprintf("CREATE INTERACTIVE TABLE %s CLUSTER BY (%s)", t.Table, strings.Join(it.ClusterBy, ", "))
			if it.Dynamic() {
				r.Detail = fmt.Sprintf("a dynamic interactive table clustered by (%s), TARGET_LAG = '%s', refreshed on %s",
					strings.Join(it.ClusterBy, ", "), it.TargetLag, it.RefreshWarehouse)
				ddl += fmt.Sprintf(" TARGET_LAG = '%s' WAREHOUSE = %s", it.TargetLag, it.RefreshWarehouse)
			} else {
				r.Detail = fmt.Sprintf("a static interactive table clustered by (%s)", strings.Join(it.ClusterBy, ", "))
			}
			r.DDL = ddl + " AS SELECT …"
			run.Requires = append(run.Requires, r)
		}
		w := t.Warehouse
		if w == nil || wh == "" {
			continue
		}
		if w.Type == dsl.WarehouseInteractive {
			r := Requirement{Kind: "interactive_warehouse", Name: wh, Template: t.Name, Size: w.Size, MaxClusters: w.MaxClusters, Tables: []string{t.Table}}
			r.Detail = "an interactive warehouse serving " + t.Table
			ddl := fmt.Sprintf("CREATE INTERACTIVE WAREHOUSE %s TABLES (%s)", wh, t.Table)
			if w.Size != "" {
				r.Detail += ", size " + w.Size
				ddl += " WAREHOUSE_SIZE = " + w.Size
			}
			if w.MaxClusters > 0 {
				r.Detail += fmt.Sprintf(", at most %d clusters", w.MaxClusters)
				ddl += fmt.Sprintf(" MAX_CLUSTER_COUNT = %d", w.MaxClusters)
			}
			r.DDL = ddl + " (an existing one: ALTER WAREHOUSE " + wh + " ADD TABLES (" + t.Table + "))"
			run.Requires = append(run.Requires, r)
		}
		act := WarehouseAction{Warehouse: wh, Template: t.Name, Resume: w.Resume}
		if w.Type != dsl.WarehouseInteractive {
			act.Size, act.MaxClusters = w.Size, w.MaxClusters
		}
		if act.Resume || act.Size != "" || act.MaxClusters > 0 {
			run.WarehouseActions = append(run.WarehouseActions, act)
		}
	}
	if cw := sc.CacheWarmup; cw != nil {
		addCacheWarmupNode(sc, run, cw)
	}
}

func addCacheWarmupNode(sc *dsl.Scenario, run *RunPlan, cw *dsl.CacheWarmup) {
	tmpl := run.Template
	var at int
	for i, n := range run.Nodes {
		if n.Kind == NodeSetup {
			at = i + 1
		}
		if tmpl == "" && n.Phase != nil {
			tmpl = n.Phase.Template
		}
	}
	node := Node{Kind: NodeCacheWarmup, Name: string(NodeCacheWarmup), DependsOn: []string{},
		CacheWarmup: &CacheWarmupPlan{Template: tmpl, MaxDuration: load.Duration(cw.MaxDuration),
			Window: load.Duration(cw.Window), Tolerance: cw.Tolerance}}
	if at > 0 {
		node.DependsOn = []string{run.Nodes[at-1].Name}
	}
	for i := range run.Nodes {
		n := &run.Nodes[i]
		if n.Warmup == nil && n.Phase == nil {
			continue
		}
		if len(n.DependsOn) == 0 || (len(n.DependsOn) == 1 && n.DependsOn[0] == nodeSetup) {
			n.DependsOn = []string{node.Name}
		}
	}
	run.Nodes = append(run.Nodes[:at], append([]Node{node}, run.Nodes[at:]...)...)
}

// serverDocs adds a template's interactive and warehouse blocks to its
// canonical CONFIG.
func serverDocs(doc map[string]any, t *dsl.Template) {
	if it := t.Interactive; it != nil {
		d := map[string]any{"cluster_by": it.ClusterBy}
		if it.TargetLag != "" {
			d["target_lag"] = it.TargetLag
			d["refresh_warehouse"] = it.RefreshWarehouse
		}
		doc["interactive"] = d
	}
	if w := t.Warehouse; w != nil {
		d := map[string]any{"resume": w.Resume}
		if w.Type != "" {
			d["type"] = w.Type
		}
		if w.Size != "" {
			d["size"] = w.Size
		}
		if w.MaxClusters > 0 {
			d["max_cluster_count"] = w.MaxClusters
		}
		doc["warehouse"] = d
	}
}
