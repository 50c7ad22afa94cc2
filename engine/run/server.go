package run

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/target"
	"github.com/flakebench/fbctl/engine/warehouse"
	"github.com/flakebench/fbctl/engine/workload"
)

// Server-side state around a run: the run's fingerprint per target, the
// warehouse lifecycle (resume before setup, settings for the run, restore
// and suspend after teardown), the check of the interactive objects the
// plan requires, and the cache warm-up node.

// fingerprintStore is the part of the store that keeps fingerprints; a
// control plane without it records none.
type fingerprintStore interface {
	PutRunFingerprint(ctx context.Context, fp store.RunFingerprint) error
}

// serverState is what the orchestrator keeps of the above.
type serverState struct {
	fps      map[string]*store.RunFingerprint // by connection key
	restores []warehouseRestore
}

type warehouseRestore struct {
	conn, template, warehouse string
	resumed                   bool
	setSQL                    string // restores size and clusters ("": none)
}

// beforeSetup records the fingerprint of every target of the run and
// applies the plan's warehouse actions. A failed resume or ALTER fails the
// run (what it measured would not be what the plan said); a fingerprint
// that cannot be read is recorded as such.
func (o *orch) beforeSetup(ctx context.Context) error {
	o.server.fps = map[string]*store.RunFingerprint{}
	var order []string
	dbs := map[string]*sql.DB{}
	for _, tmpl := range o.runTemplates() {
		t := o.cfg.Templates[tmpl]
		if t == nil || o.server.fps[t.Connection] != nil {
			continue
		}
		c := o.cfg.Connections[t.Connection]
		db, err := o.target(tmpl)
		if err != nil {
			return err
		}
		fp := &store.RunFingerprint{RunID: o.runID, Target: t.Connection, Backend: c.Type, Settings: map[string]string{}}
		// The warehouse's state before anything of the run touches it
		// (a statement would auto-resume it).
		if wh := c.Get("warehouse"); c.Type == dsl.ConnSnowflake && wh != "" {
			if s, err := warehouse.Show(ctx, db.DB, wh); err == nil {
				fp.Settings["warehouse.state_before_run"] = s.State
			}
		}
		o.server.fps[t.Connection] = fp
		order = append(order, tmpl)
		dbs[tmpl] = db.DB
	}
	for _, a := range o.plan.WarehouseActions {
		if err := o.applyWarehouseAction(ctx, a); err != nil {
			o.writeFingerprints()
			return err
		}
	}
	for _, tmpl := range order {
		t := o.cfg.Templates[tmpl]
		collectFingerprint(ctx, o.cfg.Connections[t.Connection], t, dbs[tmpl], o.server.fps[t.Connection].Settings)
	}
	o.writeFingerprints()
	return nil
}

func (o *orch) applyWarehouseAction(ctx context.Context, a engine.WarehouseAction) error {
	t := o.cfg.Templates[a.Template]
	if t == nil {
		return nil
	}
	db, err := o.target(a.Template)
	if err != nil {
		return err
	}
	fp := o.server.fps[t.Connection]
	r := warehouseRestore{conn: t.Connection, template: a.Template, warehouse: a.Warehouse}
	if a.Resume {
		resumed, err := warehouse.Resume(ctx, db.DB, a.Warehouse, 0)
		if errors.Is(err, warehouse.ErrNotFound) {
			o.note(fp, "warehouse "+a.Warehouse+" did not exist before setup: not resumed (setup may create it)")
			err = nil
		}
		if err != nil {
			return fmt.Errorf("warehouse %s: resume before setup: %w", a.Warehouse, err)
		}
		r.resumed = resumed
		if resumed {
			o.note(fp, "resumed warehouse "+a.Warehouse+" before setup (it was suspended)")
		} else {
			o.note(fp, "warehouse "+a.Warehouse+" was already running: not resumed, and not suspended afterwards")
		}
	}
	if a.Size != "" || a.MaxClusters > 0 {
		before, err := warehouse.Show(ctx, db.DB, a.Warehouse)
		if err != nil {
			return fmt.Errorf("warehouse %s: read its settings before changing them: %w", a.Warehouse, err)
		}
		var set, restore []string
		if a.Size != "" {
			set = append(set, "WAREHOUSE_SIZE = "+a.Size)
			restore = append(restore, "WAREHOUSE_SIZE = '"+strings.ReplaceAll(before.Size, "'", "")+"'")
		}
		if a.MaxClusters > 0 {
			set = append(set, fmt.Sprintf("MAX_CLUSTER_COUNT = %d", a.MaxClusters))
			restore = append(restore, fmt.Sprintf("MAX_CLUSTER_COUNT = %d", max(before.MaxClusters, 1)))
		}
		if _, err := db.DB.ExecContext(ctx, "ALTER WAREHOUSE "+a.Warehouse+" SET "+strings.Join(set, " ")); err != nil {
			return fmt.Errorf("warehouse %s: set %s for the run: %w", a.Warehouse, strings.Join(set, ", "), err)
		}
		r.setSQL = "ALTER WAREHOUSE " + a.Warehouse + " SET " + strings.Join(restore, " ")
		o.note(fp, fmt.Sprintf("set %s on warehouse %s for the run (was size %s, max clusters %d)", strings.Join(set, ", "), a.Warehouse, before.Size, before.MaxClusters))
		if fp != nil {
			if a.Size != "" {
				fp.Settings["warehouse.size"] = a.Size
			}
			if a.MaxClusters > 0 {
				fp.Settings["warehouse.max_cluster_count"] = strconv.FormatInt(a.MaxClusters, 10)
			}
		}
	}
	o.server.restores = append(o.server.restores, r)
	return nil
}

