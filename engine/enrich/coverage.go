package enrich

import (
	"sort"

	"github.com/flakebench/fbctl/engine/store"
)

// Coverage says, for the stored executions of a run, which the server
// recorded one by one (QUERY_HISTORY), which only in its per-interval
// aggregates (AGGREGATE_QUERY_HISTORY) and which not at all.
type Coverage struct {
	Executions   int // stored QUERY_EXECUTIONS rows
	Individually int // with server timings from QUERY_HISTORY
	ByAggregate  int // without, but counted in the aggregates of their query
	NotCovered   int // neither (no query id, or more executions than the aggregates count)
	// AggregateCalls is the calls of the run's aggregates that matched a
	// template query; UnmatchedCalls those that matched none (session
	// setup, other statements tagged with the run).
	AggregateCalls, UnmatchedCalls int64
	PerQuery                       []QueryCoverage // by query name
}

// QueryCoverage is Coverage for one template query.
type QueryCoverage struct {
	Query                                         string
	Executions, Individually, ByAggregate, NotCov int
	AggregateCalls                                int64
}

// Cover computes the coverage of refs (read after the QUERY_HISTORY pass,
// so Enriched marks the executions it matched) by the aggregates rows.
// The aggregates count every execution of a query, including those also
// recorded individually, so an execution is covered by the aggregate only
// while the calls of its query in its phase (from the QUERY_TAG) exceed
// the executions of that query and phase covered individually: a view
// that has not filled yet covers nothing it does not count, and calls of
// another phase (the cache warm-up, say) cover nothing of this one.
func Cover(refs []store.ExecutionRef, rows []AggregateRow) Coverage {
	var c Coverage
	calls := map[string]int64{}
	perQuery := map[string]int64{}
	for _, r := range rows {
		if r.QueryName == "" {
			c.UnmatchedCalls += r.Calls
			continue
		}
		calls[r.QueryName+"\x00"+r.Phase] += r.Calls
		perQuery[r.QueryName] += r.Calls
		c.AggregateCalls += r.Calls
	}
	type qp struct{ q, p string }
	used := map[qp]int64{}
	individually := map[qp]int64{}
	for _, r := range refs {
		if r.Enriched {
			individually[qp{r.QueryName, r.Phase}]++
		}
	}
	per := map[string]*QueryCoverage{}
	get := func(name string) *QueryCoverage {
		q := per[name]
		if q == nil {
			q = &QueryCoverage{Query: name, AggregateCalls: perQuery[name]}
			per[name] = q
		}
		return q
	}
	for _, r := range refs {
		q := get(r.QueryName)
		q.Executions++
		if r.Enriched {
			q.Individually++
		}
	}
	for _, r := range refs {
		q := get(r.QueryName)
		if r.Enriched {
			continue
		}
		k := qp{r.QueryName, r.Phase}
		if r.TargetQueryID != "" && individually[k]+used[k] < calls[r.QueryName+"\x00"+r.Phase] {
			used[k]++
			q.ByAggregate++
		} else {
			q.NotCov++
		}
	}
	for _, q := range per {
		c.Executions += q.Executions
		c.Individually += q.Individually
		c.ByAggregate += q.ByAggregate
		c.NotCovered += q.NotCov
		c.PerQuery = append(c.PerQuery, *q)
	}
	sort.Slice(c.PerQuery, func(i, j int) bool { return c.PerQuery[i].Query < c.PerQuery[j].Query })
	return c
}
