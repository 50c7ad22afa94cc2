package stream

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/hashicorp/go-hclog"
)

// Writer writes a batch of QUERY_EXECUTIONS rows all-or-nothing, so that a
// failed batch can be retried whole. *store.Store satisfies it. The writer
// must not keep the slice after it returns.
type Writer interface {
	InsertQueryExecutions(ctx context.Context, batch []store.QueryExecution) error
}

var _ Writer = (*store.Store)(nil)

// Defaults of Options.
const (
	DefaultFlushEvery        = 5 * time.Second
	DefaultFlushRows         = 1000
	DefaultRetryBudget       = 2 * time.Minute
	DefaultShutdownTimeout   = 30 * time.Second
	DefaultShutdownP99Factor = 3
	DefaultWriteTimeout      = 30 * time.Second
)

// Options configure a Streamer. Zero values take the defaults.
type Options struct {
	Store         Writer // required
	RunID         string // required
	TestID        string // the worker's child TEST_ID
	WorkerID      string // required
	WorkerGroupID int

	FlushEvery time.Duration // write at least this often (5 s)
	FlushRows  int           // or as soon as this many records wait (1000)
	BufferRows int           // in-memory buffer capacity (4 × FlushRows)
	SpillRows  int           // spill queue capacity (4 × BufferRows)
	JournalDir string        // spill journal directory (os.TempDir())
	// JournalMaxBytes bounds the spill journal file (DefaultJournalMaxBytes;
	// negative: no bound) and JournalMinFree is the free space its file
	// system must keep (DefaultJournalMinFree; negative: not checked). When
	// either would be exceeded the journal takes no more records and Offer
	// waits for room in the buffer: the workers slow down to the store's
	// pace (backpressure, counted in Stats.Throttled) instead of filling
	// the disk.
	JournalMaxBytes int64
	JournalMinFree  int64
	// WriteGap is the least pause between two back-to-back writes (0:
	// none). A store with one writer at a time (SQLite) needs it so the
	// control plane's heartbeats are not starved by a busy stream.
	WriteGap time.Duration

	// RetryBudget is how long the store may refuse every write before Run
	// fails with ErrStoreUnavailable (2 min).
	RetryBudget time.Duration
	// WriteTimeout bounds one write attempt; a timeout is a failed attempt
	// (30 s).
	WriteTimeout time.Duration
	// ShutdownTimeout is how long Close may go without writing a batch
	// before it gives up (30 s; at least ShutdownP99Factor × flush p99):
	// Close waits as long as the store makes progress.
	ShutdownTimeout   time.Duration
	ShutdownP99Factor float64 // 3

	Sampler Sampler
	Logger  hclog.Logger // nil: no logging
}

// ErrStoreUnavailable is returned by Run (wrapping the last write error)
// when the store refused every write for longer than the retry budget.
var ErrStoreUnavailable = errors.New("results store unavailable")

// ErrShutdownTimeout is the reason for rows Close could not write within
// the shutdown timeout.
var ErrShutdownTimeout = errors.New("shutdown timeout")

// ErrRateFixed is returned by SetRate once a rate is set or measurement
// operations have started.
var ErrRateFixed = errors.New("sample rate already fixed")

// rateState is an immutable snapshot of the sampling rate.
type rateState struct {
	rate   float64 // in (0, 1]
	weight float64 // 1/rate
	set    bool    // SetRate succeeded
	frozen bool    // a measurement record was offered
}

// Streamer streams one worker's operation records to QUERY_EXECUTIONS. It
// implements executor.Sink. Offer may be called from many goroutines; Run
// once, in its own goroutine; Close once at the end, after the last Offer.
type Streamer struct {
	opts     Options
	log      hclog.Logger
	idPrefix string

	rate atomic.Pointer[rateState]

	buf       *ring         // the bounded buffer
	spill     *ring         // overflow, serviced by the journal goroutine
	wake      chan struct{} // buf holds FlushRows records
	spillWake chan struct{} // spill holds records

	// Counters. Offered is derived: every Offer ends in exactly one of
	// sampledOut, dropped, late or a queue.
	sampledOut atomic.Int64
	spilled    atomic.Int64 // records that took the spill queue
	dropped    atomic.Int64 // both queues full, or the journal failed
	throttled  atomic.Int64 // Offer calls that waited for room (backpressure)
	throttleNS atomic.Int64 // time they waited
	runEnded   atomic.Bool  // Run returned: nothing drains the buffer any more
	late       atomic.Int64 // offered after Close
	fromBuf    atomic.Int64 // taken from buf by the flusher
	fromSpill  atomic.Int64 // appended to the journal from the spill queue
	written    atomic.Int64
	inHand     atomic.Int64 // records in the flusher's current batch
	flushes    atomic.Int64

	journal *journal

	statMu   sync.Mutex
	flushLat *hdrhistogram.Histogram // µs
	lastErr  string

	life        sync.Mutex
	started     bool
	runDone     chan struct{}
	journalStop chan struct{}
	journalDone chan struct{}
	closing     chan struct{}
	closed      atomic.Bool
	closeCalled bool
	finalDone   chan struct{}
	final       *Final
	finalErr    error

	// Flusher state: owned by Run's goroutine, then by Close.
	batch        []slot
	rows         []store.QueryExecution
	batchJournal bool  // batch came from the journal
	batchNext    int64 // journal offset to commit after the batch
	unavailable  bool
}

