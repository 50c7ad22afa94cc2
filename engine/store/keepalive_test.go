package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// KeepAlive renews the lease until stopped; when the lease is taken away
// (force-unlock), the next renewal reports ErrLeaseLost, and stop ends
// the renewer.
func TestLeaseKeepAlive(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	l, err := s.AcquireLease(ctx, store.ApplyLockName, "apply", 300*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	lost := make(chan error, 16)
	stop := l.KeepAlive(ctx, 300*time.Millisecond, func(err error) { lost <- err })
	if err := s.ForceUnlock(ctx, l.LockID); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-lost:
		if !errors.Is(err, store.ErrLeaseLost) {
			t.Fatalf("renewal error %v, want ErrLeaseLost", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no renewal reported the lost lease")
	}
	stop()
	stop2 := l.KeepAlive(ctx, time.Hour, nil) // a nil onError is allowed
	stop2()
}
