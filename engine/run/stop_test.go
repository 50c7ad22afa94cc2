package run

import (
	"context"
	"database/sql"
	"errors"
	"github.com/flakebench/fbctl/engine/results"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/dialect"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/target"
	"github.com/flakebench/fbctl/internal/noopdb"
)

const longPhase = `
  phase "steady" {
    duration    = "30s"
    connections = 4
    workers     = 2
  }
`

func TestFailingThresholdIsReported(t *testing.T) {
	f := newFixture(t, closedPhase, `
  threshold "impossible_p99" {
    metric = "p99"
    query  = "get"
    below  = 0.0001
  }
  threshold "ok_errors" {
    metric = "error_rate"
    below  = 0.5
  }
  threshold "absurd_qps" {
    metric = "qps"
    phase  = "steady"
    above  = 1e12
  }
`)
	out, err := Apply(context.Background(), f.plan, f.cfg, f.fastOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCompleted || !out.ThresholdsFailed() {
		t.Fatalf("status %s (%s), thresholds %+v", out.Status, out.FailureReason, out.Thresholds)
	}
	got := map[string]results.ThresholdResult{}
	for _, r := range out.Thresholds {
		got[r.Name] = r
	}
	if r := got["impossible_p99"]; r.Passed || r.Actual <= 0 || r.Query != "get" || r.Op != "below" {
		t.Fatalf("p99 threshold %+v", r)
	}
	if r := got["ok_errors"]; !r.Passed {
		t.Fatalf("error_rate threshold %+v", r)
	}
	if r := got["absurd_qps"]; r.Passed || r.Actual <= 0 || r.Actual != out.Phases[0].QPS {
		t.Fatalf("qps threshold %+v (phase qps %v)", r, out.Phases[0].QPS)
	}
}

// cancelWhen cancels when the hook sees the phase running.
type cancelWhen struct {
	NopHook
	phase  string
	after  time.Duration
	cancel func()
	once   sync.Once
}

func (c *cancelWhen) StateChanged(s StateChange) {
	if s.Phase == c.phase {
		c.once.Do(func() { time.AfterFunc(c.after, c.cancel) })
	}
}

func TestCancelKeepsWhatWasMeasured(t *testing.T) {
	f := newFixture(t, longPhase, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := f.fastOptions(t)
	opts.Hook = &cancelWhen{phase: "steady", after: 400 * time.Millisecond, cancel: cancel}
	start := time.Now()
	out, err := Apply(ctx, f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCancelled {
		t.Fatalf("status %s: %s", out.Status, out.FailureReason)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("a cancelled 30 s phase took %s", took)
	}
	run, err := f.st.GetRun(context.Background(), out.RunID)
	if err != nil || run.Status != store.RunCancelled {
		t.Fatalf("RUN_STATUS %s, %v", run.Status, err)
	}
	rows, err := f.st.ListResults(context.Background(), out.RunID)
	if err != nil || len(rows) != 3 {
		t.Fatalf("%d result rows, %v", len(rows), err)
	}
	var sum int64
	for _, c := range rows[1:] {
		if c.Status != string(store.RunCancelled) {
			t.Fatalf("child %s status %s", c.TestID, c.Status)
		}
		sum += c.Total
	}
	if rows[0].Total == 0 || rows[0].Total != sum || rows[0].Status != string(store.RunCancelled) {
		t.Fatalf("parent total %d (children %d), status %s", rows[0].Total, sum, rows[0].Status)
	}
	// Teardown still ran after a first Ctrl-C.
	db, _ := sql.Open("sqlite", f.target)
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT COUNT(*) FROM sqlite_master WHERE name = 'TORN_DOWN'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("teardown after cancel: %d, %v", n, err)
	}
}

// noopTargets opens no-op databases; with stallAfter > 0 they hang for an
// hour from their stallAfter-th operation, and stalled reports when every
// one opened so far has reached it.
type noopTargets struct {
	stallAfter int64
	mu         sync.Mutex
	conns      []*noopdb.Connector
}

func (n *noopTargets) open(c *dsl.Connection) (*target.DB, error) {
	cn := noopdb.NewConnector(noopdb.Options{Latency: 200 * time.Microsecond, StallAfterOps: n.stallAfter, StallFor: time.Hour})
	n.mu.Lock()
	n.conns = append(n.conns, cn)
	n.mu.Unlock()
	return &target.DB{DB: noopdb.OpenConnector(cn), Dialect: dialect.SQLite{}, Key: c.Key()}, nil
}

func (n *noopTargets) stalled(want int) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.conns) < want {
		return false
	}
	for _, c := range n.conns {
		if c.Ops() < n.stallAfter {
			return false
		}
	}
	return true
}