// afterTeardown restores what beforeSetup changed, in reverse order, and
// suspends a warehouse only if the run resumed it. Failures are recorded
// and logged; they do not change the run's status.
func (o *orch) afterTeardown() {
	for i := len(o.server.restores) - 1; i >= 0; i-- {
		r := o.server.restores[i]
		fp := o.server.fps[r.conn]
		db, err := o.target(r.template)
		if err != nil {
			o.note(fp, "warehouse "+r.warehouse+" not restored: "+err.Error())
			continue
		}
		if r.setSQL != "" {
			if _, err := db.DB.ExecContext(o.bg, r.setSQL); err != nil {
				o.note(fp, "warehouse "+r.warehouse+" settings NOT restored ("+r.setSQL+"): "+err.Error())
			} else {
				o.note(fp, "restored warehouse "+r.warehouse+" settings after teardown")
			}
		}
		if r.resumed {
			if s, err := warehouse.Show(o.bg, db.DB, r.warehouse); err == nil && s.State == "SUSPENDED" {
				o.note(fp, "warehouse "+r.warehouse+" was already suspended after teardown (by the scenario's teardown?)")
			} else if _, err := db.DB.ExecContext(o.bg, "ALTER WAREHOUSE "+r.warehouse+" SUSPEND"); err != nil {
				o.note(fp, "warehouse "+r.warehouse+" NOT suspended after teardown: "+err.Error())
			} else {
				o.note(fp, "suspended warehouse "+r.warehouse+" after teardown (the run had resumed it)")
			}
		}
	}
	o.writeFingerprints()
}

// note adds an action to fp (nil: only logged).
func (o *orch) note(fp *store.RunFingerprint, action string) {
	o.log.Info(action)
	if fp != nil {
		fp.Actions = append(fp.Actions, action)
	}
}

func (o *orch) writeFingerprints() {
	fs, ok := o.st.(fingerprintStore)
	if !ok {
		return
	}
	keys := make([]string, 0, len(o.server.fps))
	for k := range o.server.fps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fp := *o.server.fps[k]
		fp.CollectedAt = o.st.Now()
		if err := fs.PutRunFingerprint(o.bg, fp); err != nil {
			o.log.Warn("run fingerprint not stored", "target", k, "error", err)
		}
	}
}

// runTemplates are the templates of the run's phases, in plan order.
func (o *orch) runTemplates() []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range o.plan.Nodes {
		if n.Phase != nil && !seen[n.Phase.Template] {
			seen[n.Phase.Template] = true
			out = append(out, n.Phase.Template)
		}
	}
	return out
}

// postgresSettings are the settings a Postgres fingerprint records.
var postgresSettings = []string{"server_version", "max_connections", "shared_buffers", "effective_cache_size", "work_mem",
	"maintenance_work_mem", "synchronous_commit", "fsync", "full_page_writes", "wal_level", "max_wal_size",
	"checkpoint_timeout", "random_page_cost", "effective_io_concurrency", "default_transaction_isolation",
	"jit", "huge_pages", "shared_preload_libraries", "max_worker_processes", "max_parallel_workers_per_gather"}

