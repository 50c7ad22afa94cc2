package dsl

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
)

// Server-side objects a template targets and settings of its warehouse:
// the interactive table (interactive { … }), the warehouse serving it and
// what fbctl may do to it (warehouse { … }), and the scenario's cache
// warm-up (cache_warmup { … }).

// InteractiveTable is a template's interactive { … } block: the interactive
// table the template targets must exist with these cluster keys; with
// TargetLag it is dynamic (refreshed by RefreshWarehouse), else static.
type InteractiveTable struct {
	ClusterBy        []string
	TargetLag        string // Snowflake form: "<n> seconds|minutes|hours|days" or "DOWNSTREAM"; "": static
	RefreshWarehouse string
	DeclRange        hcl.Range
}

// Dynamic reports whether the table refreshes itself (TARGET_LAG).
func (t *InteractiveTable) Dynamic() bool { return t.TargetLag != "" }

// WarehouseSettings is a template's warehouse { … } block, about the
// connection's warehouse.
type WarehouseSettings struct {
	// Resume resumes the warehouse before setup if it is suspended, and
	// suspends it after teardown only if fbctl resumed it.
	Resume bool
	// Type is the kind the warehouse must be ("standard" or "interactive";
	// "": not checked). An interactive warehouse must list the template's
	// table in its TABLES.
	Type string
	// Size and MaxClusters: for a standard warehouse, set for the run
	// (ALTER WAREHOUSE … SET) and restored afterwards; for an interactive
	// one, checked.
	Size        string
	MaxClusters int64
	DeclRange   hcl.Range
}

// Warehouse types of warehouse { type = … }.
const (
	WarehouseStandard    = "standard"
	WarehouseInteractive = "interactive"
)

// WarehouseSizes are Snowflake's warehouse sizes, as SHOW WAREHOUSES
// spells them upper-cased.
var WarehouseSizes = []string{"XSMALL", "SMALL", "MEDIUM", "LARGE", "XLARGE", "XXLARGE", "XXXLARGE", "X4LARGE", "X5LARGE", "X6LARGE"}

// MaxInteractiveClusters is the most clusters an interactive warehouse
// takes (MAX_CLUSTER_COUNT 1–10).
const MaxInteractiveClusters = 10

// CacheWarmup is a scenario's cache_warmup { … } block: before the warmup
// and phases, the orchestrator issues the template's queries on one
// session until the median latency of a window is within Tolerance of the
// previous window's (stable), or MaxDuration passes.
type CacheWarmup struct {
	MaxDuration time.Duration
	Window      time.Duration
	Tolerance   float64 // relative, e.g. 0.1 for 10 %
	DeclRange   hcl.Range
}

// Defaults of cache_warmup.
const (
	DefaultCacheWarmupWindow    = 5 * time.Second
	DefaultCacheWarmupTolerance = 0.1
)

var interactiveSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "cluster_by", Required: true},
		{Name: "target_lag"},
		{Name: "refresh_warehouse"},
	},
}

var warehouseSettingsSchema = attrSchema([]string{"resume", "type", "size", "max_cluster_count"}, nil)

var cacheWarmupSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "max_duration", Required: true},
		{Name: "window"},
		{Name: "tolerance"},
	},
}

var targetLagRE = regexp.MustCompile(`(?i)^(downstream|[1-9][0-9]* (seconds?|minutes?|hours?|days?))$`)

