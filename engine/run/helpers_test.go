package run

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/hashicorp/go-hclog"
	_ "modernc.org/sqlite"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/store"
)

// scenarioHCL is a small SQLite scenario: setup, a warmup, one closed
// phase over workers, teardown. %[1]s is the target path, %[2]s the phase
// block, %[3]s extra scenario blocks (thresholds).
const scenarioHCL = `
connection "sqlite" "t" {
  path = %[1]q
}

template "kv" {
  connection = connection.sqlite.t
  table      = "KV"
  pool "keys" {
    column = "k"
    size   = 100
  }
  query "get" {
    kind   = "point_lookup"
    weight = 3
    sql    = "SELECT v FROM KV WHERE k = ?"
    args   = [pool.keys]
  }
  query "put" {
    kind   = "insert"
    weight = 1
    sql    = "INSERT INTO KV (k, v) VALUES (?, ?)"
    args   = [sequence("k"), random_string(8)]
  }
}

scenario "small" {
  template = template.kv
  seed     = 7
  setup {
    sql = [
      "DROP TABLE IF EXISTS KV",
      "CREATE TABLE KV (k INTEGER PRIMARY KEY, v TEXT NOT NULL)",
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) INSERT INTO KV SELECT i, 'v' || i FROM n",
    ]
  }
  teardown {
    sql = ["CREATE TABLE TORN_DOWN (x INTEGER)"]
  }
  warmup {
    duration    = "150ms"
    connections = 4
  }
%[2]s
%[3]s
}
`

const closedPhase = `
  phase "steady" {
    duration    = "600ms"
    connections = 4
    workers     = 2
  }
`

type fixture struct {
	cfg       *dsl.Config
	plan      engine.RunPlan
	st        *store.Store
	target    string
	storePath string // the SQLite store's file
}

func newFixture(t testing.TB, phase, extra string) *fixture {
	t.Helper()
	return fixtureFrom(t, scenarioHCL, phase, extra)
}

// readsHCL is scenarioHCL without writes: a read-only workload that an
// SQLite target serves at any concurrency without waiting for its lock.
const readsHCL = `
connection "sqlite" "t" {
  path = %[1]q
}

template "kv" {
  connection = connection.sqlite.t
  table      = "KV"
  query "get" {
    kind   = "point_lookup"
    weight = 1
    sql    = "SELECT v FROM KV WHERE k = ?"
    args   = [uniform(1, 200)]
  }
}

scenario "small" {
  template = template.kv
  seed     = 7
  setup {
    sql = [
      "DROP TABLE IF EXISTS KV",
      "CREATE TABLE KV (k INTEGER PRIMARY KEY, v TEXT NOT NULL)",
      "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200) INSERT INTO KV SELECT i, 'v' || i FROM n",
    ]
  }
%[2]s
%[3]s
}
`

// fixtureFrom loads src (a format with %[1]s the target path, %[2]s the
// phases, %[3]s extra scenario blocks), plans it and opens a store.
func fixtureFrom(t testing.TB, format, phase, extra string) *fixture {
	t.Helper()
	dir := t.TempDir()
	tgt := filepath.Join(dir, "target.db")
	src := fmt.Sprintf(format, tgt, phase, extra)
	cfg, diags := dsl.LoadSources(map[string][]byte{"s.fb.hcl": []byte(src)}, dsl.LoadOptions{})
	if diags.HasErrors() {
		t.Fatalf("load: %v", diags)
	}
	plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{})
	if diags.HasErrors() {
		t.Fatalf("plan: %v", diags)
	}
	storePath := filepath.Join(dir, "store.db")
	st, err := store.Open(context.Background(), "sqlite:"+storePath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &fixture{cfg: cfg, plan: plan.Runs[0], st: st, target: tgt, storePath: storePath}
}

// fastOptions are Options with short control-plane intervals for tests.
func (f *fixture) fastOptions(t testing.TB) Options {
	// Under the race detector on a loaded machine a heartbeat goroutine can
	// be starved for seconds; tests of worker death set their own bounds.
	stale, dead := 2*time.Second, 5*time.Second
	if raceEnabled {
		stale, dead = 10*time.Second, 30*time.Second
	}
	lg := hclog.NewNullLogger()
	if os.Getenv("FBCTL_TEST_LOG") != "" { // the run's log on stderr, to debug a test
		lg = hclog.New(&hclog.LoggerOptions{Level: hclog.Debug, Output: os.Stderr})
	}
	return Options{Store: f.st, Logger: lg, HeartbeatEvery: 100 * time.Millisecond,
		PollEvery: 10 * time.Millisecond, StaleAfter: stale, DeadAfter: dead,
		JoinTimeout: 20 * time.Second, DrainTimeout: 5 * time.Second}
}

// recordingHook keeps every state change.
type recordingHook struct {
	NopHook
	mu       sync.Mutex
	states   []StateChange
	progress int
	nodes    []string
}

func (h *recordingHook) StateChanged(c StateChange) {
	h.mu.Lock()
	h.states = append(h.states, c)
	h.mu.Unlock()
}

func (h *recordingHook) Progress(Progress) {
	h.mu.Lock()
	h.progress++
	h.mu.Unlock()
}

func (h *recordingHook) NodeFinished(_, node string, err error) {
	h.mu.Lock()
	h.nodes = append(h.nodes, fmt.Sprintf("%s:%v", node, err))
	h.mu.Unlock()
}

// allValues is a Sink that feeds every measured operation of every worker
// into one histogram, to check the exact merge against.
type allValues struct {
	mu sync.Mutex
	h  *hdr.Histogram
	n  map[string]int64 // operations by phase

	inserts, errors int64 // warmup included
	firstErr        string
}

func newAllValues() *allValues { return &allValues{h: histogram.New(), n: map[string]int64{}} }

func (a *allValues) Offer(r executor.Record) bool {
	a.mu.Lock()
	a.n[r.Phase]++
	if r.Kind == dsl.KindInsert && r.Success {
		a.inserts++
	}
	if !r.Success {
		a.errors++
		if a.firstErr == "" {
			a.firstErr = r.ErrorMessage
		}
	}
	if !r.Warmup {
		v, _ := histogram.Clamp(r.LatencyUS)
		a.h.RecordValue(v)
	}
	a.mu.Unlock()
	return true
}

func (a *allValues) factory() SinkFactory {
	return func(string, string, int, string) executor.Sink { return a }
}
