package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/engine/store"
)

// hosts is a small network of Linux network namespaces, one per host,
// joined by veth pairs to a bridge in a namespace of its own: traffic
// between them never leaves the namespaces the test made.
type hosts struct {
	t      *testing.T
	prefix string
	subnet string         // "10.77.N"
	index  map[string]int // host name → address index
}

func (h *hosts) ns(name string) string { return h.prefix + name }

func (h *hosts) addr(name string) string { return fmt.Sprintf("%s.%d", h.subnet, h.index[name]) }

func (h *hosts) run(args ...string) {
	h.t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		h.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newHosts makes the bridge and one namespace per host name.
func newHosts(t *testing.T, names ...string) *hosts {
	h := &hosts{t: t, prefix: fmt.Sprintf("fb%d-", os.Getpid()%10000), subnet: fmt.Sprintf("10.77.%d", os.Getpid()%250+1), index: map[string]int{}}
	t.Cleanup(func() {
		for _, n := range append([]string{"br"}, names...) {
			exec.Command("ip", "netns", "del", h.ns(n)).Run()
		}
	})
	h.run("ip", "netns", "add", h.ns("br"))
	h.run("ip", "netns", "exec", h.ns("br"), "ip", "link", "add", "br0", "type", "bridge")
	h.run("ip", "netns", "exec", h.ns("br"), "ip", "link", "set", "br0", "up")
	for i, n := range names {
		h.index[n] = i + 1
		h.run("ip", "netns", "add", h.ns(n))
		host, port := fmt.Sprintf("h%d", i+1), fmt.Sprintf("p%d", i+1)
		h.run("ip", "link", "add", host, "netns", h.ns(n), "type", "veth", "peer", "name", port, "netns", h.ns("br"))
		h.run("ip", "netns", "exec", h.ns("br"), "ip", "link", "set", port, "master", "br0", "up")
		h.run("ip", "netns", "exec", h.ns(n), "ip", "addr", "add", h.addr(n)+"/24", "dev", host)
		h.run("ip", "netns", "exec", h.ns(n), "ip", "link", "set", host, "up")
		h.run("ip", "netns", "exec", h.ns(n), "ip", "link", "set", "lo", "up")
	}
	return h
}

// cut takes a host's link down at the bridge, or brings it back.
func (h *hosts) cut(name string, down bool) {
	state := "up"
	if down {
		state = "down"
	}
	h.run("ip", "netns", "exec", h.ns("br"), "ip", "link", "set", fmt.Sprintf("p%d", h.index[name]), state)
}

// proc is a process running in one of the hosts.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer
	done           chan error
}

func (h *hosts) start(host, dir string, args ...string) *proc {
	h.t.Helper()
	p := &proc{cmd: exec.Command("ip", append([]string{"netns", "exec", h.ns(host)}, args...)...), done: make(chan error, 1)}
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), "NO_COLOR=1")
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		h.t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	h.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.cmd.Process.Kill()
			<-p.done
			h.t.Errorf("%s was still running at the end of the test", strings.Join(args, " "))
		}
	})
	return p
}

// wait waits for the process to exit and returns its exit code.
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case err := <-p.done:
		p.done <- err
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(timeout):
		t.Fatalf("%s did not exit within %s\nstdout:\n%s\nstderr:\n%s", strings.Join(p.cmd.Args, " "), timeout, p.stdout.String(), p.stderr.String())
		return -1
	}
}

const netnsScenario = `
connection "postgres" "db" {
  dsn = env("TARGET_DSN")
}

template "kv" {
  connection = connection.postgres.db
  table      = "kv"
  think_time = "2ms"
  query "get" {
    kind   = "point_lookup"
    weight = 1
    sql    = "SELECT v FROM kv WHERE k = ?"
    args   = [uniform(1, 1000)]
  }
}

scenario "hosts" {
  template = template.kv
  setup {
    sql = [
      "CREATE TABLE IF NOT EXISTS kv (k int PRIMARY KEY, v text NOT NULL)",
      "INSERT INTO kv SELECT i, 'v' || i FROM generate_series(1, 1000) AS i ON CONFLICT DO NOTHING",
    ]
  }
  phase "first" {
    duration    = "8s"
    connections = 6
    workers     = 3
  }
  phase "second" {
    duration    = "3s"
    connections = 6
    workers     = 3
  }
}
`

