package pgstats

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// Extension is the name of the extension and of its view.
const Extension = "pg_stat_statements"

// marker starts every statement this package sends, so the statistics of
// its own queries can be told apart and left out of snapshots.
const marker = "/* fbctl pgstats */"

// Available reports whether pg_stat_statements can be read in db's
// database. When it cannot, reason says why in words a person can act on
// (not preloaded, not installed in this database, not readable); err is
// only for failures to ask (connection errors, say). It works for roles
// that may not see shared_preload_libraries.
func Available(ctx context.Context, db *sql.DB) (ok bool, reason string, err error) {
	var dbname string
	var installed, onDisk bool
	var preload sql.NullString // NULL: the role may not see the setting
	if err := db.QueryRowContext(ctx, marker+` SELECT current_database(),
		EXISTS (SELECT 1 FROM pg_extension WHERE extname = $1),
		EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = $1),
		(SELECT setting FROM pg_settings WHERE name = 'shared_preload_libraries')`, Extension).
		Scan(&dbname, &installed, &onDisk, &preload); err != nil {
		return false, "", fmt.Errorf("pgstats: look up the extension: %w", err)
	}
	howToLoad := fmt.Sprintf("add it to shared_preload_libraries (now %q) and restart the server", preload.String)
	if !preload.Valid {
		howToLoad = "add it to shared_preload_libraries and restart the server"
	}
	if installed {
		var n int64
		err := db.QueryRowContext(ctx, marker+" SELECT count(*) FROM pg_stat_statements").Scan(&n)
		switch {
		case err == nil:
			return true, "", nil
		case sqlState(err) == "55000": // must be loaded via shared_preload_libraries
			return false, fmt.Sprintf("%s is installed in database %q but not loaded: %s", Extension, dbname, howToLoad), nil
		case ctx.Err() != nil:
			return false, "", fmt.Errorf("pgstats: read %s: %w", Extension, err)
		}
		return false, fmt.Sprintf("%s is installed in database %q but cannot be read: %v", Extension, dbname, err), nil
	}
	switch {
	case !onDisk:
		return false, fmt.Sprintf("%s is not available on this server: its package (postgresql-contrib on most systems) is not installed", Extension), nil
	case preload.Valid && preloaded(preload.String):
		return false, fmt.Sprintf("%s is loaded but not installed in database %q: run CREATE EXTENSION %s there",
			Extension, dbname, Extension), nil
	case preload.Valid:
		return false, fmt.Sprintf("%s is not loaded and not installed: %s, then run CREATE EXTENSION %s in database %q",
			Extension, howToLoad, Extension, dbname), nil
	}
	return false, fmt.Sprintf("%s is not installed in database %q: run CREATE EXTENSION %s there (it must also be in shared_preload_libraries)",
		Extension, dbname, Extension), nil
}

// sqlState returns the SQLSTATE of err, "" when it has none.
func sqlState(err error) string {
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		return st.SQLState()
	}
	return ""
}

// preloaded reports whether shared_preload_libraries names the extension.
func preloaded(setting string) bool {
	for _, lib := range strings.Split(setting, ",") {
		lib = strings.Trim(strings.TrimSpace(lib), `"`)
		lib = strings.TrimSuffix(lib[strings.LastIndex(lib, "/")+1:], ".so")
		if lib == Extension {
			return true
		}
	}
	return false
}

// Snapshot is the counters of every statement of one database at one time.
type Snapshot struct {
	Taken         time.Time
	ServerVersion int // server_version_num, e.g. 150004
	Database      string
	// Reset is the time the statistics were last reset
	// (pg_stat_statements_info.stats_reset, PG14+); zero when unknown.
	Reset time.Time
	// Dealloc counts entries evicted since the last reset (PG14+): when it
	// grows across a window, some deltas may be missing.
	Dealloc    int64
	Statements []Statement
}

// Statement is one row of pg_stat_statements. Times are microseconds.
type Statement struct {
	UserID      uint32
	QueryID     int64
	TopLevel    bool
	Query       string
	Calls       int64
	TotalExecUS int64
	Rows        int64
	SharedHit   int64
	SharedRead  int64
	WALRecords  int64 // PG13+
	WALBytes    int64 // PG13+
}

func (s Statement) key() stmtKey { return stmtKey{s.UserID, s.QueryID, s.TopLevel} }

type stmtKey struct {
	user     uint32
	queryID  int64
	topLevel bool
}

