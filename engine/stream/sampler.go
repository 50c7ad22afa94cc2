package stream

import (
	"fmt"
	"math"
	"strconv"
)

// Sampler decides which measurement operations are stored. Errors and
// warmup operations are always stored.
//
// The decision is deterministic: an operation with execution id
// ExecutionID(run, worker, seq) is stored when Fraction(id) < Rate. The
// same id always gives the same decision, so a recomputation from stored
// ids (or a rerun with the same ids) samples the same way.
type Sampler struct {
	// Rate is the stored fraction of measurement operations, in (0, 1].
	// 0 means not fixed yet (1 if measurement starts before a rate is
	// set).
	Rate float64
}

// Validate reports whether the rate is usable.
func (s Sampler) Validate() error {
	if math.IsNaN(s.Rate) || s.Rate < 0 || s.Rate > 1 {
		return fmt.Errorf("sample rate %v: must be in (0, 1]", s.Rate)
	}
	return nil
}

// Keep reports whether the measurement operation seq of worker in run is
// stored at this rate.
func (s Sampler) Keep(runID, workerID string, seq int64) bool {
	if s.Rate == 0 || s.Rate >= 1 {
		return true
	}
	return fraction(runID, workerID, seq) < s.Rate
}

// Weight is the SAMPLE_WEIGHT of a stored measurement row: 1/Rate.
func (s Sampler) Weight() float64 {
	if s.Rate == 0 || s.Rate >= 1 {
		return 1
	}
	return 1 / s.Rate
}

// AutoRate is the rate that keeps stored measurement rows under
// maxRowsPerSec at observedOpsPerSec: min(1, max/observed). It is 1 when
// either number is not positive (nothing to limit, or nothing observed).
func AutoRate(maxRowsPerSec, observedOpsPerSec float64) float64 {
	if !(maxRowsPerSec > 0) || !(observedOpsPerSec > 0) {
		return 1
	}
	return math.Min(1, maxRowsPerSec/observedOpsPerSec)
}

// ExecutionID is the QUERY_EXECUTIONS.EXECUTION_ID of operation seq of
// worker in run: "<run>-<worker>-<seq>" (seq in decimal).
func ExecutionID(runID, workerID string, seq int64) string {
	return runID + "-" + workerID + "-" + strconv.FormatInt(seq, 10)
}

// Fraction maps an execution id to [0, 1): the top 53 bits of
// fmix64(FNV-1a-64(id bytes)), divided by 2^53. fmix64 is MurmurHash3's
// 64-bit finalizer; it spreads FNV's output so that ids differing only in
// their last digits give independent fractions.
func Fraction(executionID string) float64 {
	h := uint64(fnvOffset)
	h = fnvString(h, executionID)
	return toFraction(h)
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func toFraction(h uint64) float64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return float64(h>>11) * (1.0 / (1 << 53))
}

// fraction is Fraction(ExecutionID(run, worker, seq)) without building the
// string: the hot path allocates nothing.
func fraction(runID, workerID string, seq int64) float64 {
	h := uint64(fnvOffset)
	h = fnvString(h, runID)
	h = (h ^ '-') * fnvPrime
	h = fnvString(h, workerID)
	h = (h ^ '-') * fnvPrime
	var buf [20]byte
	for _, c := range strconv.AppendInt(buf[:0], seq, 10) {
		h = (h ^ uint64(c)) * fnvPrime
	}
	return toFraction(h)
}
