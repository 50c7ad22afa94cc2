package results

// FullIntervals returns the intervals of phase whose length is the
// phase's interval length: the last, partial interval of a phase (shorter
// than its longest) would weigh a fraction of a second like a whole one
// in any per-interval statistic, so it is left out.
func FullIntervals(series []*Interval, phase string) []*Interval {
	var longest int64
	for _, iv := range series {
		if iv.Phase == phase && int64(iv.Length) > longest {
			longest = int64(iv.Length)
		}
	}
	var out []*Interval
	for _, iv := range series {
		if iv.Phase == phase && iv.Length > 0 && float64(iv.Length) >= 0.9*float64(longest) {
			out = append(out, iv)
		}
	}
	return out
}
