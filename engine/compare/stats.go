package compare

import (
	"math"
	"math/rand/v2"
	"slices"
)

// MinSamples is the fewest intervals per side a test is run on: with three
// per side the smallest two-sided p a Mann–Whitney U test can give is 0.1,
// so at α = 0.05 nothing could ever be significant (benchstat's uTestMinP).
const MinSamples = 4

// Alpha is the significance level of the verdicts.
const Alpha = 0.05

// bootstrapRounds is how many resamples the confidence interval uses.
const bootstrapRounds = 2000

// exactMax is the largest side for which MannWhitneyP counts the exact
// distribution of U (without ties); above it, or with ties, it uses the
// normal approximation.
const exactMax = 20

// MannWhitneyP is the two-sided p-value of the Mann–Whitney U test of a
// against b: exact when there are no ties and both sides have at most
// exactMax values, otherwise by the normal approximation with tie and
// continuity corrections. 1 when either side is empty or every value is
// equal.
func MannWhitneyP(a, b []float64) float64 {
	n1, n2 := float64(len(a)), float64(len(b))
	if n1 == 0 || n2 == 0 {
		return 1
	}
	type obs struct {
		v    float64
		side int
	}
	all := make([]obs, 0, len(a)+len(b))
	for _, v := range a {
		all = append(all, obs{v, 0})
	}
	for _, v := range b {
		all = append(all, obs{v, 1})
	}
	slices.SortFunc(all, func(x, y obs) int { return cmpFloat(x.v, y.v) })
	var rankA, ties float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		rank := float64(i+j+1) / 2 // mean of ranks i+1 … j
		for k := i; k < j; k++ {
			if all[k].side == 0 {
				rankA += rank
			}
		}
		t := float64(j - i)
		ties += t*t*t - t
		i = j
	}
	u := rankA - n1*(n1+1)/2
	if ties == 0 && len(a) <= exactMax && len(b) <= exactMax {
		return exactP(len(a), len(b), u)
	}
	n := n1 + n2
	mean := n1 * n2 / 2
	variance := n1 * n2 / 12 * ((n + 1) - ties/(n*(n-1)))
	if variance <= 0 {
		return 1
	}
	z := (math.Abs(u-mean) - 0.5) / math.Sqrt(variance)
	if z < 0 {
		z = 0
	}
	return math.Min(1, math.Erfc(z/math.Sqrt2))
}

func cmpFloat(x, y float64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// Median returns the median of xs (0 when empty).
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := len(s) / 2
	if len(s)%2 == 1 {
		return s[m]
	}
	return (s[m-1] + s[m]) / 2
}

// RelChange is (cand - base) / base; +Inf when only cand is above zero, 0
// when both are zero.
func RelChange(base, cand float64) float64 {
	switch {
	case base == 0 && cand == 0:
		return 0
	case base == 0:
		return math.Inf(1)
	}
	return (cand - base) / base
}

// BootstrapCI is the 95 % percentile bootstrap confidence interval of the
// relative change of the medians, resampling each side's intervals with
// replacement. The seed makes it repeatable: the same runs give the same
// interval. ok is false when a resample's baseline median is zero (a
// relative change is undefined there).
func BootstrapCI(base, cand []float64, seed uint64) (lo, hi float64, ok bool) {
	if len(base) == 0 || len(cand) == 0 {
		return 0, 0, false
	}
	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	changes := make([]float64, 0, bootstrapRounds)
	rb, rc := make([]float64, len(base)), make([]float64, len(cand))
	for range bootstrapRounds {
		for i := range rb {
			rb[i] = base[rng.IntN(len(base))]
		}
		for i := range rc {
			rc[i] = cand[rng.IntN(len(cand))]
		}
		mb, mc := Median(rb), Median(rc)
		if mb == 0 {
			if mc == 0 {
				changes = append(changes, 0)
				continue
			}
			return 0, 0, false
		}
		changes = append(changes, (mc-mb)/mb)
	}
	slices.Sort(changes)
	at := func(q float64) float64 { return changes[int(math.Round(q*float64(len(changes)-1)))] }
	return at(0.025), at(0.975), true
}

// exactP is the two-sided exact p of U = u for sides of m and n values
// without ties: twice the smaller tail of U's distribution, counted by
// the recurrence f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u).
func exactP(m, n int, u float64) float64 {
	maxU := m * n
	// counts[j][k]: arrangements of i values of one side and j of the
	// other with U = k, built up over i.
	prev := make([][]float64, n+1)
	for j := range prev {
		prev[j] = make([]float64, maxU+1)
		prev[j][0] = 1 // i = 0: U is 0
	}
	for i := 1; i <= m; i++ {
		cur := make([][]float64, n+1)
		for j := 0; j <= n; j++ {
			cur[j] = make([]float64, maxU+1)
			for k := 0; k <= i*j; k++ {
				var v float64
				if k-j >= 0 {
					v += prev[j][k-j] // the largest value is on the first side: it beats all j
				}
				if j > 0 {
					v += cur[j-1][k] // the largest value is on the other side
				}
				cur[j][k] = v
			}
		}
		prev = cur
	}
	dist := prev[n]
	var total, lower, upper float64
	for k, c := range dist {
		total += c
		if float64(k) <= u {
			lower += c
		}
		if float64(k) >= u {
			upper += c
		}
	}
	return math.Min(1, 2*math.Min(lower, upper)/total)
}
