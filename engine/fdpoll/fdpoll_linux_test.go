//go:build linux

package fdpoll

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// pair returns a connected pair of non-blocking stream sockets, closed
// at the end of the test unless the test closes them.
func pair(t *testing.T) (a, b int) {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Close(fds[0]); syscall.Close(fds[1]) })
	return fds[0], fds[1]
}

// readFull reads len(p) bytes from fd, waiting through ctx.
func readFull(ctx context.Context, fd int, p []byte) error {
	for got := 0; got < len(p); {
		n, err := ReadWait(ctx, fd, p[got:])
		if err != nil {
			return err
		}
		got += n
	}
	return nil
}

func writeAll(ctx context.Context, fd int, p []byte) error {
	_, err := WriteAll(ctx, fd, p)
	return err
}

// echo answers every byte it reads on fd with the byte plus one, from an
// ordinary goroutine (outside any group: Wait polls on its own).
func echo(t *testing.T, fd int) {
	t.Helper()
	go func() {
		b := make([]byte, 1)
		for {
			if err := readFull(context.Background(), fd, b); err != nil {
				return
			}
			b[0]++
			if err := writeAll(context.Background(), fd, b); err != nil {
				return
			}
		}
	}()
}

func TestRunServesEveryFunctionOnFewGoroutines(t *testing.T) {
	const fns, rounds = 12, 200
	var done atomic.Int64
	work := make([]func(context.Context), fns)
	for i := range work {
		a, b := pair(t)
		echo(t, b)
		work[i] = func(ctx context.Context) {
			buf := []byte{0}
			for r := range rounds {
				buf[0] = byte(r)
				if err := writeAll(ctx, a, buf); err != nil {
					t.Error(err)
					return
				}
				if err := readFull(ctx, a, buf); err != nil {
					t.Error(err)
					return
				}
				if buf[0] != byte(r)+1 {
					t.Errorf("round %d: got %d", r, buf[0])
					return
				}
			}
			done.Add(1)
		}
	}
	Run(context.Background(), 3, work)
	if done.Load() != fns {
		t.Fatalf("%d of %d functions finished their rounds", done.Load(), fns)
	}
}

func TestWaitEndsWithItsContextWhileTheGroupGoesOn(t *testing.T) {
	silent, _ := pair(t) // nothing ever arrives
	a, b := pair(t)
	echo(t, b)
	var waitErr error
	var rounds atomic.Int64
	stop := make(chan struct{})
	Run(context.Background(), 1, []func(context.Context){
		func(ctx context.Context) {
			wctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			defer cancel()
			waitErr = Wait(wctx, silent, false)
			close(stop)
		},
		func(ctx context.Context) {
			buf := []byte{0}
			for {
				select {
				case <-stop:
					return
				default:
				}
				if writeAll(ctx, a, buf) != nil || readFull(ctx, a, buf) != nil {
					t.Error("echo failed")
					return
				}
				rounds.Add(1)
			}
		},
	})
	if !errors.Is(waitErr, context.DeadlineExceeded) {
		t.Fatalf("Wait on a silent socket returned %v, want the context's deadline", waitErr)
	}
	if rounds.Load() == 0 {
		t.Fatal("the other function of the group made no round trip while one waited")
	}
}

func TestWaitForWritability(t *testing.T) {
	a, b := pair(t)
	big := make([]byte, 4<<20) // more than the socket buffers hold
	var got atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() { // drains b from outside the group
		buf := make([]byte, 64<<10)
		for got.Load() < int64(len(big)) {
			n, err := ReadWait(context.Background(), b, buf)
			if err != nil {
				t.Error(err)
				return
			}
			got.Add(int64(n))
		}
	})
	var werr error
	Run(context.Background(), 1, []func(context.Context){func(ctx context.Context) { werr = writeAll(ctx, a, big) }})
	wg.Wait()
	if werr != nil || got.Load() != int64(len(big)) {
		t.Fatalf("write: %v; %d of %d bytes arrived", werr, got.Load(), len(big))
	}
}

func TestReleaseLetsANewDescriptorOfTheSameNumberBeWaitedFor(t *testing.T) {
	var err error
	Run(context.Background(), 1, []func(context.Context){func(ctx context.Context) {
		for i := range 3 {
			fds, serr := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
			if serr != nil {
				err = serr
				return
			}
			go func() { // answers once, a little later, so the read waits
				time.Sleep(5 * time.Millisecond)
				_, _ = Write(fds[1], []byte{byte(i)})
			}()
			buf := []byte{0}
			if err = readFull(ctx, fds[0], buf); err != nil {
				return
			}
			Release(ctx, fds[0])
			syscall.Close(fds[0])
			time.Sleep(10 * time.Millisecond) // the writer is done with fds[1]
			syscall.Close(fds[1])
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSleepLetsTheGroupGoOn(t *testing.T) {
	a, b := pair(t)
	echo(t, b)
	const rounds = 20
	var order []string
	var mu sync.Mutex
	note := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
	Run(context.Background(), 1, []func(context.Context){
		func(ctx context.Context) {
			if err := Sleep(ctx, time.Second); err != nil {
				t.Error(err)
			}
			note("slept")
		},
		func(ctx context.Context) {
			buf := []byte{0}
			for range rounds {
				if writeAll(ctx, a, buf) != nil || readFull(ctx, a, buf) != nil {
					t.Error("echo failed")
					return
				}
			}
			note("echoed")
		},
	})
	if len(order) != 2 || order[0] != "echoed" {
		t.Fatalf("order %v: the echoes waited for the sleep", order)
	}
}

func TestSleepEndsWithItsContext(t *testing.T) {
	var err error
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	Run(ctx, 1, []func(context.Context){func(ctx context.Context) { err = Sleep(ctx, time.Hour) }})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Sleep returned %v, want the context's deadline", err)
	}
}

func TestGroupsNeverExceedTheFunctions(t *testing.T) {
	if g := Groups(1); g != 1 {
		t.Fatalf("Groups(1) = %d", g)
	}
	if g := Groups(1000); g < 1 || g > 1000 {
		t.Fatalf("Groups(1000) = %d", g)
	}
}