// collectFingerprint reads what the target is into into settings; a value
// that cannot be read is recorded as "unavailable: <why>".
func collectFingerprint(ctx context.Context, c *dsl.Connection, t *dsl.Template, db *sql.DB, settings map[string]string) {
	one := func(key, q string) {
		var v sql.NullString
		if err := db.QueryRowContext(ctx, q).Scan(&v); err != nil {
			settings[key] = "unavailable: " + firstLine(err.Error())
			return
		}
		settings[key] = v.String
	}
	host, _ := os.Hostname()
	settings["client.host"], settings["client.go"] = host, runtime.Version()
	settings["client.os_arch"] = runtime.GOOS + "/" + runtime.GOARCH
	settings["table_type"] = t.TableType
	for k, v := range t.Session {
		if t.Sensitive.Has("session." + k) {
			v = "(sensitive)" // never stored
		}
		settings["session."+strings.ToUpper(k)] = v
	}
	switch c.Type {
	case dsl.ConnPostgres:
		one("version", "SELECT version()")
		rows, err := db.QueryContext(ctx, "SELECT name, current_setting(name) FROM pg_settings WHERE name IN ('"+strings.Join(postgresSettings, "', '")+"')")
		if err != nil {
			settings["settings"] = "unavailable: " + firstLine(err.Error())
			return
		}
		defer rows.Close()
		for rows.Next() {
			var k, v string
			if rows.Scan(&k, &v) == nil {
				settings[k] = v
			}
		}
	case dsl.ConnSnowflake:
		one("version", "SELECT CURRENT_VERSION()")
		one("region", "SELECT CURRENT_REGION()")
		one("account", "SELECT CURRENT_ACCOUNT()")
		wh := c.Get("warehouse")
		if wh == "" {
			return
		}
		settings["warehouse.name"] = wh
		s, err := warehouse.Show(ctx, db, wh)
		if err != nil {
			settings["warehouse"] = "unavailable: " + firstLine(err.Error())
			return
		}
		if settings["warehouse.state_before_run"] == "" {
			settings["warehouse.state_before_run"] = s.State
		}
		if settings["warehouse.size"] == "" { // set for the run by a warehouse action: keep that
			settings["warehouse.size"] = s.Size
		}
		settings["warehouse.type"] = s.Type
		settings["warehouse.min_cluster_count"] = strconv.FormatInt(s.MinClusters, 10)
		if settings["warehouse.max_cluster_count"] == "" {
			settings["warehouse.max_cluster_count"] = strconv.FormatInt(s.MaxClusters, 10)
		}
		settings["warehouse.scaling_policy"] = s.ScalingPolicy
		for _, p := range []string{"STATEMENT_TIMEOUT_IN_SECONDS", "ENABLE_USE_STABLE_PATH"} {
			settings["warehouse."+p] = showParameter(ctx, db, p, "WAREHOUSE "+wh)
		}
		settings["session.READ_LATEST_WRITES"] = orDefault(settings["session.READ_LATEST_WRITES"], showParameter(ctx, db, "READ_LATEST_WRITES", "SESSION"))
	case dsl.ConnSQLite:
		one("version", "SELECT sqlite_version()")
	}
}

// showParameter reads one Snowflake parameter with SHOW PARAMETERS LIKE …
// IN <scope>; "unavailable: …" when it cannot.
func showParameter(ctx context.Context, db *sql.DB, name, scope string) string {
	rows, err := db.QueryContext(ctx, "SHOW PARAMETERS LIKE '"+name+"' IN "+scope)
	if err != nil {
		return "unavailable: " + firstLine(err.Error())
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		m, err := scanByColumn(rows, cols)
		if err != nil {
			break
		}
		if v, ok := m["value"]; ok {
			return v
		}
	}
	return "unavailable: not listed"
}

// scanByColumn reads the current row of a SHOW command, whose columns
// vary with the server's version, as text by lower-case column name
// (NULL as "").
func scanByColumn(rows *sql.Rows, cols []string) (map[string]string, error) {
	vals := make([]sql.NullString, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return nil, err
	}
	m := make(map[string]string, len(cols))
	for i, c := range cols {
		m[strings.ToLower(c)] = vals[i].String
	}
	return m, nil
}

