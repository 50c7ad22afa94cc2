package executor

import (
	"errors"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flakebench/fbctl/engine/histogram"
)

// Record is one operation as a Sink receives it. Times are integer
// microseconds; IntendedStart and ActualStart are microseconds since the
// Unix epoch (UTC).
type Record struct {
	ExecutionSeq  int64 // per worker, from 1
	Phase         string
	Warmup        bool
	Query         string
	Kind          string
	IntendedStart int64
	ActualStart   int64
	LatencyUS     int64 // end − intended start
	ServiceUS     int64 // end − actual start
	Success       bool
	ErrorCode     string
	SQLState      string
	ErrorMessage  string
	Rows          int64
	TargetQueryID string
}

// Sink receives per-operation records. Offer is called from the hot path
// of many goroutines at once; it must not block, and reports false when it
// dropped the record (buffer full, or not sampled).
type Sink interface {
	Offer(Record) bool
}

// QueryInfo describes one query of the template for recording.
type QueryInfo struct {
	Template string
	Name     string
	Kind     string
	Write    bool
}

// RecorderOptions are optional parts of a Recorder.
type RecorderOptions struct {
	Sink     Sink       // nil: no per-operation records
	Classify Classifier // nil: ClassifyError
}

// Recorder records every operation of one worker: into histogram handles
// of its Registry keyed by (metric, phase, query, success), atomic counters
// and, when set, a Sink.
type Recorder struct {
	reg      *histogram.Registry
	queries  []QueryInfo
	sink     Sink
	classify Classifier
	seq      atomic.Int64
}

// NewRecorder returns a recorder for queries that records into reg.
func NewRecorder(reg *histogram.Registry, queries []QueryInfo, opts RecorderOptions) *Recorder {
	if opts.Classify == nil {
		opts.Classify = ClassifyError
	}
	return &Recorder{reg: reg, queries: queries, sink: opts.Sink, classify: opts.Classify}
}

// Registry returns the recorder's histogram registry.
func (r *Recorder) Registry() *histogram.Registry { return r.reg }

// Queries returns the queries the recorder knows.
func (r *Recorder) Queries() []QueryInfo { return r.queries }

// Phase returns the recorder of one phase (or of the warmup, with warmup
// true) of this worker.
func (r *Recorder) Phase(name string, warmup bool) *PhaseRecorder {
	return &PhaseRecorder{r: r, name: name, warmup: warmup, base: time.Now(), errs: map[string]*ErrorGroup{}}
}

// Counts are a phase's operation counters.
type Counts struct {
	Ops     int64 // completed operations
	OK      int64
	Errors  int64
	Dropped int64 // open model arrivals that found no free connection
	Reads   int64
	Writes  int64
	// Retries counts the tries of transactions run again after a conflict
	// (the operations themselves count once).
	Retries int64
}

// ErrorGroup counts the errors of one code with the first few messages.
type ErrorGroup struct {
	Code     string
	SQLState string
	Class    string `json:",omitempty"` // ConflictClass: serialization failures and deadlocks
	Count    int64
	Messages []string
}

// MaxErrorMessages is how many messages an ErrorGroup keeps.
const MaxErrorMessages = 3

// PhaseRecorder records the operations of one phase of one worker.
type PhaseRecorder struct {
	r       *Recorder
	name    string
	warmup  bool
	base    time.Time // operation times are offsets from it (monotonic)
	dropped atomic.Int64

	mu       sync.Mutex
	sessions []*SessionRecorder
	errs     map[string]*ErrorGroup
}

// Now returns the time since the phase recorder was made, the clock
// Record takes. It reads only the monotonic clock, which is cheaper than
// time.Now.
func (p *PhaseRecorder) Now() time.Duration { return time.Since(p.base) }

// Time converts an offset of Now to a wall-clock time.
func (p *PhaseRecorder) Time(d time.Duration) time.Time { return p.base.Add(d) }

// Name returns the phase name.
func (p *PhaseRecorder) Name() string { return p.name }

// Drop counts an arrival that found no free connection.
func (p *PhaseRecorder) Drop() { p.dropped.Add(1) }

// Counts returns the phase's counters so far.
func (p *PhaseRecorder) Counts() Counts {
	c := Counts{Dropped: p.dropped.Load()}
	p.mu.Lock()
	for _, s := range p.sessions {
		c.Ops += s.ops.Load()
		c.Errors += s.errors.Load()
		c.Writes += s.writes.Load()
		c.Retries += s.retries.Load()
	}
	p.mu.Unlock()
	c.OK = c.Ops - c.Errors
	c.Reads = c.Ops - c.Writes
	return c
}

// Sessions returns the number of sessions that recorded into the phase
// (opened, or tried to open).
func (p *PhaseRecorder) Sessions() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sessions)
}

// Errors returns the phase's errors grouped by code, most frequent first.
func (p *PhaseRecorder) Errors() []ErrorGroup {
	p.mu.Lock()
	out := make([]ErrorGroup, 0, len(p.errs))
	for _, g := range p.errs {
		c := *g
		c.Messages = append([]string(nil), g.Messages...)
		out = append(out, c)
	}
	p.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Code < out[j].Code
	})
	return out
}

