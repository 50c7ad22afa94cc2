package stream

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/flakebench/fbctl/engine/store"
)

// Replayed is what Replay did with one journal file left behind.
type Replayed struct {
	Path          string
	RunID         string
	TestID        string
	WorkerID      string
	WorkerGroupID int
	Rows          int64 // rows written to the store (a row already stored counts: the write is idempotent)
	// Skipped says why the file was left alone ("": it was replayed and
	// removed).
	Skipped string
	Err     error // the file could not be read or written; it is kept
}

// ReplayOptions tune Replay.
type ReplayOptions struct {
	// Accept decides whether the rows of a run are replayed now (nil: all).
	// A rejected journal is kept, with reason as its Skipped.
	Accept func(ctx context.Context, runID string) (ok bool, reason string)
	// BatchRows is the rows per write (DefaultFlushRows).
	BatchRows int
}

// Replay writes the journal files left behind in dir (by a streamer whose
// Close could not write everything, a killed worker, a full disk) to the
// store and removes each file once all its rows are written. A journal a
// live streamer still holds (its lock is taken) is skipped. Writing a row
// twice is harmless (the store skips an EXECUTION_ID already stored: by
// its key on SQLite and Postgres, by a lookup on Snowflake), so Replay
// may be run again after any failure. A missing
// dir is no journal. Files are replayed in name order; the error is the
// first failure to list dir.
func Replay(ctx context.Context, dir string, w Writer, opts ReplayOptions) ([]Replayed, error) {
	if opts.BatchRows <= 0 {
		opts.BatchRows = DefaultFlushRows
	}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("spill journals in %s: %w", dir, err)
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && strings.HasPrefix(e.Name(), JournalPrefix) && strings.HasSuffix(e.Name(), JournalSuffix) {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var out []Replayed
	for _, n := range names {
		if ctx.Err() != nil {
			break
		}
		r := replayFile(ctx, filepath.Join(dir, n), w, opts)
		out = append(out, r)
	}
	return out, nil
}

func replayFile(ctx context.Context, path string, w Writer, opts ReplayOptions) (r Replayed) {
	r.Path = path
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		r.Err = err
		return r
	}
	defer f.Close()
	unlock, ok := tryLock(f)
	if !ok {
		r.Skipped = "a running worker is writing it"
		return r
	}
	defer unlock()
	fi, err := f.Stat()
	if err != nil {
		r.Err = err
		return r
	}
	h, base, err := readHeader(f)
	if err != nil {
		r.Err = fmt.Errorf("spill journal %s: %w", path, err)
		return r
	}
	r.RunID, r.TestID, r.WorkerID, r.WorkerGroupID = h.RunID, h.TestID, h.WorkerID, h.WorkerGroupID
	if opts.Accept != nil {
		if ok, why := opts.Accept(ctx, h.RunID); !ok {
			r.Skipped = why
			return r
		}
	}
	// Read the records with the streamer's own journal reader; a torn
	// last frame (a process killed in mid-write) ends the file.
	j := newJournal(filepath.Dir(path), "")
	j.f, j.path, j.base, j.rOff, j.wOff = f, path, base, base, fi.Size()
	s := &Streamer{opts: Options{RunID: h.RunID, TestID: h.TestID, WorkerID: h.WorkerID, WorkerGroupID: h.WorkerGroupID},
		idPrefix: h.RunID + "-" + h.WorkerID + "-"}
	batch := make([]slot, 0, opts.BatchRows)
	rows := make([]store.QueryExecution, 0, opts.BatchRows)
	for off := base; off < j.wOff; {
		b, next, err := j.read(batch[:0], opts.BatchRows)
		torn := isTornTail(err)
		if err != nil && !torn {
			r.Err = err
			return r
		}
		if len(b) == 0 {
			break // nothing more that can be decoded: a torn tail
		}
		if torn {
			// The records before a torn tail are whole; their end is
			// where decoding stopped.
			next = j.wOff
		}
		rows = s.toRows(rows[:0], b)
		err = checkDisk(w) // never fill the store's disk with a replay
		if err == nil {
			err = insertOnce(ctx, w, rows)
		}
		if err != nil {
			r.Err = fmt.Errorf("replay %s: %w", path, err)
			return r
		}
		r.Rows += int64(len(rows))
		j.mu.Lock()
		j.rOff = next
		j.mu.Unlock()
		off = next
	}
	if err := os.Remove(path); err != nil {
		r.Err = err
	}
	return r
}

// onceWriter is a Writer that can skip rows already stored where the
// store does not enforce EXECUTION_ID as a key (*store.Store on
// Snowflake).
type onceWriter interface {
	InsertQueryExecutionsOnce(ctx context.Context, batch []store.QueryExecution) error
}

var _ onceWriter = (*store.Store)(nil)

// insertOnce writes replayed rows so that a row stored before (by the
// streamer that left the journal, or an earlier replay) is not stored
// again.
func insertOnce(ctx context.Context, w Writer, rows []store.QueryExecution) error {
	if ow, ok := w.(onceWriter); ok {
		return ow.InsertQueryExecutionsOnce(ctx, rows)
	}
	return w.InsertQueryExecutions(ctx, rows)
}

func isTornTail(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "corrupt frame") || errors.Is(err, errShortFrame))
}

// readHeader reads a journal's header; base is where its records start.
func readHeader(f *os.File) (journalHeader, int64, error) {
	var h journalHeader
	buf := make([]byte, len(journalMagic)+binary.MaxVarintLen64+4096)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return h, 0, err
	}
	buf = buf[:n]
	if !bytes.HasPrefix(buf, []byte(journalMagic)) {
		return h, 0, errors.New("not a spill journal of this fbctl version (no header)")
	}
	size, k := binary.Uvarint(buf[len(journalMagic):])
	start := len(journalMagic) + k
	if k <= 0 || start+int(size) > len(buf) {
		return h, 0, errors.New("torn header")
	}
	if err := json.Unmarshal(buf[start:start+int(size)], &h); err != nil {
		return h, 0, fmt.Errorf("header: %w", err)
	}
	if h.RunID == "" || h.WorkerID == "" {
		return h, 0, errors.New("header names no run or worker")
	}
	return h, int64(start + int(size)), nil
}