func orDefault(v, d string) string {
	if v != "" {
		return v
	}
	return d
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// checkRequirements checks, after setup, that the interactive tables and
// warehouses the plan requires exist as declared. A missing or different
// object fails the run before any load, with what to create.
func (o *orch) checkRequirements(ctx context.Context) error {
	for _, r := range o.plan.Requires {
		db, err := o.target(r.Template)
		if err != nil {
			return err
		}
		switch r.Kind {
		case "interactive_table":
			err = checkInteractiveTable(ctx, db.DB, r)
		case "interactive_warehouse":
			err = checkInteractiveWarehouse(ctx, db.DB, r)
		}
		if err != nil {
			return fmt.Errorf("template %q: %w", r.Template, err)
		}
	}
	return nil
}

func checkInteractiveTable(ctx context.Context, db *sql.DB, r engine.Requirement) error {
	name := r.Name
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Trim(name, `"`)
	if strings.ContainsAny(name, "'\\") {
		return fmt.Errorf("interactive table %q: the name cannot be checked", r.Name)
	}
	rows, err := db.QueryContext(ctx, "SHOW TABLES LIKE '"+name+"'")
	if err != nil {
		return fmt.Errorf("interactive table %s: SHOW TABLES: %w", r.Name, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var row map[string]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("interactive table %s: SHOW TABLES: %w", r.Name, err)
		}
		m := map[string]string{}
		for i, c := range cols {
			m[strings.ToLower(c)] = vals[i].String
		}
		if strings.EqualFold(m["name"], name) {
			row = m
			break
		}
	}
	if row == nil {
		return fmt.Errorf("the interactive table %s does not exist after setup; create it in the scenario's setup, e.g. %s", r.Name, r.DDL)
	}
	if v, ok := row["is_interactive"]; ok && !yes(v) {
		return fmt.Errorf("the table %s exists but is not an interactive table; recreate it in setup with %s", r.Name, r.DDL)
	}
	if cb, ok := row["cluster_by"]; ok && len(r.ClusterBy) > 0 {
		if got, want := clusterKeys(cb), clusterKeys(strings.Join(r.ClusterBy, ",")); got != want {
			return fmt.Errorf("the interactive table %s is clustered by %q, the template says (%s); recreate it or change cluster_by", r.Name, cb, strings.Join(r.ClusterBy, ", "))
		}
	}
	if lag, ok := row["target_lag"]; ok {
		if r.TargetLag != "" && strings.TrimSpace(lag) == "" {
			return fmt.Errorf("the interactive table %s is static (no TARGET_LAG); the template declares a dynamic one with target_lag = %q", r.Name, r.TargetLag)
		}
		if r.TargetLag == "" && strings.TrimSpace(lag) != "" {
			return fmt.Errorf("the interactive table %s is dynamic (TARGET_LAG %s); the template declares a static one (no target_lag)", r.Name, lag)
		}
	}
	return nil
}

// clusterKeys normalises a CLUSTER BY list ("LINEAR(a, b)" or "a,b").
func clusterKeys(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if strings.HasPrefix(s, "LINEAR(") && strings.HasSuffix(s, ")") {
		s = s[len("LINEAR(") : len(s)-1]
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(parts[i]), `"`)
	}
	return strings.Join(parts, ",")
}

func yes(v string) bool {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "Y", "YES", "TRUE":
		return true
	}
	return false
}

func normSize(s string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", "_", "", " ", "").Replace(s))
}

func checkInteractiveWarehouse(ctx context.Context, db *sql.DB, r engine.Requirement) error {
	s, err := warehouse.Show(ctx, db, r.Name)
	if err != nil {
		return fmt.Errorf("the interactive warehouse %s: %w; create it in setup, e.g. %s", r.Name, err, r.DDL)
	}
	if !strings.Contains(strings.ToUpper(s.Type), "INTERACTIVE") {
		return fmt.Errorf("the warehouse %s is of type %s, not an interactive warehouse; e.g. %s", r.Name, s.Type, r.DDL)
	}
	if r.Size != "" && normSize(s.Size) != normSize(r.Size) {
		return fmt.Errorf("the interactive warehouse %s has size %s, the template says %s", r.Name, s.Size, r.Size)
	}
	if r.MaxClusters > 0 && s.MaxClusters != r.MaxClusters {
		return fmt.Errorf("the interactive warehouse %s has MAX_CLUSTER_COUNT %d, the template says %d", r.Name, s.MaxClusters, r.MaxClusters)
	}
	return nil
}

// CacheWarmupResult is what a cache_warmup node measured.
type CacheWarmupResult struct {
	Template string
	Windows  []CacheWarmupWindow
	Stable   bool // the last two windows' medians were within the tolerance
	Took     time.Duration
}

// CacheWarmupWindow is one window of the warm-up curve.
type CacheWarmupWindow struct {
	Ops   int
	P50US int64
}

