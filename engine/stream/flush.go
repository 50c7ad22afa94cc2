package stream

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unsafe"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/retry"
)

// Backoff between write attempts: doubling from backoffMin to backoffMax,
// ±20% jitter so that many workers do not retry in step.
const (
	backoffMin = 100 * time.Millisecond
	backoffMax = 10 * time.Second
	// backoffMaxFinal keeps Close trying often until its deadline.
	backoffMaxFinal = time.Second
)

// spillBatch is how many spilled records the journal goroutine appends at
// once at most.
const spillBatch = 1024

var errClosing = errors.New("closing")

// Run writes records until Close (then it returns nil and Close writes what
// is left) or until ctx ends (ctx.Err()). It returns an error wrapping
// ErrStoreUnavailable and the last write error when the store refused every
// write for longer than the retry budget; records keep going to the spill
// journal until Close. Run may be called once.
func (s *Streamer) Run(ctx context.Context) error {
	s.life.Lock()
	if s.started {
		s.life.Unlock()
		return errors.New("stream: Run called twice")
	}
	select {
	case <-s.closing:
		s.life.Unlock()
		return nil
	default:
	}
	s.started = true
	s.runDone = make(chan struct{})
	s.journalStop = make(chan struct{})
	s.journalDone = make(chan struct{})
	s.life.Unlock()
	defer close(s.runDone)
	go s.journalLoop()
	err := s.loop(ctx)
	s.runEnded.Store(true)
	if errors.Is(err, errClosing) {
		return nil
	}
	if errors.Is(err, ErrStoreUnavailable) {
		s.unavailable = true
		s.log.Error("results store refused writes past the retry budget; records now go to the spill journal until Close", "error", err)
	}
	return err
}

