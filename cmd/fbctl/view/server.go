package view

import (
	"fmt"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/flakebench/fbctl/engine/store"
)

// ServerReport is what the servers said about a run: the fingerprint of
// each target and what fbctl did to it, the stored aggregates of
// AGGREGATE_QUERY_HISTORY per query, the sampled statements by state and
// the lock waits.
type ServerReport struct {
	Fingerprints []store.RunFingerprint `json:"fingerprints,omitempty"`
	Aggregates   []AggregateSummary     `json:"aggregates,omitempty"`
	Samples      []SampleSummary        `json:"samples,omitempty"`
	LockWaits    []LockWaitSummary      `json:"lock_waits,omitempty"`
}

// AggregateSummary sums a query's QUERY_AGGREGATES rows.
type AggregateSummary struct {
	Query        string `json:"query"`
	Intervals    int    `json:"intervals"`
	Calls        int64  `json:"calls"`
	Errors       int64  `json:"errors"`
	MaxP99US     int64  `json:"max_p99_us"`
	MaxElapsedUS int64  `json:"max_elapsed_us"`
}

// SampleSummary is the largest count seen per target, phase, state and kind.
type SampleSummary struct {
	Target, Phase, State, Kind string
	Samples                    int
	MaxSessions                int64
}

// LockWaitSummary is the lock waits seen per statement.
type LockWaitSummary struct {
	Target, Phase, Query, LockType string
	Observations                   int
	MaxWaitUS                      int64
}

// Empty reports whether there is nothing to print.
func (s *ServerReport) Empty() bool {
	return s == nil || len(s.Fingerprints)+len(s.Aggregates)+len(s.Samples)+len(s.LockWaits) == 0
}

// SummarizeServer builds the report's summaries from the stored rows.
func SummarizeServer(fps []store.RunFingerprint, aggs []store.QueryAggregate, samples []store.ServerSample, waits []store.LockWait) *ServerReport {
	r := &ServerReport{Fingerprints: fps}
	byQuery := map[string]*AggregateSummary{}
	for _, a := range aggs {
		name := a.QueryName
		if name == "" {
			name = "(other statements)"
		}
		s := byQuery[name]
		if s == nil {
			s = &AggregateSummary{Query: name}
			byQuery[name] = s
		}
		s.Intervals++
		s.Calls += a.Calls
		s.Errors += a.Errors
		s.MaxP99US = max(s.MaxP99US, a.ElapsedP99US.Int64)
		s.MaxElapsedUS = max(s.MaxElapsedUS, a.ElapsedMaxUS.Int64)
	}
	for _, s := range byQuery {
		r.Aggregates = append(r.Aggregates, *s)
	}
	sort.Slice(r.Aggregates, func(i, j int) bool { return r.Aggregates[i].Query < r.Aggregates[j].Query })
	type sk struct{ t, p, s, k string }
	r.Samples = groupInOrder(samples,
		func(m store.ServerSample) sk { return sk{m.Target, m.Phase, m.State, m.Kind} },
		func(m store.ServerSample) SampleSummary {
			return SampleSummary{Target: m.Target, Phase: m.Phase, State: m.State, Kind: m.Kind}
		},
		func(s *SampleSummary, m store.ServerSample) {
			s.Samples++
			s.MaxSessions = max(s.MaxSessions, m.Sessions)
		})
	type wk struct{ t, p, q, l string }
	r.LockWaits = groupInOrder(waits,
		func(w store.LockWait) wk { return wk{w.Target, w.Phase, w.WaiterQuery, w.LockType} },
		func(w store.LockWait) LockWaitSummary {
			return LockWaitSummary{Target: w.Target, Phase: w.Phase, Query: w.WaiterQuery, LockType: w.LockType}
		},
		func(s *LockWaitSummary, w store.LockWait) {
			s.Observations++
			s.MaxWaitUS = max(s.MaxWaitUS, w.WaitUS)
		})
	return r
}

func writeServer(b *strings.Builder, s *ServerReport) {
	if s.Empty() {
		return
	}
	for _, fp := range s.Fingerprints {
		fmt.Fprintf(b, "\nServer fingerprint of %s (%s, read %s UTC):\n", fp.Target, fp.Backend, fp.CollectedAt.UTC().Format(time.DateTime))
		keys := make([]string, 0, len(fp.Settings))
		for k := range fp.Settings {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
		for _, k := range keys {
			fmt.Fprintf(tw, "  %s\t%s\n", k, oneLine(fp.Settings[k], 100))
		}
		tw.Flush()
		for _, a := range fp.Actions {
			fmt.Fprintf(b, "  fbctl: %s\n", a)
		}
	}
	if len(s.Aggregates) > 0 {
		b.WriteString("\nServer aggregates (AGGREGATE_QUERY_HISTORY, stored by fbctl enrich):\n")
		tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "  QUERY\tINTERVALS\tCALLS\tERRORS\tMAX P99\tMAX\t")
		for _, a := range s.Aggregates {
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%s\t%s\t\n", a.Query, a.Intervals, a.Calls, a.Errors, Micros(a.MaxP99US), Micros(a.MaxElapsedUS))
		}
		tw.Flush()
	}
	if len(s.Samples) > 0 {
		b.WriteString("\nServer sessions of the run, sampled (most at once):\n")
		tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  TARGET\tPHASE\tSTATE\tKIND / WAIT EVENT\tSAMPLES\tMAX")
		for _, m := range s.Samples {
			kind := m.Kind
			if kind == "" {
				kind = "-"
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%d\n", m.Target, m.Phase, m.State, kind, m.Samples, m.MaxSessions)
		}
		tw.Flush()
	}
	if len(s.LockWaits) > 0 {
		b.WriteString("\nLock waits observed:\n")
		tw := tabwriter.NewWriter(b, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  TARGET\tPHASE\tLOCK\tSEEN\tLONGEST\tSTATEMENT")
		for _, w := range s.LockWaits {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s\t%s\n", w.Target, w.Phase, w.LockType, w.Observations, Micros(w.MaxWaitUS), oneLine(w.Query, 70))
		}
		tw.Flush()
	}
}