// TakeSnapshot reads pg_stat_statements for the current database of db,
// leaving out this package's own statements. It fails when the extension
// cannot be read; call Available first to learn why.
func TakeSnapshot(ctx context.Context, db *sql.DB) (Snapshot, error) {
	var snap Snapshot
	if err := db.QueryRowContext(ctx, marker+" SELECT current_setting('server_version_num')::int, current_database()").
		Scan(&snap.ServerVersion, &snap.Database); err != nil {
		return snap, fmt.Errorf("pgstats: server version: %w", err)
	}
	v := snap.ServerVersion
	if v >= 140000 {
		var reset sql.NullTime
		if err := db.QueryRowContext(ctx, marker+" SELECT dealloc, stats_reset FROM pg_stat_statements_info").
			Scan(&snap.Dealloc, &reset); err != nil {
			return snap, fmt.Errorf("pgstats: read pg_stat_statements_info: %w", err)
		}
		snap.Reset = reset.Time
	}
	q := statementsQuery(v)
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return snap, fmt.Errorf("pgstats: read %s: %w", Extension, err)
	}
	defer rows.Close()
	for rows.Next() {
		var s Statement
		var query sql.NullString
		var queryID sql.NullInt64
		var totalMS float64
		if err := rows.Scan(&s.UserID, &queryID, &s.TopLevel, &query, &s.Calls, &totalMS, &s.Rows,
			&s.SharedHit, &s.SharedRead, &s.WALRecords, &s.WALBytes); err != nil {
			return snap, fmt.Errorf("pgstats: read %s: %w", Extension, err)
		}
		if strings.HasPrefix(query.String, marker) {
			continue
		}
		// A NULL queryid or text means a role without pg_read_all_stats
		// looking at another role's statements.
		s.QueryID, s.Query = queryID.Int64, query.String
		s.TotalExecUS = msToUS(totalMS)
		snap.Statements = append(snap.Statements, s)
	}
	if err := rows.Err(); err != nil {
		return snap, fmt.Errorf("pgstats: read %s: %w", Extension, err)
	}
	snap.Taken = time.Now()
	return snap, nil
}

// statementsQuery selects the columns Statement holds under their names
// for server version v: total_time before 13, no WAL before 13, no
// toplevel before 14.
func statementsQuery(v int) string {
	total, wal, top := "total_exec_time", "wal_records, wal_bytes::bigint", "toplevel"
	if v < 130000 {
		total, wal = "total_time", "0::bigint, 0::bigint"
	}
	if v < 140000 {
		top = "true"
	}
	return marker + " SELECT userid::oid::bigint, queryid, " + top + ", query, calls, " + total +
		", rows, shared_blks_hit, shared_blks_read, " + wal +
		" FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
}

func msToUS(ms float64) int64 {
	if math.IsNaN(ms) || ms < 0 {
		return 0
	}
	return int64(math.Round(ms * 1000))
}

// StatementDelta is what one statement did between two snapshots. Times
// are microseconds; MeanExecUS is TotalExecUS / Calls rounded.
type StatementDelta struct {
	QueryID     int64  `json:"queryid"`
	Query       string `json:"query"`
	TopLevel    bool   `json:"toplevel"`
	Calls       int64  `json:"calls"`
	TotalExecUS int64  `json:"total_exec_us"`
	MeanExecUS  int64  `json:"mean_exec_us"`
	Rows        int64  `json:"rows"`
	SharedHit   int64  `json:"shared_blks_hit"`
	SharedRead  int64  `json:"shared_blks_read"`
	WALRecords  int64  `json:"wal_records"`
	WALBytes    int64  `json:"wal_bytes"`
}