func (p *PhaseRecorder) noteError(info ErrorInfo) {
	p.mu.Lock()
	g := p.errs[info.Code]
	if g == nil {
		g = &ErrorGroup{Code: info.Code, SQLState: info.SQLState, Class: info.Class}
		p.errs[info.Code] = g
	}
	g.Count++
	if len(g.Messages) < MaxErrorMessages {
		g.Messages = append(g.Messages, info.Message)
	}
	p.mu.Unlock()
}

// Session returns a recorder for one connection goroutine, with every
// histogram handle prepared. With open true it also records service time
// and schedule lag (in a closed model both equal the latency and zero).
func (p *PhaseRecorder) Session(open bool) *SessionRecorder {
	reg := p.r.reg
	s := &SessionRecorder{p: p, open: open, lat: make([][2]*histogram.Handle, len(p.r.queries))}
	if open {
		s.svc = make([][2]*histogram.Handle, len(p.r.queries))
		s.lag = reg.Handle(histogram.Key{Metric: histogram.MetricLag, Phase: p.name, Success: true})
	}
	for i, q := range p.r.queries {
		for ok := range 2 {
			s.lat[i][ok] = reg.Handle(histogram.Key{Metric: histogram.MetricLatency, Phase: p.name, Template: q.Template, Query: q.Name, Success: ok == 1})
			if open {
				s.svc[i][ok] = reg.Handle(histogram.Key{Metric: histogram.MetricService, Phase: p.name, Template: q.Template, Query: q.Name, Success: ok == 1})
			}
		}
	}
	p.mu.Lock()
	p.sessions = append(p.sessions, s)
	p.mu.Unlock()
	return s
}

// SessionRecorder records the operations of one connection goroutine; only
// that goroutine may call Record.
type SessionRecorder struct {
	// The padding keeps each session's recorder on cache lines of its
	// own: the counters are written on every operation, and recorders of
	// sessions opened one after the other would otherwise share a line
	// (false sharing between the sessions' CPUs).
	_    [64]byte
	p    *PhaseRecorder
	open bool
	lat  [][2]*histogram.Handle
	svc  [][2]*histogram.Handle
	lag  *histogram.Handle

	// Written by the owner only; atomics so Counts can read them.
	ops, errors, writes, retries atomic.Int64
	_                            [64]byte
}

// AddRetries counts n retries of the operation just recorded (a
// transaction's tries after a conflict).
func (s *SessionRecorder) AddRetries(n int) {
	if n > 0 {
		s.retries.Add(int64(n))
	}
}

// retrier returns s as a Retrier, nil when its operations never retry:
// a loop asserts once per session instead of once per operation.
func retrier(s Session) Retrier {
	r, _ := s.(Retrier)
	return r
}

// noteRetriesOf counts the retries of r's last operation (r nil: none).
func noteRetriesOf(r Retrier, rec *SessionRecorder) {
	if r != nil {
		rec.AddRetries(r.LastRetries())
	}
}

// Record records one operation of query q: intended is when it should
// have started (the schedule, in an open model), actual when it was sent,
// end when it completed, all offsets on the phase recorder's clock (Now).
func (s *SessionRecorder) Record(q int, intended, actual, end time.Duration, rows int64, targetQueryID string, err error) {
	lat := end - intended
	svc := end - actual
	ok := 1
	if err != nil {
		ok = 0
	}
	s.lat[q][ok].RecordDuration(lat)
	if s.open {
		s.svc[q][ok].RecordDuration(svc)
		s.lag.RecordDuration(actual - intended)
	}
	s.ops.Add(1)
	info := &s.p.r.queries[q] // a pointer: the struct is 56 bytes
	if info.Write {
		s.writes.Add(1)
	}
	var ei ErrorInfo
	if err != nil {
		s.errors.Add(1)
		ei = s.p.r.classify(err)
		var soe *SessionOpenError
		if errors.As(err, &soe) {
			ei.Code = SessionOpenCode
		}
		if IsConflict(ei) {
			ei.Class = ConflictClass
		}
		s.p.noteError(ei)
	}
	if sink := s.p.r.sink; sink != nil {
		sink.Offer(Record{
			ExecutionSeq:  s.p.r.seq.Add(1),
			Phase:         s.p.name,
			Warmup:        s.p.warmup,
			Query:         info.Name,
			Kind:          info.Kind,
			IntendedStart: s.p.base.Add(intended).UnixMicro(),
			ActualStart:   s.p.base.Add(actual).UnixMicro(),
			LatencyUS:     histogram.Micros(lat),
			ServiceUS:     histogram.Micros(svc),
			Success:       err == nil,
			ErrorCode:     ei.Code,
			SQLState:      ei.SQLState,
			ErrorMessage:  ei.Message,
			Rows:          rows,
			TargetQueryID: targetQueryID,
		})
	}
}