func TestHardStopDuringStallStillRecordsCancelled(t *testing.T) { checkHardStopDuringStall(t) }

func checkHardStopDuringStall(t *testing.T) {
	f := newFixture(t, longPhase, "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hard, hardStop := context.WithCancel(context.Background())
	defer hardStop()
	workers := &noopTargets{stallAfter: 1600} // the warmup does at most 2 × 150 ms ÷ 200 µs = 1500: the steady phase hangs
	opts := f.fastOptions(t)
	opts.openTarget = (&noopTargets{}).open
	opts.workerOpenTarget = workers.open
	opts.DrainTimeout = time.Hour // only the hard stop can end the drain
	opts.HardStop = hard
	go func() {
		for !workers.stalled(2) {
			time.Sleep(10 * time.Millisecond)
		}
		cancel() // first Ctrl-C: the drain waits for operations that never end
		time.Sleep(300 * time.Millisecond)
		hardStop() // second Ctrl-C
	}()
	out, err := Apply(ctx, f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCancelled || !strings.Contains(out.FailureReason, "hard stop") {
		workers.mu.Lock()
		for _, c := range workers.conns {
			t.Logf("worker target: %d operations", c.Ops())
		}
		workers.mu.Unlock()
		t.Fatalf("status %s: %s", out.Status, out.FailureReason)
	}
	if len(out.Children) != 2 || out.Parent.Total == 0 {
		t.Fatalf("%d child rows, parent total %d", len(out.Children), out.Parent.Total)
	}
	for _, c := range out.Children {
		if c.Status != string(store.RunCancelled) || c.Total == 0 {
			t.Fatalf("child %s: %s, %d operations", c.TestID, c.Status, c.Total)
		}
	}
}

func TestDeadWorkerFailsTheRun(t *testing.T) {
	f := newFixture(t, longPhase, "")
	opts := f.fastOptions(t)
	opts.StaleAfter, opts.DeadAfter = time.Second, 2*time.Second
	// Worker 1 dies like a killed process once it has stored a metrics
	// snapshot with operations in it: its context ends and from then on
	// none of its writes reach the store.
	killed := make(chan struct{})
	victim := &deadAfterKill{}
	opts.workerStore = func(group int, cp ControlPlane) ControlPlane {
		if group != 1 {
			return cp
		}
		victim.ControlPlane = cp
		return victim
	}
	opts.workerCtx = func(group int, ctx context.Context) context.Context {
		if group != 1 {
			return ctx
		}
		c, kill := context.WithCancel(ctx)
		go func() {
			defer close(killed)
			for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if victim.measured() {
					break
				}
			}
			victim.dead.Store(true)
			kill()
		}()
		return c
	}
	start := time.Now()
	out, err := Apply(context.Background(), f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	<-killed
	if out.Status != store.RunFailed || !strings.Contains(out.FailureReason, "worker-1") || !strings.Contains(out.FailureReason, "no heartbeat") {
		t.Fatalf("status %s: %q", out.Status, out.FailureReason)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("the run hung for %s with a dead worker", took)
	}
	hbs, err := f.st.ListHeartbeats(context.Background(), out.RunID)
	if err != nil || len(hbs) != 2 || hbs[1].Status != store.WorkerDead || hbs[0].Status != store.WorkerCompleted {
		t.Fatalf("heartbeats %+v, %v", hbs, err)
	}
	run, _ := f.st.GetRun(context.Background(), out.RunID)
	if run.Status != store.RunFailed || !strings.Contains(run.FailureReason, "worker-1") {
		t.Fatalf("RUN_STATUS %s %q", run.Status, run.FailureReason)
	}
	// The dead worker never wrote a row for the phase it died in: its
	// measurements are rebuilt from the metrics snapshots it stored, and
	// the parent counts them.
	var dead *store.TestResult
	var sum int64
	for i, c := range out.Children {
		sum += c.Total
		if c.WorkerID == "worker-1" {
			dead = &out.Children[i]
		}
	}
	if dead == nil || dead.Status != string(store.WorkerDead) || dead.Total == 0 || !strings.Contains(dead.FailureReason, "metrics snapshots") {
		t.Fatalf("dead worker's row %+v", dead)
	}
	if out.Parent.Total != sum {
		t.Fatalf("parent counts %d operations, the workers %d", out.Parent.Total, sum)
	}
	snaps, err := f.st.MetricsSnapshotsAfter(context.Background(), out.RunID, "steady", -1)
	if err != nil {
		t.Fatal(err)
	}
	// Its count is what its stored intervals hold, exactly.
	var fromSnaps int64
	for _, m := range snaps {
		if m.WorkerID == "worker-1" {
			iv, err := results.IntervalOf(m)
			if err != nil {
				t.Fatal(err)
			}
			fromSnaps += iv.Ops()
		}
	}
	if dead.Total != fromSnaps || fromSnaps == 0 {
		t.Fatalf("dead worker's row counts %d operations, its stored intervals %d", dead.Total, fromSnaps)
	}
	rows, err := f.st.ListResults(context.Background(), out.RunID)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.WorkerID == "worker-1" && r.Total != dead.Total {
			t.Fatalf("stored dead worker's row counts %d, the outcome %d", r.Total, dead.Total)
		}
	}
}

func TestExternalWorkersJoin(t *testing.T) {
	f := newFixture(t, closedPhase, passingThreshold)
	opts := f.fastOptions(t)
	opts.Launch = LaunchExternal
	opts.RunID = store.NewID()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Go(func() {
			// Wait for the run to exist, as `fbctl worker -run` retries.
			for {
				if _, err := f.st.GetRun(ctx, opts.RunID); err == nil {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			errs[i] = JoinWorker(ctx, opts.RunID, WorkerOptions{Store: f.st, Config: f.cfg, WorkerID: []string{"host-a", "host-b"}[i],
				HeartbeatEvery: opts.HeartbeatEvery, PollEvery: opts.PollEvery})
		})
	}
	out, err := Apply(ctx, f.plan, f.cfg, opts)
	wg.Wait()
	if err != nil || errs[0] != nil || errs[1] != nil {
		t.Fatalf("apply %v, workers %v", err, errs)
	}
	if out.Status != store.RunCompleted || len(out.Children) != 2 {
		t.Fatalf("status %s (%s), %d children", out.Status, out.FailureReason, len(out.Children))
	}
	ids := map[string]bool{}
	for _, c := range out.Children {
		ids[c.WorkerID] = true
		if c.Total == 0 {
			t.Fatalf("worker %s measured nothing", c.WorkerID)
		}
	}
	if !ids["host-a"] || !ids["host-b"] {
		t.Fatalf("children %v", ids)
	}
	// A third worker finds no free group.
	err = JoinWorker(ctx, opts.RunID, WorkerOptions{Store: f.st, Config: f.cfg, WorkerID: "late"})
	if err == nil {
		t.Fatal("a worker joined a finished run")
	}
}

func TestExternalJoinTimeout(t *testing.T) {
	f := newFixture(t, closedPhase, "")
	opts := f.fastOptions(t)
	opts.Launch = LaunchExternal
	opts.JoinTimeout = 300 * time.Millisecond
	out, err := Apply(context.Background(), f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunFailed || !strings.Contains(out.FailureReason, "only 0 of 2 planned workers joined") ||
		!strings.Contains(out.FailureReason, "fbctl worker -run "+out.RunID) {
		t.Fatalf("status %s: %q", out.Status, out.FailureReason)
	}
}

func TestWorkerRefusesDifferentTemplate(t *testing.T) {
	f := newFixture(t, closedPhase, "")
	opts := f.fastOptions(t)
	opts.Launch = LaunchExternal
	opts.RunID = store.NewID()
	opts.JoinTimeout = 5 * time.Second
	other := newFixture(t, closedPhase, "")
	other.cfg.Templates["kv"].Queries["get"].SQL = "SELECT v FROM KV WHERE k = ? LIMIT 1"
	errc := make(chan error, 1)
	go func() {
		for {
			if _, err := f.st.GetRun(context.Background(), opts.RunID); err == nil {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		errc <- JoinWorker(context.Background(), opts.RunID, WorkerOptions{Store: f.st, Config: other.cfg, HeartbeatEvery: opts.HeartbeatEvery})
	}()
	out, err := Apply(context.Background(), f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	werr := <-errc
	if werr == nil || !strings.Contains(werr.Error(), "differs from the run's plan") {
		t.Fatalf("worker error %v", werr)
	}
	if out.Status != store.RunFailed || !strings.Contains(out.FailureReason, "differs from the run's plan") {
		t.Fatalf("status %s: %q", out.Status, out.FailureReason)
	}
}

func TestCheckHealth(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hb := func(id string, st store.WorkerStatus, age time.Duration) store.Heartbeat {
		return store.Heartbeat{WorkerID: id, Status: st, LastHeartbeat: now.Add(-age)}
	}
	h := checkHealth([]store.Heartbeat{
		hb("fresh", store.WorkerRunning, time.Second),
		hb("ready", store.WorkerReady, 0),
		hb("stale", store.WorkerRunning, 40*time.Second),
		hb("dead", store.WorkerRunning, 61*time.Second),
		hb("done", store.WorkerCompleted, time.Hour),
		hb("failed", store.WorkerDead, 0),
	}, now, DefaultStaleAfter, DefaultDeadAfter)
	if h.alive != 2 || h.stale != 1 || h.ready != 1 || len(h.dead) != 1 || h.dead[0].WorkerID != "dead" ||
		len(h.failed) != 1 || h.failed[0].WorkerID != "failed" {
		t.Fatalf("health %+v", h)
	}
}

var _ = errors.New

// deadAfterKill is the control plane of a worker that can be killed: once
// dead, every write it makes fails, as a killed process's would never
// arrive.
type deadAfterKill struct {
	ControlPlane
	dead      atomic.Bool
	snapshots atomic.Int64 // snapshots written with operations in them
}

var errKilled = errors.New("the worker process is dead")

func (d *deadAfterKill) measured() bool { return d.snapshots.Load() >= 2 }

func (d *deadAfterKill) WriteMetricsSnapshots(ctx context.Context, b []store.MetricsSnapshot) error {
	if d.dead.Load() {
		return errKilled
	}
	err := d.ControlPlane.WriteMetricsSnapshots(ctx, b)
	for _, m := range b {
		if err == nil && m.Operations > 0 && m.PhaseKind == store.PhaseMeasurement {
			d.snapshots.Add(1)
		}
	}
	return err
}

func (d *deadAfterKill) WriteTestResult(ctx context.Context, r store.TestResult) error {
	if d.dead.Load() {
		return errKilled
	}
	return d.ControlPlane.WriteTestResult(ctx, r)
}

func (d *deadAfterKill) UpsertHeartbeat(ctx context.Context, hb store.Heartbeat) error {
	if d.dead.Load() {
		return errKilled
	}
	return d.ControlPlane.UpsertHeartbeat(ctx, hb)
}

func (d *deadAfterKill) SetWorkerStatus(ctx context.Context, runID, workerID string, st store.WorkerStatus, lastError string) error {
	if d.dead.Load() {
		return errKilled
	}
	return d.ControlPlane.SetWorkerStatus(ctx, runID, workerID, st, lastError)
}

func (d *deadAfterKill) InsertQueryExecutions(ctx context.Context, b []store.QueryExecution) error {
	if d.dead.Load() {
		return errKilled
	}
	return d.ControlPlane.InsertQueryExecutions(ctx, b)
}

// finalRowBlocked is a worker's control plane that never writes the
// worker's final row: the write waits until the worker is stopped.
type finalRowBlocked struct{ ControlPlane }

func (b finalRowBlocked) WriteTestResult(ctx context.Context, r store.TestResult) error {
	if r.Status == childRunning {
		return b.ControlPlane.WriteTestResult(ctx, r)
	}
	<-ctx.Done()
	return ctx.Err()
}

// A worker stopped before it wrote its final row (here its last write
// hangs until the orchestrator's wait ends) leaves no row saying RUNNING in
// an ended run: the orchestrator gives the row the run's status, says why,
// and keeps the phase the worker had finished.
func TestAWorkerRowLeftRunningIsClosedWithTheRun(t *testing.T) {
	f := newFixture(t, longPhase, "")
	opts := f.fastOptions(t)
	opts.DrainTimeout, opts.StaleAfter, opts.DeadAfter = 200*time.Millisecond, time.Second, 2*time.Second
	opts.workerStore = func(group int, cp ControlPlane) ControlPlane {
		if group != 1 {
			return cp
		}
		return finalRowBlocked{cp}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hook := &recordingHook{}
	opts.Hook = hook
	go func() {
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			hook.mu.Lock()
			running := slices.ContainsFunc(hook.states, func(c StateChange) bool { return c.Status == store.RunRunning })
			hook.mu.Unlock()
			if running {
				break
			}
		}
		time.Sleep(time.Second) // the phase measures for a while
		cancel()
	}()
	out, err := Apply(ctx, f.plan, f.cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != store.RunCancelled {
		t.Fatalf("status %s: %s", out.Status, out.FailureReason)
	}
	rows, err := f.st.ListResults(context.Background(), out.RunID)
	if err != nil {
		t.Fatal(err)
	}
	var w1 *store.TestResult
	for i, r := range rows {
		if r.Status == childRunning {
			t.Errorf("row %s still says RUNNING", r.TestID)
		}
		if r.WorkerID == "worker-1" {
			w1 = &rows[i]
		}
	}
	if w1 == nil {
		t.Fatal("no row for worker-1")
	}
	if w1.Status != string(store.RunCancelled) || w1.Total == 0 || !strings.Contains(w1.FailureReason, "before it wrote its final row") {
		t.Fatalf("worker-1's row: %s, %d operations, %q", w1.Status, w1.Total, w1.FailureReason)
	}
	var sum int64
	for _, c := range out.Children {
		sum += c.Total
	}
	if out.Parent.Total != sum {
		t.Fatalf("parent counts %d operations, the workers %d", out.Parent.Total, sum)
	}
}
