package run

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/target"
)

// Live server concurrency and locks: while the load nodes run, one
// sampler per Postgres or Snowflake target reads every ServerSampleEvery
// which of the run's statements (matched by the run id in
// application_name / QUERY_TAG) are running, queued, blocked or waiting
// and on what, and which wait for locks. Samples are stored in
// SERVER_SAMPLES as they are read and shown in the live view; lock waits
// are kept per wait with the longest wait seen and stored in LOCK_WAITS
// when the walk ends.

// DefaultServerSampleEvery is how often the target is sampled.
const DefaultServerSampleEvery = 2 * time.Second

// ServerSamplerSessions is the most connections the sampler adds on each
// sampled target (it shares the orchestrator's pool, and needs a second
// connection only while the orchestrator uses the first); CheckCapacity
// counts them.
const ServerSamplerSessions = 1

// sampleStore is the part of the store the sampler writes.
type sampleStore interface {
	InsertServerSamples(ctx context.Context, batch []store.ServerSample) error
	InsertLockWaits(ctx context.Context, batch []store.LockWait) error
}

type serverSampler struct {
	o      *orch
	key    string  // connection key
	conn   *sql.DB // the orchestrator's pool on the target
	kind   string
	wh     string
	table  string
	mu     sync.Mutex
	latest []store.ServerSample
	waits  map[string]*store.LockWait
	locks  bool // lock sampling still works
}

// startServerSampling starts a sampler per sampled target and returns the
// function that stops them and stores their lock waits.
func (o *orch) startServerSampling(ctx context.Context) func() {
	if o.opts.ServerSampleEvery < 0 {
		return func() {}
	}
	every := o.opts.ServerSampleEvery
	if every == 0 {
		every = DefaultServerSampleEvery
	}
	var samplers []*serverSampler
	seen := map[string]bool{}
	for _, name := range o.runTemplates() {
		t := o.cfg.Templates[name]
		if t == nil || seen[t.Connection] {
			continue
		}
		seen[t.Connection] = true
		c := o.cfg.Connections[t.Connection]
		if c == nil || (c.Type != dsl.ConnPostgres && c.Type != dsl.ConnSnowflake) {
			continue
		}
		db, err := o.target(name)
		if err != nil {
			continue
		}
		// The orchestrator's own pool: between its other statements the
		// sampler reuses its idle connection, and at most one more is
		// opened when they overlap (counted by CheckCapacity).
		conn := db.DB
		table := t.Table
		if i := strings.LastIndexByte(table, '.'); i >= 0 {
			table = table[i+1:]
		}
		samplers = append(samplers, &serverSampler{o: o, key: t.Connection, conn: conn, kind: c.Type, wh: c.Get("warehouse"),
			table: strings.ToUpper(strings.Trim(table, `"`)), waits: map[string]*store.LockWait{}, locks: true})
	}
	if len(samplers) == 0 {
		return func() {}
	}
	o.mu.Lock()
	o.samplers = samplers
	o.mu.Unlock()
	sctx, cancel := context.WithCancel(o.bg)
	var wg sync.WaitGroup
	for _, s := range samplers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.run(sctx, every)
		}()
	}
	return func() {
		cancel()
		wg.Wait()
		for _, s := range samplers {
			s.flushWaits()
		}
	}
}

