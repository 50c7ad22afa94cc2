//go:build !linux

package fdpoll

import (
	"context"
	"time"
)

// Supported reports whether Run multiplexes and Wait waits here.
const Supported = false

func runGroup(ctx context.Context, fns []func(ctx context.Context)) { goEach(ctx, fns) }

// Wait is not available on this platform.
func Wait(ctx context.Context, fd int, write bool) error { return ErrUnsupported }

// Release does nothing on this platform.
func Release(ctx context.Context, fd int) {}

// Read is not available on this platform.
func Read(fd int, p []byte) (int, error) { return 0, ErrUnsupported }

// Write is not available on this platform.
func Write(fd int, p []byte) (int, error) { return 0, ErrUnsupported }

// Sleep waits for d, or until ctx ends (its error).
func Sleep(ctx context.Context, d time.Duration) error { return sleepAlone(ctx, d) }
