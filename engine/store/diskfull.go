package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
)

// ReserveBytes is the most disk space the embedded SQLite store keeps in
// reserve next to its file (PATH.reserve): when the disk fills, the run
// engine releases it (ReleaseReserve) so that the run's end (final state,
// result rows, the lock release) can still be written. It takes at most an
// eighth of the free space when the store is opened.
const ReserveBytes = 4 << 20

// IsDiskFull reports whether err says the store's disk is full: SQLite's
// SQLITE_FULL ("database or disk is full"), ENOSPC, or Postgres's
// disk_full (53100).
func IsDiskFull(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, ErrDiskLow) {
		return true
	}
	var st interface{ SQLState() string }
	if errors.As(err, &st) && st.SQLState() == "53100" {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "database or disk is full") || strings.Contains(msg, "no space left on device") ||
		strings.Contains(msg, "SQLSTATE 53100")
}

// diskReserve is a file of zeros that holds space on the store's disk
// until it is released.
type diskReserve struct {
	path string
	log  hclog.Logger

	mu       sync.Mutex
	released bool
}

func newDiskReserve(dbPath string, log hclog.Logger) *diskReserve {
	return &diskReserve{path: dbPath + ".reserve", log: log}
}

// ensure creates the reserve when it is missing (after a release, the next
// open of the store makes it again). A disk too full for it is no error:
// there is then no reserve.
func (r *diskReserve) ensure() {
	if r == nil {
		return
	}
	if _, err := os.Stat(r.path); err == nil {
		return
	}
	size := int64(ReserveBytes)
	dir := r.path[:max(strings.LastIndexByte(r.path, '/'), 0)]
	if dir == "" {
		dir = "."
	}
	if free, _, ok := diskSpace(dir); ok {
		size = min(size, free/8)
	}
	if size < 64<<10 {
		return
	}
	f, err := os.OpenFile(r.path, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	if err := allocate(f, size); err != nil {
		r.log.Debug("no disk reserve", "error", err)
		f.Close()
		os.Remove(r.path)
		return
	}
	f.Close()
}

// ReleaseReserve frees the embedded store's disk reserve, once, and
// reports whether it did now (false: no reserve, or already released).
func (s *Store) ReleaseReserve() bool {
	r := s.reserve
	if r == nil {
		return false
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.released {
		return false
	}
	r.released = true
	if err := os.Remove(r.path); err != nil {
		return false
	}
	// Fold the write-ahead log into the database and truncate it: the log
	// of the writes that failed is space the run's end can use.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, cerr := s.db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	r.log.Warn("the results store's disk is full: released its reserve so that the end of the run can be recorded",
		"reserve", r.path, "checkpoint_error", cerr)
	return true
}

// ErrDiskLow is CheckDiskSpace's error: the embedded store's disk is
// nearly full. IsDiskFull reports it as a full disk.
var ErrDiskLow = errors.New("the results store's disk is nearly full")

// lowWater is the free space the embedded store keeps for recording the
// end of a run: 10% of its file system, at most 16 MiB.
func lowWater(total int64) int64 { return min(16<<20, total/10) }

// CheckDiskSpace returns an error wrapping ErrDiskLow when the embedded
// SQLite store's file system has less free space than it keeps for
// recording the end of a run (10% of it, at most 16 MiB); nil otherwise
// and for shared stores. The query-execution stream checks it before each
// batch, so that a run on a filling disk fails with the reason while its
// final state, result rows and lock release can still be written.
func (s *Store) CheckDiskSpace() error {
	if s.reserve == nil {
		return nil
	}
	dir := s.reserve.path[:max(strings.LastIndexByte(s.reserve.path, '/'), 0)]
	if dir == "" {
		dir = "."
	}
	free, total, ok := diskSpace(dir)
	if !ok {
		return nil
	}
	if low := lowWater(total); free < low {
		return fmt.Errorf("%w: %d KiB free in %s, less than the %d KiB kept to record the end of the run", ErrDiskLow, free>>10, dir, low>>10)
	}
	return nil
}