func (s *serverSampler) run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	failures := 0
	for {
		if err := s.sample(ctx); err != nil && ctx.Err() == nil {
			if failures++; failures == 1 {
				s.o.log.Warn("server sample failed", "target", s.key, "error", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// latestServerSamples is the last sample of every target, for the live view.
func (o *orch) latestServerSamples() []store.ServerSample {
	o.mu.Lock()
	samplers := o.samplers
	o.mu.Unlock()
	var out []store.ServerSample
	for _, s := range samplers {
		s.mu.Lock()
		out = append(out, s.latest...)
		s.mu.Unlock()
	}
	return out
}

func (s *serverSampler) sample(ctx context.Context) error {
	now := s.o.st.Now()
	var counts map[[3]string]int64
	var err error
	switch s.kind {
	case dsl.ConnPostgres:
		counts, err = s.postgresSessions(ctx)
		if err == nil && s.locks {
			if lerr := s.postgresLocks(ctx, now); lerr != nil {
				s.locks = false
				s.o.log.Warn("lock waits not sampled", "target", s.key, "error", lerr)
			}
		}
	case dsl.ConnSnowflake:
		counts, err = s.snowflakeStatements(ctx)
		if s.locks {
			if lerr := s.snowflakeLocks(ctx, now); lerr != nil {
				s.locks = false
				s.o.log.Warn("lock waits not sampled (SHOW LOCKS)", "target", s.key, "error", lerr)
			}
		}
	}
	if err != nil {
		return err
	}
	keys := make([][3]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return strings.Join(keys[i][:], "\x00") < strings.Join(keys[j][:], "\x00") })
	batch := make([]store.ServerSample, 0, len(keys))
	for _, k := range keys {
		batch = append(batch, store.ServerSample{RunID: s.o.runID, SampledAt: now, Phase: k[0], Target: s.key, State: k[1], Kind: k[2], Sessions: counts[k]})
	}
	s.mu.Lock()
	s.latest = batch
	s.mu.Unlock()
	if ss, ok := s.o.st.(sampleStore); ok && len(batch) > 0 {
		return ss.InsertServerSamples(s.o.bg, batch)
	}
	return nil
}

// phaseOf reads the phase from a session's tag; when the tag had no room
// for it, the phase running now if only one is.
func (s *serverSampler) phaseOf(tag string) string {
	t, ok := target.ParseQueryTag(tag)
	if ok && t.Phase != "" {
		return t.Phase
	}
	if ok && t.Worker == "orchestrator" {
		return "cache_warmup"
	}
	s.o.mu.Lock()
	defer s.o.mu.Unlock()
	if len(s.o.running) == 1 {
		return s.o.running[0]
	}
	return ""
}

// postgresSessions counts the run's sessions by phase, state and wait
// event (state "waiting" when the wait is for a lock).
func (s *serverSampler) postgresSessions(ctx context.Context) (map[[3]string]int64, error) {
	rows, err := s.conn.QueryContext(ctx, `SELECT application_name, COALESCE(state, ''), COALESCE(wait_event_type, ''), COALESCE(wait_event, ''), count(*)
  FROM pg_stat_activity
 WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name LIKE '%' || $1 || '%'
 GROUP BY 1, 2, 3, 4`, s.o.runID)
	if err != nil {
		return nil, fmt.Errorf("pg_stat_activity: %w", err)
	}
	defer rows.Close()
	out := map[[3]string]int64{}
	for rows.Next() {
		var app, state, wtype, wevent string
		var n int64
		if err := rows.Scan(&app, &state, &wtype, &wevent, &n); err != nil {
			return nil, err
		}
		kind := ""
		if wtype != "" {
			kind = wtype + ":" + wevent
		}
		if wtype == "Lock" {
			state = "waiting"
		}
		out[[3]string{s.phaseOf(app), state, kind}] += n
	}
	return out, rows.Err()
}

// postgresLocks records the run's sessions waiting for a lock, the lock,
// who holds it and since when (pg_locks.waitstart, Postgres 14+).
func (s *serverSampler) postgresLocks(ctx context.Context, now time.Time) error {
	rows, err := s.conn.QueryContext(ctx, `SELECT a.pid, a.application_name, COALESCE(a.query, ''), l.locktype,
       COALESCE(l.relation::regclass::text, l.transactionid::text, l.virtualxid, ''),
       GREATEST(COALESCE((EXTRACT(EPOCH FROM (clock_timestamp() - l.waitstart)) * 1000000)::bigint, 0), 0),
       array_to_string(pg_blocking_pids(a.pid), ','), COALESCE(l.waitstart::text, '')
  FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
 WHERE NOT l.granted AND a.datname = current_database() AND a.application_name LIKE '%' || $1 || '%'`, s.o.runID)
	if err != nil {
		return fmt.Errorf("pg_locks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			pid                                   int64
			app, query, typ, object, blk, started string
			waitUS                                int64
		)
		if err := rows.Scan(&pid, &app, &query, &typ, &object, &waitUS, &blk, &started); err != nil {
			return err
		}
		if blk == "" {
			// Sampled the instant its holder let go: the lock is about to
			// be granted and nothing blocks it any more. A wait that lasts
			// is seen again, with its blocker, by a later sample.
			continue
		}
		s.observeWait(strconv.FormatInt(pid, 10)+"|"+started+"|"+typ+"|"+object, store.LockWait{RunID: s.o.runID, ObservedAt: now,
			Phase: s.phaseOf(app), Target: s.key, Waiter: "pid " + strconv.FormatInt(pid, 10), WaiterQuery: query,
			Blocker: blk, LockType: typ, LockObject: object, WaitUS: waitUS})
	}
	return rows.Err()
}

// snowflakeStatements counts the run's statements on the warehouse that
// have not ended, by phase, status (RUNNING, QUEUED, BLOCKED, …) and query
// type, from QUERY_HISTORY_BY_WAREHOUSE.
func (s *serverSampler) snowflakeStatements(ctx context.Context) (map[[3]string]int64, error) {
	out := map[[3]string]int64{}
	if s.wh == "" || !plainIdent(s.wh) || !plainIdent(strings.ReplaceAll(s.o.runID, "-", "_")) {
		return out, nil
	}
	rows, err := s.conn.QueryContext(ctx, `SELECT QUERY_TAG, EXECUTION_STATUS, QUERY_TYPE, COUNT(*)
  FROM TABLE(INFORMATION_SCHEMA.QUERY_HISTORY_BY_WAREHOUSE(WAREHOUSE_NAME => '`+s.wh+`', RESULT_LIMIT => 10000))
 WHERE QUERY_TAG LIKE '%`+s.o.runID+`%' AND EXECUTION_STATUS IN ('RUNNING', 'QUEUED', 'BLOCKED', 'RESUMING_WAREHOUSE')
 GROUP BY 1, 2, 3`)
	if err != nil {
		return nil, fmt.Errorf("QUERY_HISTORY_BY_WAREHOUSE: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var tag, status, typ sql.NullString
		var n int64
		if err := rows.Scan(&tag, &status, &typ, &n); err != nil {
			return nil, err
		}
		out[[3]string{s.phaseOf(tag.String), strings.ToLower(status.String), typ.String}] += n
	}
	return out, rows.Err()
}

// snowflakeLocks records the WAITING entries of SHOW LOCKS on the
// template's table.
func (s *serverSampler) snowflakeLocks(ctx context.Context, now time.Time) error {
	rows, err := s.conn.QueryContext(ctx, "SHOW LOCKS IN ACCOUNT")
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		m, err := scanByColumn(rows, cols)
		if err != nil {
			return err
		}
		if !strings.EqualFold(m["status"], "WAITING") || (s.table != "" && !strings.Contains(strings.ToUpper(m["resource"]), s.table)) {
			continue
		}
		var waitUS int64
		if t, err := time.Parse(time.RFC3339Nano, m["requested_on"]); err == nil {
			waitUS = now.Sub(t).Microseconds()
		}
		s.observeWait(m["query_id"]+"|"+m["resource"], store.LockWait{RunID: s.o.runID, ObservedAt: now, Target: s.key,
			Waiter: m["query_id"], Blocker: m["transaction"], LockType: m["type"], LockObject: m["resource"], WaitUS: waitUS})
	}
	return rows.Err()
}

// observeWait keeps one row per wait with the longest wait seen.
func (s *serverSampler) observeWait(key string, w store.LockWait) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev := s.waits[key]; prev != nil {
		prev.WaitUS = max(prev.WaitUS, w.WaitUS)
		return
	}
	s.waits[key] = &w
}

func (s *serverSampler) flushWaits() {
	s.mu.Lock()
	batch := make([]store.LockWait, 0, len(s.waits))
	for _, w := range s.waits {
		batch = append(batch, *w)
	}
	s.mu.Unlock()
	sort.Slice(batch, func(i, j int) bool { return batch[i].ObservedAt.Before(batch[j].ObservedAt) })
	if ss, ok := s.o.st.(sampleStore); ok && len(batch) > 0 {
		if err := ss.InsertLockWaits(s.o.bg, batch); err != nil {
			s.o.log.Warn("lock waits not stored", "target", s.key, "error", err)
		}
	}
}

func plainIdent(s string) bool {
	for _, r := range s {
		if !(r == '_' || r == '$' || r == '.' || (r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z')) {
			return false
		}
	}
	return s != ""
}