func (s *Streamer) loop(ctx context.Context) error {
	tick := time.NewTicker(s.opts.FlushEvery)
	defer tick.Stop()
	for {
		s.fillFromBuf()
		if len(s.batch) >= s.opts.FlushRows {
			if err := s.writeLive(ctx); err != nil {
				return err
			}
			if err := s.pause(ctx); err != nil {
				return err
			}
			if err := s.drainJournalLive(ctx); err != nil {
				return err
			}
			continue
		}
		select {
		case <-s.wake:
		case <-tick.C:
			s.fillFromBuf()
			if len(s.batch) > 0 {
				if err := s.writeLive(ctx); err != nil {
					return err
				}
			}
			if err := s.drainJournalLive(ctx); err != nil {
				return err
			}
		case <-s.closing:
			return errClosing
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// drainJournalLive writes journal batches while the buffer has room to
// wait (fewer than FlushRows records).
func (s *Streamer) drainJournalLive(ctx context.Context) error {
	for len(s.batch) == 0 && s.journal.pending.Load() > 0 && s.buf.len() < s.opts.FlushRows {
		select {
		case <-s.closing:
			return errClosing
		default:
		}
		if err := s.loadJournalBatch(); err != nil {
			return err
		}
		if len(s.batch) == 0 {
			return nil // appended but not yet visible
		}
		if err := s.writeLive(ctx); err != nil {
			return err
		}
		if err := s.pause(ctx); err != nil {
			return err
		}
	}
	return nil
}

// pause waits Options.WriteGap after a write, so a single-writer store
// (SQLite) lets other writers (heartbeats, control events) in between
// batches; records keep arriving in the buffer and the journal meanwhile.
func (s *Streamer) pause(ctx context.Context) error {
	if s.opts.WriteGap <= 0 {
		return nil
	}
	t := time.NewTimer(s.opts.WriteGap)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.closing:
		return errClosing
	case <-ctx.Done():
		return ctx.Err()
	}
}

// journalLoop moves spilled records to the journal file until Close.
func (s *Streamer) journalLoop() {
	defer close(s.journalDone)
	batch := make([]slot, 0, spillBatch)
	tick := time.NewTicker(max(s.opts.FlushEvery/10, time.Millisecond))
	defer tick.Stop()
	atBudget := false
	for {
		for {
			if full := s.journal.full(); full != atBudget {
				atBudget = full
				if full {
					s.log.Warn("spill journal at its disk budget: the workers now wait for the results store (backpressure)",
						"journal_bytes", s.journal.bytes(), "max_bytes", s.journal.maxBytes, "min_free_bytes", s.journal.minFree)
				} else {
					s.log.Info("spill journal below its disk budget again: the workers no longer wait")
				}
			}
			if atBudget {
				break // records wait in the spill queue; Offer slows down
			}
			batch = s.spill.popInto(batch[:0], spillBatch)
			if len(batch) == 0 {
				break
			}
			s.toJournal(batch)
		}
		select {
		case <-s.spillWake:
		case <-tick.C: // a push that lost the race with an empty check
		case <-s.journalStop:
			return // Close writes what is left in the spill queue
		}
	}
}

func (s *Streamer) toJournal(b []slot) {
	if err := s.journal.append(b); err != nil {
		s.dropped.Add(int64(len(b)))
		s.noteErr(err)
		return
	}
	s.fromSpill.Add(int64(len(b)))
}

// fillFromBuf tops up a batch of buffered records.
func (s *Streamer) fillFromBuf() {
	if s.batchJournal {
		return
	}
	n := len(s.batch)
	s.batch = s.buf.popInto(s.batch, s.opts.FlushRows)
	if d := len(s.batch) - n; d > 0 {
		s.fromBuf.Add(int64(d))
		s.inHand.Store(int64(len(s.batch)))
	}
}

// fillFinal tops up a batch from the buffer, then the spill queue (at
// Close, once the journal goroutine has stopped).
func (s *Streamer) fillFinal() {
	s.fillFromBuf()
	if s.batchJournal {
		return
	}
	n := len(s.batch)
	s.batch = s.spill.popInto(s.batch, s.opts.FlushRows)
	if d := len(s.batch) - n; d > 0 {
		s.fromSpill.Add(int64(d))
		s.inHand.Store(int64(len(s.batch)))
	}
}

func (s *Streamer) loadJournalBatch() error {
	b, next, err := s.journal.read(s.batch[:0], s.opts.FlushRows)
	if err != nil {
		s.noteErr(err)
		return err
	}
	s.batch, s.batchJournal, s.batchNext = b, len(b) > 0, next
	s.rows = s.rows[:0]
	s.inHand.Store(int64(len(b)))
	return nil
}

func (s *Streamer) resetBatch() {
	s.batch, s.rows = s.batch[:0], s.rows[:0]
	s.batchJournal = false
	s.inHand.Store(0)
}

func (s *Streamer) writeLive(ctx context.Context) error {
	return s.writeBatch(ctx, false, time.Time{})
}

// writeBatch writes the batch, retrying with backoff. Live (final false)
// it gives up with ErrStoreUnavailable past the retry budget and returns
// errClosing when Close interrupts a backoff; at Close (final true) it
// gives up at the deadline, or after one attempt once the store was found
// unavailable.
func (s *Streamer) writeBatch(ctx context.Context, final bool, deadline time.Time) error {
	s.rows = s.toRows(s.rows, s.batch[len(s.rows):])
	var failStart time.Time
	attempts := 0
	p := retry.Policy{Initial: backoffMin, Max: backoffMax, Factor: 2, Jitter: 0.2}
	// The waits (not the writes) also end when Close starts, live.
	wctx, stopWaits := context.WithCancelCause(ctx)
	defer stopWaits(nil)
	if final {
		p.Max = backoffMaxFinal
		p.MaxElapsed = max(time.Until(deadline), time.Nanosecond)
	} else {
		watching := false
		p.OnRetry = func(retry.Attempt) {
			if !watching {
				watching = true
				go func() {
					select {
					case <-s.closing:
						stopWaits(errClosing)
					case <-wctx.Done():
					}
				}()
			}
		}
	}
	err := retry.Do(wctx, p, func(context.Context) error {
		attempts++
		actx, cancel := context.WithTimeout(ctx, s.opts.WriteTimeout)
		t0 := time.Now()
		err := checkDisk(s.opts.Store)
		if err == nil {
			err = s.opts.Store.InsertQueryExecutions(actx, s.rows)
		}
		cancel()
		if err == nil {
			s.done(time.Since(t0))
			if attempts > 1 {
				s.log.Info("results store accepts writes again", "attempts", attempts, "after", time.Since(failStart))
			}
			return nil
		}
		s.noteErr(err)
		if failStart.IsZero() {
			failStart = t0
			s.log.Warn("writing query executions failed; retrying", "rows", len(s.rows), "error", err)
		}
		switch {
		case store.IsDiskFull(err):
			// No retry can succeed, and what space is left (the store's
			// reserve) is for recording the run's end.
			return retry.Permanent(fmt.Errorf("%w: the results store's disk is full: %w", ErrStoreUnavailable, err))
		case final && s.unavailable:
			return retry.Permanent(fmt.Errorf("%w: %w", ErrStoreUnavailable, err))
		case !final && time.Since(failStart) >= s.opts.RetryBudget:
			return retry.Permanent(fmt.Errorf("%w: %d write attempts failed over %s: %w", ErrStoreUnavailable, attempts,
				time.Since(failStart).Round(time.Millisecond), err))
		}
		return err
	})
	var gaveUp *retry.Error
	switch {
	case !errors.As(err, &gaveUp):
		return err // nil, or a reason above
	case errors.Is(gaveUp.Cause, errClosing):
		return errClosing
	case gaveUp.Cause != nil && final:
		return fmt.Errorf("%w: %w (last write error: %w)", ErrShutdownTimeout, ctx.Err(), gaveUp.Err)
	case gaveUp.Cause != nil:
		return ctx.Err()
	}
	// The next wait would end past the deadline (final only).
	return fmt.Errorf("%w: last write error: %w", ErrShutdownTimeout, gaveUp.Err)
}

// done accounts a written batch.
func (s *Streamer) done(lat time.Duration) {
	n := len(s.batch)
	if s.batchJournal {
		if err := s.journal.commit(s.batchNext, n); err != nil {
			s.noteErr(err)
		}
	}
	s.written.Add(int64(n))
	s.flushes.Add(1)
	s.statMu.Lock()
	_ = s.flushLat.RecordValue(max(1, lat.Microseconds()))
	s.statMu.Unlock()
	s.resetBatch()
}

func (s *Streamer) noteErr(err error) {
	s.statMu.Lock()
	s.lastErr = err.Error()
	s.statMu.Unlock()
}

// toRows appends the rows of b to dst. The rows' execution ids share one
// buffer, allocated for the batch (one allocation per batch instead of
// one per row) and never written again once an id is cut from it, so the
// ids stay valid as long as anyone holds them.
func (s *Streamer) toRows(dst []store.QueryExecution, b []slot) []store.QueryExecution {
	if len(b) == 0 {
		return dst
	}
	const maxDigits = 20 // of an int64
	ids := make([]byte, 0, len(b)*(len(s.idPrefix)+maxDigits))
	for i := range b {
		start := len(ids)
		ids = append(ids, s.idPrefix...)
		ids = strconv.AppendInt(ids, b[i].rec.ExecutionSeq, 10)
		dst = append(dst, store.QueryExecution{})
		s.toRow(&dst[len(dst)-1], &b[i], unsafe.String(&ids[start], len(ids)-start))
	}
	return dst
}

func (s *Streamer) toRow(dst *store.QueryExecution, sl *slot, id string) {
	r := &sl.rec
	var intended time.Time
	if r.IntendedStart != 0 {
		intended = time.UnixMicro(r.IntendedStart).UTC()
	}
	*dst = store.QueryExecution{
		ExecutionID:   id,
		RunID:         s.opts.RunID,
		TestID:        s.opts.TestID,
		WorkerID:      s.opts.WorkerID,
		WorkerGroupID: s.opts.WorkerGroupID,
		Phase:         r.Phase,
		Warmup:        r.Warmup,
		QueryName:     r.Query,
		QueryKind:     r.Kind,
		IntendedStart: intended,
		ActualStart:   time.UnixMicro(r.ActualStart).UTC(),
		LatencyUS:     r.LatencyUS,
		ServiceUS:     r.ServiceUS,
		Success:       r.Success,
		ErrorCode:     r.ErrorCode,
		SQLState:      r.SQLState,
		ErrorMessage:  r.ErrorMessage,
		RowsAffected:  sql.NullInt64{Int64: r.Rows, Valid: r.Success},
		TargetQueryID: r.TargetQueryID,
		SampleWeight:  sl.weight,
	}
}

// Close stops Run, writes every record left (buffer, spill queue, journal)
// for as long as the store makes progress — it gives up when no batch could
// be written for max(ShutdownTimeout, ShutdownP99Factor × flush p99), or
// when ctx ends — and reports what was not written. The error is non-nil exactly when Final.NotWritten > 0; rows not
// written stay in the journal file named in Final. Offer must not be called
// once Close has started (such records are counted as not written). Close
// is idempotent.
func (s *Streamer) Close(ctx context.Context) (Final, error) {
	s.life.Lock()
	if s.closeCalled {
		s.life.Unlock()
		<-s.finalDone
		return *s.final, s.finalErr
	}
	s.closeCalled = true
	s.closed.Store(true)
	close(s.closing)
	started := s.started
	s.life.Unlock()
	defer close(s.finalDone)
	if started {
		<-s.runDone
		close(s.journalStop)
		<-s.journalDone
	}
	// Close waits as long as the store makes progress: each written batch
	// gives the next one a fresh stall budget.
	stall := func() time.Time {
		s.statMu.Lock()
		p99 := time.Duration(s.flushLat.ValueAtQuantile(99)) * time.Microsecond
		s.statMu.Unlock()
		return time.Now().Add(max(s.opts.ShutdownTimeout, time.Duration(s.opts.ShutdownP99Factor*float64(p99))))
	}
	var reason error
	for reason == nil {
		s.fillFinal()
		if len(s.batch) == 0 {
			break
		}
		reason = s.writeBatch(ctx, true, stall())
	}
	for reason == nil && s.journal.pending.Load() > 0 {
		if reason = s.loadJournalBatch(); reason != nil || len(s.batch) == 0 {
			break
		}
		reason = s.writeBatch(ctx, true, stall())
	}
	if reason != nil {
		// Keep what is still in memory on disk.
		if len(s.batch) > 0 && !s.batchJournal {
			s.toJournalOwned(s.batch)
		}
		s.resetBatch()
		for {
			s.fillFinal()
			if len(s.batch) == 0 {
				break
			}
			s.toJournalOwned(s.batch)
			s.resetBatch()
		}
	}
	if reason == nil && s.journal.pending.Load() > 0 {
		reason = fmt.Errorf("%d records left in the spill journal", s.journal.pending.Load())
	}
	path, cerr := s.journal.close()

	st := s.Stats()
	f := Final{
		Offered:     st.Offered,
		Written:     st.Written,
		SampledOut:  st.SampledOut,
		SampleRate:  st.SampleRate,
		NotWritten:  st.Offered - st.SampledOut - st.Written,
		JournalPath: path,
	}
	var why []string
	if reason != nil {
		why = append(why, reason.Error())
	}
	if d := s.dropped.Load(); d > 0 {
		j := "spill queue full"
		if err := s.journal.appendErr(); err != nil {
			j = err.Error()
		}
		why = append(why, fmt.Sprintf("%d records dropped (%s)", d, j))
	}
	if l := s.late.Load(); l > 0 {
		why = append(why, fmt.Sprintf("%d records offered after Close", l))
	}
	if cerr != nil {
		why = append(why, cerr.Error())
	}
	f.Reason = strings.Join(why, "; ")
	var err error
	if f.NotWritten > 0 {
		if reason == nil {
			reason = errors.New(f.Reason)
		}
		err = fmt.Errorf("stream %s: %d query executions not written: %w", s.opts.WorkerID, f.NotWritten, reason)
		if path != "" {
			err = fmt.Errorf("%w (kept in %s)", err, path)
		}
	} else if cerr != nil {
		err = cerr
	}
	s.final, s.finalErr = &f, err
	return f, err
}

// toJournalOwned appends records already taken from the buffer (counted in
// fromBuf) to the journal at Close.
func (s *Streamer) toJournalOwned(b []slot) {
	if err := s.journal.append(b); err != nil {
		s.noteErr(err)
	}
}
