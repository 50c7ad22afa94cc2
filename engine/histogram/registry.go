package histogram

import (
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Metrics a Key can name.
const (
	// MetricLatency is the time from the intended start of an operation to
	// its end (equal to the service time in a closed model).
	MetricLatency = "latency"
	// MetricService is the time from the actual send to the end.
	MetricService = "service"
	// MetricLag is the schedule lag of an open model: actual send minus
	// intended send.
	MetricLag = "lag"
)

// Key names one histogram of a run.
type Key struct {
	Metric   string // MetricLatency, MetricService or MetricLag
	Phase    string
	Template string // the query's template; "" for metrics not per query (lag)
	Query    string // query name; "" for metrics not per query (lag)
	Success  bool
}

// slot is one of a handle's two buffers: the goroutine records into the
// active one while the registry merges the other.
type slot struct {
	h       *hdr.PackedHistogram
	clamped int64
}

func newSlot() *slot { return &slot{h: hdr.NewPacked(MinValue, MaxValue, SigFigs)} }

// Handle records values for one Key from exactly one goroutine. Record
// takes no lock and does not allocate once the histogram's buckets for the
// recorded range exist (a sparse histogram grows its bucket list the first
// few times a new value range is seen). Registry.Flush swaps the handle's
// buffers without stopping the goroutine.
type Handle struct {
	key    Key
	active atomic.Pointer[slot]
	busy   atomic.Uint32
	spare  *slot // guarded by Registry.mu
}

// Key returns the handle's key.
func (h *Handle) Key() Key { return h.key }

// Record records one value in microseconds, clamped to [MinValue, MaxValue].
// It must only be called from the goroutine that owns the handle.
func (h *Handle) Record(us int64) {
	h.busy.Store(1)
	s := h.active.Load()
	if us < MinValue {
		us = MinValue
	} else if us > MaxValue {
		us = MaxValue
		s.clamped++
	}
	_ = s.h.RecordValue(us) // in range by construction
	h.busy.Store(0)
}

// RecordDuration records d in microseconds.
func (h *Handle) RecordDuration(d time.Duration) { h.Record(Micros(d)) }

// entry accumulates the merged values of every handle of one key.
type entry struct {
	cum, interval *hdr.Histogram
	clamped       int64
}

// Registry hands out Handles and merges them by Key. One registry serves
// one worker; registries of several workers merge exactly through their
// snapshots (Merge, or Encode and Decode across processes).
type Registry struct {
	mu      sync.Mutex
	handles []*Handle
	entries map[Key]*entry
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{entries: map[Key]*entry{}} }

// Handle returns a new handle for k, to be used by one goroutine. Prepare
// handles before the hot loop.
func (r *Registry) Handle(k Key) *Handle {
	h := &Handle{key: k, spare: newSlot()}
	h.active.Store(newSlot())
	r.mu.Lock()
	r.handles = append(r.handles, h)
	r.mu.Unlock()
	return h
}

// flushLocked moves every handle's recorded values into the entries.
func (r *Registry) flushLocked() {
	for _, h := range r.handles {
		old := h.active.Swap(h.spare)
		// Wait for a Record that loaded the old slot before the swap to
		// finish (the Record side stores busy before it loads active, so
		// one of the two sides sees the other). The wait is a few
		// nanoseconds.
		for h.busy.Load() != 0 {
			runtime.Gosched()
		}
		if old.h.TotalCount() > 0 || old.clamped > 0 {
			// Dense histograms are ~190 KB each: make them only for keys
			// that have values.
			e := r.entries[h.key]
			if e == nil {
				e = &entry{cum: New(), interval: New()}
				r.entries[h.key] = e
			}
			old.h.MergeInto(e.cum)
			old.h.MergeInto(e.interval)
			e.clamped += old.clamped
			old.h.Reset()
			old.clamped = 0
		}
		h.spare = old
	}
}

// Flush merges the values recorded so far into the cumulative histograms.
func (r *Registry) Flush() {
	r.mu.Lock()
	r.flushLocked()
	r.mu.Unlock()
}

// Snapshot is the state of one key at a tick. Histograms in a Snapshot are
// copies owned by the caller.
type Snapshot struct {
	Key        Key
	Interval   *hdr.Histogram // values since the previous Tick
	Cumulative *hdr.Histogram // every value so far
	Clamped    int64          // values above MaxValue, cumulative
}

// Tick flushes every handle and returns one Snapshot per key that has
// values, sorted by key, with the values recorded since the previous Tick and the cumulative
// values; the interval histograms are then reset.
func (r *Registry) Tick() []Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked()
	out := make([]Snapshot, 0, len(r.entries))
	for k, e := range r.entries {
		out = append(out, Snapshot{Key: k, Interval: e.interval.Clone(), Cumulative: e.cum.Clone(), Clamped: e.clamped})
		e.interval.Reset()
	}
	sortSnapshots(out)
	return out
}

// TickPhase is Tick for the keys of one phase: it flushes every handle and
// returns the snapshots of phase's keys, resetting only their interval
// histograms, so that phases running side by side each keep intervals of
// their own.
func (r *Registry) TickPhase(phase string) []Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked()
	var out []Snapshot
	for k, e := range r.entries {
		if k.Phase != phase {
			continue
		}
		out = append(out, Snapshot{Key: k, Interval: e.interval.Clone(), Cumulative: e.cum.Clone(), Clamped: e.clamped})
		e.interval.Reset()
	}
	sortSnapshots(out)
	return out
}

// Cumulative flushes every handle and returns copies of the cumulative
// histograms of the keys that have values, sorted by key, without touching the interval histograms.
func (r *Registry) Cumulative() []Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked()
	out := make([]Snapshot, 0, len(r.entries))
	for k, e := range r.entries {
		out = append(out, Snapshot{Key: k, Cumulative: e.cum.Clone(), Clamped: e.clamped})
	}
	sortSnapshots(out)
	return out
}

// Merged flushes every handle and returns one histogram holding every value
// of the keys for which keep returns true.
func (r *Registry) Merged(keep func(Key) bool) *hdr.Histogram {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flushLocked()
	out := New()
	for k, e := range r.entries {
		if keep(k) {
			out.Merge(e.cum)
		}
	}
	return out
}

func sortSnapshots(s []Snapshot) {
	sort.Slice(s, func(i, j int) bool { return s[i].Key.Less(s[j].Key) })
}

// Less orders keys by metric, phase, template, query, then failures before successes:
// the order snapshots and persisted histograms are kept in.
func (a Key) Less(b Key) bool {
	if a.Metric != b.Metric {
		return a.Metric < b.Metric
	}
	if a.Phase != b.Phase {
		return a.Phase < b.Phase
	}
	if a.Template != b.Template {
		return a.Template < b.Template
	}
	if a.Query != b.Query {
		return a.Query < b.Query
	}
	return !a.Success && b.Success
}