// TestManyHosts runs a Postgres host, an orchestrator, a standby and three
// worker hosts, each in its own network namespace: the leader is
// SIGKILLed mid-run and the standby completes the run with every worker's
// rows; then a worker's link is cut, it is declared DEAD with the reason,
// and once its link is back it ends on its own. Needs root and ip(8)
// (iproute2); with CI=true it must run.
func TestManyHosts(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: the network-namespace test needs root")
		}
		t.Skip("needs root for network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("CI=true: the network-namespace test needs ip (iproute2)")
		}
		t.Skip("needs ip (iproute2)")
	}
	bin := t.TempDir()
	for _, b := range []struct{ out, pkg string }{{"fbctl", "."}, {"pgserver", "../../internal/pgtest/cmd/pgserver"}} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(bin, b.out), b.pkg).CombinedOutput(); err != nil {
			t.Fatalf("go build %s: %v\n%s", b.pkg, err, out)
		}
	}
	fbctlBin := filepath.Join(bin, "fbctl")
	h := newHosts(t, "pg", "orch", "standby", "w1", "w2", "w3")

	// Postgres on its host, reachable from the others only.
	hbaDir, err := os.MkdirTemp("/tmp", "fbctl-netns-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(hbaDir) })
	os.Chmod(hbaDir, 0o755)
	hba := filepath.Join(hbaDir, "pg_hba.conf")
	if err := os.WriteFile(hba, []byte("local all all trust\nhost all all "+h.subnet+".0/24 trust\nhost all all 127.0.0.1/32 trust\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	pg := h.start("pg", bin, filepath.Join(bin, "pgserver"), "-database", "bench", "-c", "listen_addresses=127.0.0.1,"+h.addr("pg"), "-c", "hba_file="+hba)
	line := make(chan string, 1)
	go func() {
		for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if s := bufio.NewScanner(bytes.NewReader(pg.stdout.Bytes())); s.Scan() {
				line <- s.Text()
				return
			}
		}
		line <- ""
	}()
	dsn := strings.Replace(<-line, "127.0.0.1", h.addr("pg"), 1)
	if dsn == "" {
		t.Fatalf("pgserver printed no DSN:\n%s", pg.stderr.String())
	}
	t.Cleanup(func() { pg.cmd.Process.Signal(os.Interrupt); pg.wait(t, 60*time.Second) })

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hosts.fb.hcl"), []byte(netnsScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Setenv("TARGET_DSN", dsn)
	os.Setenv("FLAKEBENCH_RESULTS", dsn)
	defer os.Unsetenv("TARGET_DSN")
	defer os.Unsetenv("FLAKEBENCH_RESULTS")
	fb := func(host string, args ...string) *proc {
		return h.start(host, dir, append([]string{fbctlBin}, args...)...)
	}
	if p := fb("orch", "schema", "apply"); p.wait(t, time.Minute) != 0 {
		t.Fatalf("schema apply: %s%s", p.stdout.String(), p.stderr.String())
	}

	// 1. The leader dies; the standby completes the run.
	lease := []string{"-lease-ttl", "3s"}
	apply := fb("orch", append([]string{"apply", "-auto-approve", "-workers", "external", "-run-id", "hosts-1", "-join-timeout", "60s"}, lease...)...)
	standby := fb("standby", append([]string{"standby", "-run", "hosts-1"}, lease...)...)
	var workers []*proc
	for _, w := range []string{"w1", "w2", "w3"} {
		workers = append(workers, fb(w, append([]string{"worker", "-run", "hosts-1", "-id", w, "-orchestrator-grace", "60s"}, lease...)...))
	}
	waitRunning(t, h, fb, "hosts-1", "first", append([]*proc{apply, standby}, workers...)...)
	time.Sleep(2 * time.Second)
	apply.cmd.Process.Kill()
	apply.wait(t, 10*time.Second)
	if code := standby.wait(t, 2*time.Minute); code != 0 || !strings.Contains(standby.stdout.String(), `scenario "hosts", COMPLETED`) {
		t.Fatalf("standby exited %d:\n%s\n%s", code, standby.stdout.String(), standby.stderr.String())
	}
	for i, w := range workers {
		if code := w.wait(t, time.Minute); code != 0 {
			t.Fatalf("worker %d exited %d:\n%s", i+1, code, w.stderr.String())
		}
	}
	report := showJSON(t, fb, "hosts-1")
	if report.Run.Status != string(store.RunCompleted) || len(report.Workers) != 3 || report.Run.LeaderEpoch != 2 {
		t.Fatalf("run %s (epoch %d), %d children", report.Run.Status, report.Run.LeaderEpoch, len(report.Workers))
	}
	checkExactMerge(t, report, 2)

	// 2. A worker's link is cut: it is declared DEAD with the reason, the
	// run fails, the others' rows are kept; with its link back it ends.
	apply = fb("orch", append([]string{"apply", "-auto-approve", "-workers", "external", "-run-id", "hosts-2", "-join-timeout", "60s",
		"-stale-after", "2s", "-dead-after", "6s"}, lease...)...)
	workers = workers[:0]
	for _, w := range []string{"w1", "w2", "w3"} {
		workers = append(workers, fb(w, append([]string{"worker", "-run", "hosts-2", "-id", w}, lease...)...))
	}
	waitRunning(t, h, fb, "hosts-2", "first", append([]*proc{apply}, workers...)...)
	h.cut("w3", true)
	if code := apply.wait(t, 2*time.Minute); code != exitError {
		t.Fatalf("apply exited %d:\n%s", code, apply.stdout.String())
	}
	if out := apply.stdout.String(); !strings.Contains(out, "FAILED") || !strings.Contains(out, "worker w3") || !strings.Contains(out, "no heartbeat") {
		t.Fatalf("the run does not say w3 is dead:\n%s", out)
	}
	for i, w := range workers[:2] {
		if code := w.wait(t, time.Minute); code != 0 {
			t.Fatalf("worker %d exited %d:\n%s", i+1, code, w.stderr.String())
		}
	}
	h.cut("w3", false)
	workers[2].wait(t, 2*time.Minute) // it sees the run ended and stops
	report = showJSON(t, fb, "hosts-2")
	if report.Run.Status != string(store.RunFailed) || len(report.Workers) != 3 {
		t.Fatalf("run %s, %d children", report.Run.Status, len(report.Workers))
	}
	for _, c := range report.Workers {
		if (c.WorkerID == "w3") != (c.Status == string(store.WorkerDead)) {
			t.Fatalf("child %s: %s %s", c.WorkerID, c.Status, c.FailureReason)
		}
	}
	checkExactMerge(t, report, 1)
}

// waitRunning waits until the run's phase has started.
func waitRunning(t *testing.T, h *hosts, fb func(string, ...string) *proc, runID, phase string, procs ...*proc) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		p := fb("orch", "runs", "-json")
		p.wait(t, 30*time.Second)
		var runs struct {
			Runs []struct {
				RunID  string `json:"run_id"`
				Status string `json:"status"`
			} `json:"runs"`
		}
		if json.Unmarshal(p.stdout.Bytes(), &runs) == nil {
			for _, r := range runs.Runs {
				if r.RunID == runID && r.Status == "RUNNING" {
					return
				}
			}
		}
	}
	for _, p := range procs {
		t.Logf("%s:\n%s\n%s", strings.Join(p.cmd.Args, " "), p.stdout.String(), p.stderr.String())
	}
	t.Fatalf("run %s did not start", runID)
}

