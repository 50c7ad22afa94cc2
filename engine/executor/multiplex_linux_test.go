//go:build linux

package executor

import (
	"context"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/fdpoll"
	"github.com/flakebench/fbctl/engine/histogram"
)

// sockTarget's sessions send a byte over a socket pair per operation and
// read the answer, waiting through fdpoll; the far end echoes from an
// ordinary goroutine, except for silent sessions, whose far end never
// answers. can says which sessions agree to multiplex.
type sockTarget struct {
	t      *testing.T
	silent map[int]bool
	can    func(conn int) bool
	moved  atomic.Int32
	mu     sync.Mutex
	peers  []int
}

type sockSession struct {
	tg   *sockTarget
	conn int
	fd   int
}

func (tg *sockTarget) Open(_ context.Context, conn int) (Session, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	tg.mu.Lock()
	tg.peers = append(tg.peers, fds[1])
	tg.mu.Unlock()
	if !tg.silent[conn] {
		go func() {
			b := make([]byte, 1)
			for {
				if _, err := fdpoll.ReadWait(context.Background(), fds[1], b); err != nil {
					return
				}
				if _, err := fdpoll.WriteAll(context.Background(), fds[1], b); err != nil {
					return
				}
			}
		}()
	}
	return &sockSession{tg: tg, conn: conn, fd: fds[0]}, nil
}

// hangUp closes the far ends: silent sessions' waits end.
func (tg *sockTarget) hangUp() {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for _, fd := range tg.peers {
		syscall.Shutdown(fd, syscall.SHUT_RDWR)
	}
}

func (s *sockSession) Multiplex() bool {
	if !s.tg.can(s.conn) {
		return false
	}
	s.tg.moved.Add(1)
	return true
}

func (s *sockSession) Exec(ctx context.Context, _ int, _ []any) (int64, string, error) {
	b := []byte{1}
	if _, err := fdpoll.WriteAll(ctx, s.fd, b); err != nil {
		return 0, "", err
	}
	if _, err := fdpoll.ReadWait(ctx, s.fd, b); err != nil {
		return 0, "", err
	}
	return 1, "", nil
}

func (s *sockSession) Close() error { return syscall.Close(s.fd) }

func sockEnv(tg *sockTarget) Env {
	rec := NewRecorder(histogram.NewRegistry(), readQuery, RecorderOptions{})
	return Env{Target: tg, Ops: oneQueryOps, Recorder: rec.Phase("main", false), DrainTimeout: 100 * time.Millisecond}
}

// Every session can: the phase runs multiplexed, a session still waiting
// at the drain timeout is counted abandoned (and ends when its far end
// hangs up), the others' operations are all counted.
func TestClosedMultiplexesSessionsThatCan(t *testing.T) {
	tg := &sockTarget{t: t, silent: map[int]bool{2: true}, can: func(int) bool { return true }}
	env := sockEnv(tg)
	res, err := runNow(context.Background(), &Closed{Sessions: 4, Duration: 200 * time.Millisecond}, env)
	tg.hangUp()
	if err != nil {
		t.Fatal(err)
	}
	if tg.moved.Load() != 4 {
		t.Fatalf("%d sessions moved to fdpoll, want 4", tg.moved.Load())
	}
	if res.Abandoned != 1 {
		t.Fatalf("abandoned %d, want the silent session", res.Abandoned)
	}
	if res.Counts.Ops < 3 || res.Counts.Errors != 0 {
		t.Fatalf("counts %+v: want the three echoing sessions' operations, no error", res.Counts)
	}
}

// One session cannot: the phase runs one goroutine per session, the
// sessions that did move waiting on their own (poll), nothing lost.
func TestClosedRunsGoroutinesWhenASessionCannotMultiplex(t *testing.T) {
	tg := &sockTarget{t: t, can: func(conn int) bool { return conn != 2 }}
	res, err := runNow(context.Background(), &Closed{Sessions: 4, Duration: 100 * time.Millisecond}, sockEnv(tg))
	tg.hangUp()
	if err != nil {
		t.Fatal(err)
	}
	if res.Counts.Ops < 4 || res.Counts.Errors != 0 || res.Abandoned != 0 {
		t.Fatalf("counts %+v, abandoned %d", res.Counts, res.Abandoned)
	}
}

// Think time keeps one goroutine per session: no session is asked.
func TestClosedWithThinkTimeDoesNotMultiplex(t *testing.T) {
	tg := &sockTarget{t: t, can: func(int) bool { return true }}
	res, err := runNow(context.Background(), &Closed{Sessions: 2, Duration: 100 * time.Millisecond, ThinkTime: time.Millisecond}, sockEnv(tg))
	tg.hangUp()
	if err != nil {
		t.Fatal(err)
	}
	if tg.moved.Load() != 0 || res.Counts.Ops == 0 {
		t.Fatalf("%d sessions moved, %d operations", tg.moved.Load(), res.Counts.Ops)
	}
}
