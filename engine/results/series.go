package results

import (
	"fmt"
	"sort"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/store"
)

// Interval is one interval of one phase, merged exactly over the workers
// that reported it: interval Index covers [Start, Start+Length) on the
// control plane's clock, counted from the phase's common start, so the
// intervals of every worker line up.
type Interval struct {
	Phase   string
	Index   int64
	Start   time.Time
	Length  time.Duration
	Workers int // workers whose snapshot of this interval was read
	// Dropped and Sessions sum the workers' counters at the interval's
	// end: arrivals dropped since the phase started, sessions open.
	Dropped  int64
	Sessions int64
	// Hists holds the interval's histograms by key (latency per template,
	// query and outcome; service time and schedule lag for open models).
	Hists map[histogram.Key]*hdr.Histogram
}

// Latency returns one histogram of every operation of the interval that
// keep accepts (nil: all).
func (iv *Interval) Latency(keep func(histogram.Key) bool) *hdr.Histogram {
	out := histogram.New()
	for k, h := range iv.Hists {
		if k.Metric == histogram.MetricLatency && (keep == nil || keep(k)) {
			out.Merge(h)
		}
	}
	return out
}

// Ops and Errors count the interval's operations (those that ended in it).
func (iv *Interval) Ops() int64 { return iv.Latency(nil).TotalCount() }

// Errors counts the interval's failed operations.
func (iv *Interval) Errors() int64 {
	return iv.Latency(func(k histogram.Key) bool { return !k.Success }).TotalCount()
}

// PerSecond returns n ÷ the interval's length.
func (iv *Interval) PerSecond(n int64) float64 { return PerSecond(n, iv.Length.Seconds()) }

// Merge adds the histograms and counters of o (the same phase and index)
// into iv.
func (iv *Interval) Merge(o *Interval) error {
	for k, h := range o.Hists {
		if dst := iv.Hists[k]; dst != nil {
			if err := histogram.Merge(dst, h); err != nil {
				return err
			}
		} else {
			iv.Hists[k] = h
		}
	}
	iv.Workers += o.Workers
	iv.Dropped += o.Dropped
	iv.Sessions += o.Sessions
	return nil
}

// IntervalOf decodes one worker's snapshot row into its interval.
func IntervalOf(m store.MetricsSnapshot) (*Interval, error) {
	hs, _, err := DecodeHistograms(m.Histograms)
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s, %s interval %d: %w", m.WorkerID, m.Phase, m.IntervalIndex, err)
	}
	return &Interval{Phase: m.Phase, Index: m.IntervalIndex, Start: m.IntervalStart, Length: time.Duration(m.IntervalMS) * time.Millisecond,
		Workers: 1, Dropped: m.Dropped, Sessions: m.ActiveConnections, Hists: hs}, nil
}

// Series merges workers' snapshot rows into one exact interval per phase
// and index, sorted by phase and index. Rows without histograms (written
// by an older fbctl) are left out.
func Series(snaps []store.MetricsSnapshot) ([]*Interval, error) {
	type key struct {
		phase string
		index int64
	}
	by := map[key]*Interval{}
	for _, m := range snaps {
		if len(m.Histograms) == 0 {
			continue
		}
		iv, err := IntervalOf(m)
		if err != nil {
			return nil, err
		}
		k := key{m.Phase, m.IntervalIndex}
		if cur := by[k]; cur != nil {
			if err := cur.Merge(iv); err != nil {
				return nil, err
			}
		} else {
			by[k] = iv
		}
	}
	out := make([]*Interval, 0, len(by))
	for _, iv := range by {
		out = append(out, iv)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Phase != out[j].Phase {
			return out[i].Phase < out[j].Phase
		}
		return out[i].Index < out[j].Index
	})
	return out, nil
}
