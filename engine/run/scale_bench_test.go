package run

import (
	"context"
	"fmt"
	"github.com/flakebench/fbctl/engine/results"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hashicorp/go-hclog"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/dialect"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/target"
	"github.com/flakebench/fbctl/internal/noopdb"
)

// scaleHCL is one closed phase of %[2]d connections over %[3]d in-process
// workers for %[4]s, after a short warmup, against a connection the
// benchmark replaces with the no-op target.
const scaleHCL = `
connection "sqlite" "t" {
  path = %[1]q
}

template "kv" {
  connection = connection.sqlite.t
  table      = "KV"
  query "get" {
    kind   = "point_lookup"
    sql    = "SELECT v FROM KV WHERE k = ?"
    args   = [uniform(1, 1000)]
  }
}

scenario "scale" {
  template = template.kv
  seed     = 7
  warmup {
    duration    = "1s"
    connections = %[2]d
  }
  phase "scale" {
    duration    = %[4]q
    connections = %[2]d
    workers     = %[3]d
  }
}
`

// heartbeatWatch polls the control plane's heartbeats while the
// measurement phase runs and keeps the oldest one seen among running
// workers.
type heartbeatWatch struct {
	NopHook
	st    *store.Store
	runID string
	every time.Duration

	mu         sync.Mutex
	maxAge     time.Duration
	maxStale   int
	polls      int
	phaseStart time.Time
	phaseEnd   time.Time
	cpuStart   time.Duration
	cpuEnd     time.Duration
	stop       chan struct{}
	done       chan struct{}
	pollErr    error
}

func (h *heartbeatWatch) NodeStarted(_, node string) {
	if node != "phase.scale" {
		return
	}
	h.mu.Lock()
	h.phaseStart, h.cpuStart = time.Now(), processCPU()
	h.mu.Unlock()
	h.stop, h.done = make(chan struct{}), make(chan struct{})
	go h.poll()
}

func (h *heartbeatWatch) NodeFinished(_, node string, _ error) {
	if node != "phase.scale" {
		return
	}
	h.mu.Lock()
	h.phaseEnd, h.cpuEnd = time.Now(), processCPU()
	h.mu.Unlock()
	close(h.stop)
	<-h.done
}

func (h *heartbeatWatch) Progress(p Progress) {
	h.mu.Lock()
	h.maxStale = max(h.maxStale, p.WorkersStale)
	h.mu.Unlock()
}

func (h *heartbeatWatch) poll() {
	defer close(h.done)
	t := time.NewTicker(h.every)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		hbs, err := h.st.ListHeartbeats(context.Background(), h.runID)
		h.mu.Lock()
		if err != nil {
			h.pollErr = err
		}
		h.polls++
		for _, hb := range hbs {
			if hb.Status == store.WorkerCompleted {
				continue
			}
			h.maxAge = max(h.maxAge, h.st.Now().Sub(hb.LastHeartbeat))
		}
		h.mu.Unlock()
	}
}

// processCPU is the process's user+system CPU time (getrusage).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// BenchmarkScale runs FBCTL_BENCH_SCALE_WORKERS (50) in-process workers ×
// FBCTL_BENCH_SCALE_CONNS (100) connections each against the no-op target
// (FBCTL_BENCH_SCALE_LATENCY per statement, default 1ms) for
// FBCTL_BENCH_SCALE_SECONDS (30), with the production heartbeat interval and
// StaleAfter, and reports the oldest heartbeat seen while the phase ran
// against StaleAfter, whether the merged result adds up over the workers,
// and the process CPU per 1,000 ops/s during the phase.
func BenchmarkScale(b *testing.B) {
	workers := envInt("FBCTL_BENCH_SCALE_WORKERS", 50)
	perWorker := envInt("FBCTL_BENCH_SCALE_CONNS", 100)
	secs := envInt("FBCTL_BENCH_SCALE_SECONDS", 30)
	latency := time.Millisecond
	if d, err := time.ParseDuration(os.Getenv("FBCTL_BENCH_SCALE_LATENCY")); err == nil {
		latency = d
	}
	for range b.N {
		dir := b.TempDir()
		src := fmt.Sprintf(scaleHCL, filepath.Join(dir, "unused.db"), workers*perWorker, workers, fmt.Sprintf("%ds", secs))
		cfg, diags := dsl.LoadSources(map[string][]byte{"scale.fb.hcl": []byte(src)}, dsl.LoadOptions{})
		if diags.HasErrors() {
			b.Fatalf("load: %v", diags)
		}
		plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{})
		if diags.HasErrors() {
			b.Fatalf("plan: %v", diags)
		}
		st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(dir, "store.db"), store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		open := func(c *dsl.Connection) (*target.DB, error) {
			return &target.DB{DB: noopdb.Open(noopdb.Options{Latency: latency}), Dialect: dialect.SQLite{}, Key: c.Key()}, nil
		}
		runID := store.NewID()
		watch := &heartbeatWatch{st: st, runID: runID, every: 250 * time.Millisecond}
		opts := Options{Store: st, Logger: hclog.NewNullLogger(), Hook: watch, RunID: runID}
		opts.openTarget = open
		out, err := Apply(context.Background(), plan.Runs[0], cfg, opts)
		st.Close()
		if err != nil {
			b.Fatal(err)
		}
		if out.Status != store.RunCompleted {
			b.Fatalf("status %s: %s", out.Status, out.FailureReason)
		}
		var phase results.PhaseSummary
		for _, p := range out.Phases {
			if p.Name == "scale" {
				phase = p
			}
		}
		var childTotal int64
		for _, c := range out.Children {
			childTotal += c.Total
		}
		merged := len(out.Children) == workers && phase.Workers == workers && childTotal == out.Parent.Total && out.Parent.Total > 0
		watch.mu.Lock()
		wall := watch.phaseEnd.Sub(watch.phaseStart).Seconds()
		cpu := (watch.cpuEnd - watch.cpuStart).Seconds()
		maxAge, maxStale, polls, pollErr := watch.maxAge, watch.maxStale, watch.polls, watch.pollErr
		watch.mu.Unlock()
		if pollErr != nil {
			b.Logf("heartbeat poll: %v", pollErr)
		}
		qps := phase.QPS
		b.Logf("%d workers × %d connections, %v latency: %d ops in %.1f s (%.0f ops/s), %d children (child sum %d, parent %d), heartbeat max age %v over %d polls, max stale %d, CPU %.1f s",
			workers, perWorker, latency, phase.Counts.Total, phase.Seconds, qps, len(out.Children), childTotal, out.Parent.Total,
			maxAge.Round(time.Millisecond), polls, maxStale, cpu)
		b.ReportMetric(qps, "ops/s")
		b.ReportMetric(maxAge.Seconds(), "hb_max_age_s")
		b.ReportMetric(DefaultStaleAfter.Seconds(), "stale_after_s")
		b.ReportMetric(float64(maxStale), "stale_workers")
		b.ReportMetric(float64(len(out.Children)), "workers_merged")
		b.ReportMetric(map[bool]float64{true: 1}[merged], "merged_ok")
		// CPU cores busy per 1,000 ops/s, in milliseconds of CPU per second.
		if qps > 0 && wall > 0 {
			b.ReportMetric(1000*cpu/wall/(qps/1000), "cpu_ms_per_s_per_kops")
		}
		b.ReportMetric(cpu/wall, "cpu_cores")
	}
}
