package fdpoll

import (
	"context"
	"errors"
	"runtime"
	"sync"
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