var _ executor.Sink = (*Streamer)(nil)

// New returns a streamer for one worker. It panics when Store, RunID or
// WorkerID is missing or the sample rate is invalid (programming errors of
// the caller).
func New(opts Options) *Streamer {
	if opts.Store == nil || opts.RunID == "" || opts.WorkerID == "" {
		panic("stream.New: Store, RunID and WorkerID are required")
	}
	if err := opts.Sampler.Validate(); err != nil {
		panic("stream.New: " + err.Error())
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = DefaultFlushEvery
	}
	if opts.FlushRows <= 0 {
		opts.FlushRows = DefaultFlushRows
	}
	if opts.BufferRows <= 0 {
		opts.BufferRows = 4 * opts.FlushRows
	}
	opts.BufferRows = max(opts.BufferRows, opts.FlushRows)
	if opts.SpillRows <= 0 {
		opts.SpillRows = 4 * opts.BufferRows
	}
	opts.BufferRows = newRingSize(opts.BufferRows)
	opts.SpillRows = newRingSize(opts.SpillRows)
	if opts.RetryBudget <= 0 {
		opts.RetryBudget = DefaultRetryBudget
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = DefaultShutdownTimeout
	}
	if opts.ShutdownP99Factor <= 0 {
		opts.ShutdownP99Factor = DefaultShutdownP99Factor
	}
	log := opts.Logger
	if log == nil {
		log = hclog.NewNullLogger()
	}
	s := &Streamer{
		opts:      opts,
		log:       log.Named("stream").With("worker", opts.WorkerID),
		idPrefix:  opts.RunID + "-" + opts.WorkerID + "-",
		buf:       newRing(opts.BufferRows),
		spill:     newRing(opts.SpillRows),
		wake:      make(chan struct{}, 1),
		spillWake: make(chan struct{}, 1),
		journal:   newJournal(opts.JournalDir, JournalPrefix+safeName(opts.RunID)+"-"+safeName(opts.WorkerID)+"-*"+JournalSuffix),
		flushLat:  hdrhistogram.New(1, int64(time.Hour/time.Microsecond), 2),
		closing:   make(chan struct{}),
		finalDone: make(chan struct{}),
		batch:     make([]slot, 0, opts.FlushRows),
		rows:      make([]store.QueryExecution, 0, opts.FlushRows),
	}
	s.journal.header = encodeHeader(journalHeader{RunID: opts.RunID, TestID: opts.TestID, WorkerID: opts.WorkerID, WorkerGroupID: opts.WorkerGroupID})
	switch {
	case opts.JournalMaxBytes == 0:
		s.journal.maxBytes = DefaultJournalMaxBytes
	case opts.JournalMaxBytes > 0:
		s.journal.maxBytes = opts.JournalMaxBytes
	}
	switch {
	case opts.JournalMinFree == 0:
		s.journal.minFree = DefaultJournalMinFree
	case opts.JournalMinFree > 0:
		s.journal.minFree = opts.JournalMinFree
	}
	r := 1.0
	if opts.Sampler.Rate > 0 {
		r = opts.Sampler.Rate
	}
	s.rate.Store(&rateState{rate: r, weight: 1 / r, set: opts.Sampler.Rate > 0})
	return s
}

func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}

// SetRate fixes the sample rate of measurement operations (for the "auto"
// mode, at the end of warmup). It fails with ErrRateFixed when a rate was
// already given (in Options or by an earlier SetRate) or a measurement
// record has been offered, and for a rate outside (0, 1].
func (s *Streamer) SetRate(rate float64) error {
	if !(rate > 0 && rate <= 1) {
		return fmt.Errorf("sample rate %v: must be in (0, 1]", rate)
	}
	for {
		cur := s.rate.Load()
		if cur.set || cur.frozen {
			return fmt.Errorf("set sample rate %v: %w at %v", rate, ErrRateFixed, cur.rate)
		}
		if s.rate.CompareAndSwap(cur, &rateState{rate: rate, weight: 1 / rate, set: true}) {
			return nil
		}
	}
}

// Rate returns the current sample rate of measurement operations.
func (s *Streamer) Rate() float64 { return s.rate.Load().rate }

// measurementRate returns the rate, freezing it on the first measurement
// record.
func (s *Streamer) measurementRate() *rateState {
	for {
		cur := s.rate.Load()
		if cur.frozen {
			return cur
		}
		next := *cur
		next.frozen = true
		if s.rate.CompareAndSwap(cur, &next) {
			return &next
		}
	}
}