// Delta returns the statements that ran between before and after (calls
// grew), busiest (total execution time) first. Statements of different
// roles with the same query id are added together. A statement whose
// counters went down was reset in between: its after values are taken as
// the whole delta.
func Delta(before, after Snapshot) []StatementDelta {
	prev := make(map[stmtKey]Statement, len(before.Statements))
	for _, s := range before.Statements {
		prev[s.key()] = s
	}
	type outKey struct {
		queryID  int64
		topLevel bool
	}
	merged := map[outKey]*StatementDelta{}
	var order []outKey
	for _, a := range after.Statements {
		b, seen := prev[a.key()]
		if !seen || a.Calls < b.Calls {
			b = Statement{}
		}
		if a.Calls == b.Calls {
			continue
		}
		k := outKey{a.QueryID, a.TopLevel}
		d := merged[k]
		if d == nil {
			d = &StatementDelta{QueryID: a.QueryID, Query: a.Query, TopLevel: a.TopLevel}
			merged[k] = d
			order = append(order, k)
		}
		d.Calls += a.Calls - b.Calls
		d.TotalExecUS += nonNeg(a.TotalExecUS - b.TotalExecUS)
		d.Rows += nonNeg(a.Rows - b.Rows)
		d.SharedHit += nonNeg(a.SharedHit - b.SharedHit)
		d.SharedRead += nonNeg(a.SharedRead - b.SharedRead)
		d.WALRecords += nonNeg(a.WALRecords - b.WALRecords)
		d.WALBytes += nonNeg(a.WALBytes - b.WALBytes)
	}
	out := make([]StatementDelta, 0, len(order))
	for _, k := range order {
		d := merged[k]
		if d.Calls > 0 {
			d.MeanExecUS = int64(math.Round(float64(d.TotalExecUS) / float64(d.Calls)))
		}
		out = append(out, *d)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].TotalExecUS != out[j].TotalExecUS {
			return out[i].TotalExecUS > out[j].TotalExecUS
		}
		return out[i].QueryID < out[j].QueryID
	})
	return out
}

func nonNeg(v int64) int64 { return max(v, 0) }

// Report is the server-side statistics of one measurement window in the
// JSON shape stored in the results: one per measured phase as member
// "server_stats" of its TEST_RESULTS.PHASE_RESULTS entry (snapshots taken
// at the phase boundaries after warmup: NewReport(s0, s1), NewReport(s1,
// s2), ...), see docs/postgres.md. When the extension could not be read,
// Available is false, Reason says why and nothing else is set.
type Report struct {
	Available     bool      `json:"available"`
	Reason        string    `json:"reason,omitempty"`
	ServerVersion int       `json:"server_version,omitempty"`
	Database      string    `json:"database,omitempty"`
	From          time.Time `json:"from,omitzero"`
	To            time.Time `json:"to,omitzero"`
	// Reset is true when the statistics were reset inside the window;
	// Evicted counts entries pg_stat_statements dropped in it (its max
	// setting is too small for the workload). Either makes deltas partial.
	Reset      bool             `json:"reset,omitempty"`
	Evicted    int64            `json:"evicted,omitempty"`
	Statements []StatementDelta `json:"statements,omitempty"`
	// Omitted counts statements left out by the limit.
	Omitted int `json:"omitted,omitempty"`
}

// NewReport builds the Report of the window between before and after,
// keeping the limit busiest statements (all when limit <= 0).
func NewReport(before, after Snapshot, limit int) Report {
	r := Report{Available: true, ServerVersion: after.ServerVersion, Database: after.Database,
		From: before.Taken.UTC(), To: after.Taken.UTC(), Statements: Delta(before, after)}
	r.Reset = !before.Reset.Equal(after.Reset)
	if after.Dealloc >= before.Dealloc {
		r.Evicted = after.Dealloc - before.Dealloc
	}
	if limit > 0 && len(r.Statements) > limit {
		r.Omitted = len(r.Statements) - limit
		r.Statements = r.Statements[:limit]
	}
	return r
}

// Unavailable is the Report stored when the extension cannot be read.
func Unavailable(reason string) Report { return Report{Reason: reason} }

// Window measures one window on db: Begin at its start, End at its end.
type Window struct {
	db     *sql.DB
	limit  int
	reason string
	before Snapshot
}

// Begin checks that the statistics can be read and takes the snapshot at
// the start of the window. When they cannot be read it still returns a
// Window, whose End reports why; err is for failures to ask.
func Begin(ctx context.Context, db *sql.DB, limit int) (*Window, error) {
	w := &Window{db: db, limit: limit}
	ok, reason, err := Available(ctx, db)
	if err != nil {
		return nil, err
	}
	if !ok {
		w.reason = reason
		return w, nil
	}
	if w.before, err = TakeSnapshot(ctx, db); err != nil {
		return nil, err
	}
	return w, nil
}

// End takes the closing snapshot and returns the window's Report.
func (w *Window) End(ctx context.Context) (Report, error) {
	if w.reason != "" {
		return Unavailable(w.reason), nil
	}
	after, err := TakeSnapshot(ctx, w.db)
	if err != nil {
		return Report{}, err
	}
	return NewReport(w.before, after, w.limit), nil
}