// runCacheWarmups runs the plan's cache_warmup nodes (before the workers
// start): one session of the template's read queries until the median
// latency is stable or the node's time is up. Its operations are not
// results; its curve is recorded with the run's fingerprint.
func (o *orch) runCacheWarmups(ctx context.Context, pools map[string]map[string][]any) error {
	for _, n := range o.plan.Nodes {
		if n.CacheWarmup == nil {
			continue
		}
		o.hook.NodeStarted(o.runID, n.Name)
		res, err := o.cacheWarmup(ctx, n.CacheWarmup, pools)
		if err != nil && ctx.Err() != nil {
			err = errCancelled
		}
		o.hook.NodeFinished(o.runID, n.Name, err)
		if err != nil {
			return err
		}
		if t := o.cfg.Templates[res.Template]; t != nil {
			if fp := o.server.fps[t.Connection]; fp != nil {
				fp.Settings["cache_warmup.ms"] = strconv.FormatInt(res.Took.Milliseconds(), 10)
				fp.Settings["cache_warmup.stable"] = strconv.FormatBool(res.Stable)
				curve := make([]string, len(res.Windows))
				for i, w := range res.Windows {
					curve[i] = strconv.FormatInt(w.P50US, 10)
				}
				fp.Settings["cache_warmup.p50_us_per_window"] = strings.Join(curve, ",")
				state := "stable"
				if !res.Stable {
					state = "NOT stable at max_duration"
				}
				o.note(fp, fmt.Sprintf("cache warm-up of %s: %s after %s over %d windows (median %s)", res.Template, state,
					res.Took.Round(time.Millisecond), len(res.Windows), strings.Join(curve, " → ")+" µs"))
			}
		}
		o.writeFingerprints()
	}
	return nil
}

func (o *orch) cacheWarmup(ctx context.Context, p *engine.CacheWarmupPlan, pools map[string]map[string][]any) (CacheWarmupResult, error) {
	res := CacheWarmupResult{Template: p.Template}
	t := o.cfg.Templates[p.Template]
	if t == nil {
		return res, fmt.Errorf("cache warm-up: template %q is not in the scenario files", p.Template)
	}
	reads := 0
	for _, name := range t.QueryOrder {
		if !t.Queries[name].IsWrite() && t.Queries[name].Weight > 0 {
			reads++
		}
	}
	if reads == 0 {
		return res, fmt.Errorf("cache warm-up: template %q has no read query to warm the cache with", p.Template)
	}
	db, err := o.target(p.Template)
	if err != nil {
		return res, err
	}
	c := o.cfg.Connections[t.Connection]
	init, err := target.SessionInit(c.Type, t, target.Tag{Run: o.runID, Worker: "orchestrator", Phase: string(engine.NodeCacheWarmup),
		Scenario: o.plan.Scenario, User: target.UserQueryTag(c, t)})
	if err != nil {
		return res, err
	}
	conn, err := db.DB.Conn(ctx)
	if err != nil {
		return res, fmt.Errorf("cache warm-up: connect: %w", err)
	}
	defer func() {
		// The session carries the warm-up's tag: discard it rather than
		// hand it back to the orchestrator's pool.
		conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
	}()
	for _, st := range init {
		if _, err := conn.ExecContext(ctx, st); err != nil {
			return res, fmt.Errorf("cache warm-up: session setup %q: %w", st, err)
		}
	}
	ops, err := workload.NewConn(t, workload.Env{Seed: o.plan.Seed, Workers: 1, ConnsPerWorker: 1, Pools: pools[t.Name]})
	if err != nil {
		return res, err
	}
	sqls := make([]string, len(t.QueryOrder))
	for i, name := range t.QueryOrder {
		sqls[i] = db.Rebind(t.Queries[name].SQL)
	}
	start := time.Now()
	deadline := start.Add(p.MaxDuration.Std())
	var window []int64
	windowEnd := start.Add(p.Window.Std())
	var prev int64 = -1
	for {
		q, args := ops.Next()
		if !t.Queries[t.QueryOrder[q]].IsWrite() {
			t0 := time.Now()
			rows, err := conn.QueryContext(ctx, sqls[q], args...)
			if err == nil {
				for rows.Next() {
				}
				err = rows.Err()
				rows.Close()
			}
			if err != nil {
				return res, fmt.Errorf("cache warm-up: query %s: %w", t.QueryOrder[q], o.cfg.RedactError(err))
			}
			window = append(window, time.Since(t0).Microseconds())
		}
		now := time.Now()
		if now.Before(windowEnd) && now.Before(deadline) {
			continue
		}
		if len(window) > 0 {
			sort.Slice(window, func(i, j int) bool { return window[i] < window[j] })
			med := window[(len(window)-1)/2]
			res.Windows = append(res.Windows, CacheWarmupWindow{Ops: len(window), P50US: med})
			if prev > 0 && abs(med-prev) <= int64(p.Tolerance*float64(prev)) {
				res.Stable = true
			}
			prev = med
		}
		window = window[:0]
		windowEnd = windowEnd.Add(p.Window.Std())
		if res.Stable || !now.Before(deadline) {
			res.Took = time.Since(start)
			return res, nil
		}
	}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
