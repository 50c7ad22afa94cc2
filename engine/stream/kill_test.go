package stream

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/hashicorp/go-hclog"
)

const childEnv = "FBCTL_STREAM_CHILD_DB"

// TestHelperStreamingWorker is the worker process of
// TestWorkerKilledKeepsFlushedRows; it does nothing unless started by it.
// It streams records into the SQLite store forever and prints the number
// of rows written after every change.
func TestHelperStreamingWorker(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		return // not a test on its own
	}
	st, err := store.Open(context.Background(), "sqlite:"+path, store.Options{Logger: hclog.NewNullLogger()})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(2)
	}
	s := New(Options{Store: st, RunID: "run1", WorkerID: "worker-0", FlushRows: 100, FlushEvery: 10 * time.Millisecond,
		JournalDir: filepath.Dir(path)})
	go s.Run(context.Background())
	var last int64
	for seq := int64(1); ; seq++ {
		r, _ := gen(seq, 0)
		s.Offer(r)
		if seq%50 == 0 {
			time.Sleep(time.Millisecond)
			if w := s.Stats().Written; w != last {
				last = w
				fmt.Println("written", w)
			}
		}
	}
}

// SIGKILL of a worker process keeps every row flushed before it died.
func TestWorkerKilledKeepsFlushedRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fb.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStreamingWorker$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	var reported int64
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if n, ok := strings.CutPrefix(line, "written "); ok {
			reported, _ = strconv.ParseInt(n, 10, 64)
			if reported >= 3000 {
				break
			}
			continue
		}
		t.Fatalf("worker: %s", line)
	}
	if reported < 3000 {
		t.Fatalf("worker ended after %d rows: %v", reported, sc.Err())
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	st := openSQLiteAt(t, path)
	n, err := st.CountQueryExecutions(context.Background(), store.QueryExecutionFilter{RunID: "run1"})
	if err != nil {
		t.Fatal(err)
	}
	if n < reported {
		t.Fatalf("after SIGKILL the store holds %d rows; %d were reported written", n, reported)
	}
	t.Logf("reported %d written before SIGKILL, store holds %d", reported, n)
}

func openSQLiteAt(tb testing.TB, path string) *store.Store {
	s, err := store.Open(context.Background(), "sqlite:"+path, store.Options{Logger: hclog.NewNullLogger()})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}