// decodeServerObjects decodes a template's interactive and warehouse
// blocks, after its connection and table type are known.
func (l *loader) decodeServerObjects(t *Template, content *hcl.BodyContent, ctx *hcl.EvalContext, connType string) {
	blocks := content.Blocks.OfType("interactive")
	for i, b := range blocks {
		if i > 0 {
			l.diags = append(l.diags, errorDiag("Duplicate interactive block",
				fmt.Sprintf("An interactive block was already declared at %s; a template takes at most one.", blocks[0].DefRange.String()),
				rangePtr(b.DefRange), nil))
			continue
		}
		t.Interactive = l.decodeInteractive(b, ctx)
		if t.TableType != TableInteractive {
			l.diags = append(l.diags, errorDiag("Interactive block on a non-interactive table",
				fmt.Sprintf("The template %q declares an interactive block, but its table_type is %q; set table_type = \"interactive\" or remove the block.", t.Name, t.TableType),
				rangePtr(b.DefRange), nil))
		}
	}
	if t.TableType == TableInteractive && len(blocks) == 0 {
		l.diags = append(l.diags, errorDiag("Missing interactive block",
			fmt.Sprintf("The template %q targets an interactive table, which Snowflake creates with CLUSTER BY: add interactive { cluster_by = [\"COLUMN\"] } (and target_lag for a dynamic one) so plan can show what must exist and apply can check it.", t.Name),
			rangePtr(t.DeclRange), nil))
	}
	whs := content.Blocks.OfType("warehouse")
	for i, b := range whs {
		if i > 0 {
			l.diags = append(l.diags, errorDiag("Duplicate warehouse block",
				fmt.Sprintf("A warehouse block was already declared at %s; a template takes at most one.", whs[0].DefRange.String()),
				rangePtr(b.DefRange), nil))
			continue
		}
		if connType != "" && connType != ConnSnowflake {
			l.diags = append(l.diags, errorDiag("Warehouse block on a non-Snowflake template",
				fmt.Sprintf("The template %q uses a %s connection; warehouse settings apply to Snowflake connections only.", t.Name, connType),
				rangePtr(b.DefRange), nil))
			continue
		}
		t.Warehouse = l.decodeWarehouseSettings(t, b, ctx)
	}
}

func (l *loader) decodeInteractive(b *hcl.Block, ctx *hcl.EvalContext) *InteractiveTable {
	it := &InteractiveTable{DeclRange: b.DefRange}
	content, diags := b.Body.Content(interactiveSchema)
	l.diags = append(l.diags, diags...)
	attrs := content.Attributes
	if a := attrs["cluster_by"]; a != nil {
		keys, _, ok, d := getStringList(a, ctx)
		l.diags = append(l.diags, d...)
		if ok && len(keys) == 0 {
			l.diags = append(l.diags, errorDiag("Empty cluster_by",
				"An interactive table needs at least one cluster key (CLUSTER BY is required); list the columns its queries filter or group on, e.g. cluster_by = [\"CUSTOMER_ID\"].",
				rangePtr(a.Expr.Range()), rangePtr(a.Range)))
		}
		for _, k := range keys {
			if strings.TrimSpace(k) == "" {
				l.diags = append(l.diags, errorDiag("Empty cluster key",
					"A cluster key of cluster_by is empty; give a column name or expression.", rangePtr(a.Expr.Range()), rangePtr(a.Range)))
			}
		}
		it.ClusterBy = keys
	}
	if a := attrs["target_lag"]; a != nil {
		s, _, ok, d := getString(a, ctx)
		l.diags = append(l.diags, d...)
		if ok && !targetLagRE.MatchString(strings.TrimSpace(s)) {
			l.diags = append(l.diags, errorDiag("Invalid target_lag",
				fmt.Sprintf("%q is not a Snowflake target lag; write it as Snowflake does, e.g. \"60 seconds\", \"5 minutes\", \"1 hour\", or \"DOWNSTREAM\".", s),
				rangePtr(a.Expr.Range()), rangePtr(a.Range)))
		}
		it.TargetLag = strings.TrimSpace(s)
	}
	if a := attrs["refresh_warehouse"]; a != nil {
		s, _, _, d := getString(a, ctx)
		l.diags = append(l.diags, d...)
		it.RefreshWarehouse = s
		if it.TargetLag == "" {
			l.diags = append(l.diags, errorDiag("refresh_warehouse without target_lag",
				"A static interactive table (no target_lag) is not refreshed, so it has no refresh warehouse; add target_lag or remove refresh_warehouse.",
				rangePtr(a.NameRange), rangePtr(a.Range)))
		}
	} else if it.TargetLag != "" {
		l.diags = append(l.diags, errorDiag("Missing refresh_warehouse",
			"A dynamic interactive table (target_lag) is refreshed on a warehouse of its own (CREATE INTERACTIVE TABLE … TARGET_LAG = … WAREHOUSE = …); add refresh_warehouse = \"NAME\".",
			rangePtr(attrs["target_lag"].NameRange), rangePtr(b.DefRange)))
	}
	return it
}