func showJSON(t *testing.T, fb func(string, ...string) *proc, runID string) view.JSONRun {
	t.Helper()
	p := fb("orch", "show", "-json", runID)
	if code := p.wait(t, 30*time.Second); code != 0 {
		t.Fatalf("show exited %d: %s", code, p.stderr.String())
	}
	var r view.JSONRun
	if err := json.Unmarshal(p.stdout.Bytes(), &r); err != nil {
		t.Fatalf("show -json: %v\n%s", err, p.stdout.String())
	}
	return r
}

// checkExactMerge: the parent's counts are the sum of the workers' and it
// has the phases it should.
func checkExactMerge(t *testing.T, r view.JSONRun, phases int) {
	t.Helper()
	var total, errs int64
	for _, c := range r.Workers {
		if c.Status == string(store.WorkerDead) {
			continue // arrived after the run ended: not in its merge
		}
		total += c.Results.Counts.Total
		errs += c.Results.Counts.Errors
	}
	if r.Results == nil || r.Results.Counts.Total == 0 || r.Results.Counts.Total != total || r.Results.Counts.Errors != errs {
		for _, c := range r.Workers {
			t.Logf("worker %s %s total %d", c.WorkerID, c.Status, c.Results.Counts.Total)
		}
		t.Fatalf("parent %+v, workers %d operations (%d errors)", r.Results, total, errs)
	}
	if len(r.Phases) != phases {
		t.Fatalf("parent phases %d, want %d", len(r.Phases), phases)
	}
}