// Offer implements executor.Sink. It waits only when both rings are full
// (for the journal file, see the package doc). It reports false when the
// record is not stored: sampled out, offered after Close, or lost because
// the journal cannot be written (counted in Stats.Dropped).
func (s *Streamer) Offer(r executor.Record) bool {
	w := 1.0
	if r.Success && !r.Warmup {
		st := s.measurementRate()
		if st.rate < 1 {
			if fraction(s.opts.RunID, s.opts.WorkerID, r.ExecutionSeq) >= st.rate {
				s.sampledOut.Add(1)
				return false
			}
			w = st.weight
		}
	}
	if s.closed.Load() {
		s.late.Add(1)
		return false
	}
	sl := slot{rec: r, weight: w}
	if s.buf.push(&sl) {
		if n := s.buf.len(); n >= s.opts.FlushRows {
			if len(s.wake) == 0 {
				select {
				case s.wake <- struct{}{}:
				default:
				}
			}
			if n >= s.buf.cap()/2 {
				// The flusher lags, likely starved of CPU by the workers
				// (it was just woken onto this P): yield once, not wait.
				runtime.Gosched()
			}
		}
		return true
	}
	if s.spill.len() >= s.spill.cap()/2 {
		// The journal goroutine is falling behind, likely starved of CPU
		// by the workers: yield once (not a wait) so it can run.
		runtime.Gosched()
	}
	if s.spill.push(&sl) {
		s.spilled.Add(1)
		if len(s.spillWake) == 0 {
			select {
			case s.spillWake <- struct{}{}:
			default:
			}
		}
		return true
	}
	// Last resort: append to the journal file directly. This may wait for
	// the journal goroutine's append in progress (a write into the page
	// cache): under sustained overload the hot path slows down rather than
	// lose a record. A journal at its disk budget makes it wait for room in
	// the rings (offerSlow). Only a journal that cannot be written drops
	// records, and they are counted and reported.
	switch err := s.journal.appendOne(&sl); {
	case err == nil:
		s.spilled.Add(1)
		s.fromSpill.Add(1)
		return true
	case errors.Is(err, errJournalFull):
		return s.offerSlow(&sl)
	}
	s.dropped.Add(1)
	return false
}

// Stats is a snapshot for the live view.
type Stats struct {
	Offered        int64   // records offered so far
	SampledOut     int64   // measurement records not stored by sampling
	SampleRate     float64 // current rate of measurement records
	Buffered       int64   // in memory now: buffer, spill queue, batch in flight
	Written        int64   // rows the store accepted
	Spilled        int64   // records that went the spill path (total)
	JournalPending int64   // records in the journal file not yet written
	Dropped        int64   // records lost (both queues full or journal failure)
	// Throttled counts the records whose Offer waited because the journal
	// was at its disk budget, ThrottledFor the time they waited.
	Throttled    int64
	ThrottledFor time.Duration
	JournalBytes int64 // size of the journal file
	Flushes      int64 // successful writes
	FlushP50     time.Duration
	FlushP99     time.Duration
	LastError    string // last write or journal error, "" if none
}

// Stats returns a snapshot; counters are read one by one, so a snapshot
// taken while records flow may be off by the records in motion.
func (s *Streamer) Stats() Stats {
	buffered := int64(s.buf.len()+s.spill.len()) + s.inHand.Load()
	st := Stats{
		SampledOut:     s.sampledOut.Load(),
		SampleRate:     s.rate.Load().rate,
		Buffered:       buffered,
		Written:        s.written.Load(),
		Spilled:        s.spilled.Load(),
		JournalPending: s.journal.pending.Load(),
		Dropped:        s.dropped.Load(),
		Flushes:        s.flushes.Load(),
		Throttled:      s.throttled.Load(),
		ThrottledFor:   time.Duration(s.throttleNS.Load()),
		JournalBytes:   s.journal.bytes(),
	}
	st.Offered = s.sampledOut.Load() + s.dropped.Load() + s.late.Load() +
		s.fromBuf.Load() + s.fromSpill.Load() + int64(s.buf.len()+s.spill.len())
	s.statMu.Lock()
	st.FlushP50 = time.Duration(s.flushLat.ValueAtQuantile(50)) * time.Microsecond
	st.FlushP99 = time.Duration(s.flushLat.ValueAtQuantile(99)) * time.Microsecond
	st.LastError = s.lastErr
	s.statMu.Unlock()
	return st
}

// Final is what Close reports for TEST_RESULTS.
type Final struct {
	Offered    int64   // operations issued (records offered)
	Written    int64   // rows stored
	SampledOut int64   // measurement records not stored by sampling
	SampleRate float64 // SAMPLE_RATE of measurement records
	NotWritten int64   // records meant to be stored that are not
	// Reason says why NotWritten > 0 ("" otherwise).
	Reason string
	// JournalPath holds the rows not written, when there are any on disk.
	JournalPath string
}
