package stream

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	"github.com/flakebench/fbctl/internal/retry"
)

// Defaults of the spill journal's disk budget (Options.JournalMaxBytes,
// Options.JournalMinFree).
const (
	DefaultJournalMaxBytes = 2 << 30   // 2 GiB
	DefaultJournalMinFree  = 256 << 20 // 256 MiB
)

// freeCheckEvery is how many bytes may be appended between two checks of
// the file system's free space.
const freeCheckEvery = 4 << 20

// errJournalFull is what an append gets when the journal is at its budget
// (Options.JournalMaxBytes) or the disk is near full (Options.JournalMinFree).
// It is not sticky: the journal takes records again once the flusher drained
// it.
var errJournalFull = errors.New("spill journal at its disk budget")

// journalMagic starts every journal file; the JSON journalHeader follows
// as uvarint(len) + bytes, then the records.
const journalMagic = "FBJOURNAL1\n"

// journalHeader names the rows of a journal: with it another process (the
// next fbctl command that opens the store, `fbctl recover`) can write them.
type journalHeader struct {
	RunID         string `json:"run_id"`
	TestID        string `json:"test_id"`
	WorkerID      string `json:"worker_id"`
	WorkerGroupID int    `json:"worker_group_id"`
}

func encodeHeader(h journalHeader) []byte {
	js, _ := json.Marshal(h)
	b := append([]byte(journalMagic), binary.AppendUvarint(nil, uint64(len(js)))...)
	return append(b, js...)
}

// full reports whether an append of n more bytes would exceed the budget:
// the file would grow past maxBytes, or the file system would keep less
// than minFree. Free space is measured every freeCheckEvery bytes. Called
// with mu held.
func (j *journal) fullLocked(n int64) bool {
	if j.maxBytes > 0 && j.wOff+n > j.maxBytes && j.wOff > j.base {
		return true
	}
	if j.minFree > 0 && j.f != nil && (j.lowDisk || j.wOff-j.freeAt >= freeCheckEvery) {
		j.freeAt = j.wOff
		if free, ok := freeBytes(j.dir); ok {
			j.lowDisk = free-n < j.minFree
		}
	}
	return j.lowDisk
}

// full is fullLocked for one average record.
func (j *journal) full() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.fullLocked(256)
}

// bytes is the journal file's size.
func (j *journal) bytes() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.wOff
}

// Journal file names: JournalPrefix + run + "-" + worker + "-" + random +
// JournalSuffix, in Options.JournalDir.
const (
	JournalPrefix = "fbctl-"
	JournalSuffix = ".journal"
)

// offerSlow is Offer's backpressure: the journal is at its budget, so the
// record waits for room in a ring, which the flusher makes at the store's
// pace. It gives up (counting the record as dropped) only when nothing
// drains the rings any more: Run ended (the store was unavailable past the
// retry budget) or Close started.
func (s *Streamer) offerSlow(sl *slot) bool {
	t0 := time.Now()
	s.throttled.Add(1)
	defer func() { s.throttleNS.Add(int64(time.Since(t0))) }()
	err := retry.Do(context.Background(), offerBackoff, func(context.Context) error {
		if s.buf.push(sl) {
			if len(s.wake) == 0 {
				select {
				case s.wake <- struct{}{}:
				default:
				}
			}
			return nil
		}
		if s.spill.push(sl) {
			s.spilled.Add(1)
			return nil
		}
		switch err := s.journal.appendOne(sl); {
		case err == nil:
			s.spilled.Add(1)
			s.fromSpill.Add(1)
			return nil
		case !errors.Is(err, errJournalFull):
			return retry.Permanent(err)
		}
		if s.runEnded.Load() || s.closed.Load() {
			return retry.Permanent(errJournalFull)
		}
		return errJournalFull // room comes at the store's pace
	})
	if err != nil {
		s.dropped.Add(1)
		return false
	}
	return true
}

// offerBackoff is how offerSlow waits for room: 50 µs doubling to 5 ms,
// for as long as something drains the rings.
var offerBackoff = retry.Policy{Initial: 50 * time.Microsecond, Max: 5 * time.Millisecond, Factor: 2}

// diskChecker is a store that can say its disk is nearly full
// (*store.Store, for the embedded SQLite store).
type diskChecker interface{ CheckDiskSpace() error }

// checkDisk refuses a write to a store whose disk is nearly full, so the
// space left records the run's end (store.IsDiskFull is true of the error).
func checkDisk(w Writer) error {
	if c, ok := w.(diskChecker); ok {
		return c.CheckDiskSpace()
	}
	return nil
}
