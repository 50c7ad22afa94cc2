package histogram

import (
	"errors"
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry shared by every histogram fbctl records, so that any
// two histograms can be merged exactly.
const (
	// MinValue is the lowest trackable value in microseconds.
	MinValue int64 = 1
	// MaxValue is the highest trackable value in microseconds (1 h); larger
	// values are clamped to it and counted as clamped.
	MaxValue int64 = int64(time.Hour / time.Microsecond)
	// SigFigs is the number of significant decimal digits kept.
	SigFigs = 3
)

// New returns an empty histogram with fbctl's geometry.
func New() *hdr.Histogram { return hdr.New(MinValue, MaxValue, SigFigs) }

// Clamp brings a microsecond value into [MinValue, MaxValue] and reports
// whether it had to be lowered from above MaxValue.
func Clamp(us int64) (v int64, clamped bool) {
	switch {
	case us < MinValue:
		return MinValue, false
	case us > MaxValue:
		return MaxValue, true
	}
	return us, false
}

// Micros converts a duration to whole microseconds, rounding to nearest.
func Micros(d time.Duration) int64 { return (int64(d) + 500) / 1000 }

// Summary is the digest of a histogram that results and live views show.
// Latency fields are in microseconds.
type Summary struct {
	Count int64   `json:"count"`
	Min   int64   `json:"min_us"`
	Max   int64   `json:"max_us"`
	Mean  float64 `json:"mean_us"`
	P50   int64   `json:"p50_us"`
	P90   int64   `json:"p90_us"`
	P95   int64   `json:"p95_us"`
	P99   int64   `json:"p99_us"`
	P999  int64   `json:"p999_us"`
}

var summaryPercentiles = []float64{50, 90, 95, 99, 99.9}

// Summarize computes the Summary of h. An empty or nil histogram gives a
// zero Summary.
func Summarize(h *hdr.Histogram) Summary {
	if h == nil || h.TotalCount() == 0 {
		return Summary{}
	}
	p := h.ValueAtPercentilesSlice(summaryPercentiles)
	return Summary{
		Count: h.TotalCount(),
		Min:   h.Min(),
		Max:   h.Max(),
		Mean:  h.Mean(),
		P50:   p[0],
		P90:   p[1],
		P95:   p[2],
		P99:   p[3],
		P999:  p[4],
	}
}

// Merge adds every value of src into dst. Both must have fbctl's geometry
// (see New); it is an error if any count would be lost.
func Merge(dst, src *hdr.Histogram) error {
	if src == nil {
		return nil
	}
	if dropped := dst.Merge(src); dropped != 0 {
		return fmt.Errorf("merge histograms: %d values outside the target range", dropped)
	}
	return nil
}

// MergeAll returns a new histogram holding every value of hs.
func MergeAll(hs ...*hdr.Histogram) (*hdr.Histogram, error) {
	out := New()
	for _, h := range hs {
		if err := Merge(out, h); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Sub returns a new histogram holding the values of a that are not in b,
// where b is an earlier state of a (a cumulative histogram sampled twice).
// It is exact: the counts are subtracted bucket by bucket.
func Sub(a, b *hdr.Histogram) (*hdr.Histogram, error) {
	if b == nil || b.TotalCount() == 0 {
		return a.Clone(), nil
	}
	sa, sb := a.Export(), b.Export()
	if len(sa.Counts) != len(sb.Counts) {
		return nil, errors.New("subtract histograms: different geometry")
	}
	for i := range sa.Counts {
		sa.Counts[i] -= sb.Counts[i]
		if sa.Counts[i] < 0 {
			return nil, errors.New("subtract histograms: the second is not an earlier state of the first")
		}
	}
	return hdr.Import(sa), nil
}

// Encode returns the base64 text of h's HDR V2 compressed encoding, the
// form fbctl persists so percentiles can be recomputed later.
func Encode(h *hdr.Histogram) (string, error) {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return string(b), nil
}

// Decode reverses Encode.
func Decode(s string) (*hdr.Histogram, error) {
	h, err := hdr.Decode([]byte(s))
	if err != nil {
		return nil, fmt.Errorf("decode histogram: %w", err)
	}
	return h, nil
}