func (l *loader) decodeWarehouseSettings(t *Template, b *hcl.Block, ctx *hcl.EvalContext) *WarehouseSettings {
	w := &WarehouseSettings{DeclRange: b.DefRange}
	content, diags := b.Body.Content(warehouseSettingsSchema)
	l.diags = append(l.diags, diags...)
	attrs := content.Attributes
	if a := attrs["resume"]; a != nil {
		v, ok, d := getBool(a, ctx)
		l.diags = append(l.diags, d...)
		w.Resume = ok && v
	}
	if a := attrs["type"]; a != nil {
		if s, ok, d := getKeyword(a, ctx); !ok {
			l.diags = append(l.diags, d...)
		} else if types := []string{WarehouseStandard, WarehouseInteractive}; !contains(types, s) {
			l.diags = append(l.diags, unknownValue("Unknown warehouse type", "warehouse type", s, types, a.Expr.Range()))
		} else {
			w.Type = s
		}
	}
	if a := attrs["size"]; a != nil {
		if s, ok, d := getKeyword(a, ctx); !ok {
			l.diags = append(l.diags, d...)
		} else if up := strings.ToUpper(strings.ReplaceAll(strings.ReplaceAll(s, "-", ""), "_", "")); !contains(WarehouseSizes, up) {
			l.diags = append(l.diags, unknownValue("Unknown warehouse size", "warehouse size", s, WarehouseSizes, a.Expr.Range()))
		} else {
			w.Size = up
		}
	}
	if a := attrs["max_cluster_count"]; a != nil {
		n, ok, d := getPositiveInt(a, ctx)
		l.diags = append(l.diags, d...)
		if ok {
			w.MaxClusters = n
			if w.Type == WarehouseInteractive && n > MaxInteractiveClusters {
				l.diags = append(l.diags, errorDiag("Too many clusters",
					fmt.Sprintf("An interactive warehouse takes MAX_CLUSTER_COUNT 1 to %d; %d is more.", MaxInteractiveClusters, n),
					rangePtr(a.Expr.Range()), rangePtr(a.Range)))
			}
		}
	}
	if w.Type == WarehouseInteractive && t.TableType != TableInteractive {
		l.diags = append(l.diags, errorDiag("Interactive warehouse for a non-interactive table",
			fmt.Sprintf("An interactive warehouse serves the interactive tables it lists; the template %q targets a %q table. Use table_type = \"interactive\" or type = \"standard\".", t.Name, t.TableType),
			rangePtr(attrs["type"].Expr.Range()), rangePtr(b.DefRange)))
	}
	return w
}

func (l *loader) decodeCacheWarmup(b *hcl.Block, ctx *hcl.EvalContext) *CacheWarmup {
	c := &CacheWarmup{Window: DefaultCacheWarmupWindow, Tolerance: DefaultCacheWarmupTolerance, DeclRange: b.DefRange}
	content, diags := b.Body.Content(cacheWarmupSchema)
	l.diags = append(l.diags, diags...)
	attrs := content.Attributes
	if a := attrs["max_duration"]; a != nil {
		d, _, dd := getDuration(a, ctx, true)
		l.diags = append(l.diags, dd...)
		l.durationAtMost(a, d, MaxDuration)
		c.MaxDuration = d
	}
	if a := attrs["window"]; a != nil {
		d, _, dd := getDuration(a, ctx, true)
		l.diags = append(l.diags, dd...)
		c.Window = d
	}
	if a := attrs["tolerance"]; a != nil {
		v, ok, d := getNumber(a, ctx)
		l.diags = append(l.diags, d...)
		if ok {
			f, _ := v.AsBigFloat().Float64()
			if f <= 0 || f >= 1 {
				l.diags = append(l.diags, errorDiag("Invalid tolerance",
					fmt.Sprintf("tolerance is the relative change of the median latency between two windows below which the cache counts as warm; it must be between 0 and 1 (0.1 is 10 %%), not %v.", f),
					rangePtr(a.Expr.Range()), rangePtr(a.Range)))
			}
			c.Tolerance = f
		}
	}
	if c.MaxDuration > 0 && c.Window > 0 && c.MaxDuration < 2*c.Window {
		l.diags = append(l.diags, errorDiag("cache_warmup shorter than two windows",
			fmt.Sprintf("Stability compares two consecutive windows of %s, so max_duration must be at least %s; raise max_duration or shorten window.", c.Window, 2*c.Window),
			rangePtr(attrs["max_duration"].Expr.Range()), rangePtr(b.DefRange)))
	}
	return c
}
