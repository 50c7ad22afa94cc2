package fdpoll

import (
	"context"
	"errors"
	"io"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

// ErrUnsupported is Wait's error where the platform has no poller here.
var ErrUnsupported = errors.New("fdpoll: not supported on this platform")

// Groups is how many group goroutines Run uses for n functions: one per
// CPU the Go scheduler runs on (GOMAXPROCS), never more than n.
func Groups(n int) int {
	return max(1, min(n, runtime.GOMAXPROCS(0)))
}

// Run runs every fn to its end, split over groups group goroutines
// (Groups(len(fns)) when groups < 1), and returns when all have returned.
// Each fn gets a context derived from ctx that carries its coroutine:
// Wait, called with it (or a context derived from it), waits in the
// group's poll.
func Run(ctx context.Context, groups int, fns []func(ctx context.Context)) {
	if len(fns) == 0 {
		return
	}
	if groups < 1 {
		groups = Groups(len(fns))
	}
	groups = min(groups, len(fns))
	var wg sync.WaitGroup
	for g := range groups {
		// Contiguous slices, sizes differing by at most one.
		lo, hi := g*len(fns)/groups, (g+1)*len(fns)/groups
		wg.Go(func() { runGroup(ctx, fns[lo:hi]) })
	}
	wg.Wait()
}

// goEach is Run without a poller: one goroutine per function.
func goEach(ctx context.Context, fns []func(ctx context.Context)) {
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Go(func() { fn(ctx) })
	}
	wg.Wait()
}

// sleepAlone is Sleep outside a group.
func sleepAlone(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ReadWait reads into p from the non-blocking fd, waiting through ctx
// (Wait) while there is nothing to read: at least one byte, or io.EOF at
// the end of the stream.
func ReadWait(ctx context.Context, fd int, p []byte) (int, error) {
	for {
		n, err := Read(fd, p)
		switch {
		case err == nil && (n > 0 || len(p) == 0):
			return n, nil
		case err == nil:
			return 0, io.EOF
		case err == syscall.EAGAIN:
			if err := Wait(ctx, fd, false); err != nil {
				return 0, err
			}
		case err != syscall.EINTR:
			return 0, os.NewSyscallError("read", err)
		}
	}
}

// WriteAll writes all of p to the non-blocking fd, waiting through ctx
// (Wait) while the socket is full, and returns how much it wrote.
func WriteAll(ctx context.Context, fd int, p []byte) (int, error) {
	done := 0
	for done < len(p) {
		n, err := Write(fd, p[done:])
		switch {
		case err == nil:
			done += n
		case err == syscall.EAGAIN:
			if err := Wait(ctx, fd, true); err != nil {
				return done, err
			}
		case err != syscall.EINTR:
			return done, os.NewSyscallError("write", err)
		}
	}
	return done, nil
}
