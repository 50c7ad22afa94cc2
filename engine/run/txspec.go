package run

import (
	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/executor"
)

// txSpec returns the executor's description of transaction query q:
// statements (SQL rebound with rebind), how many args each takes (the
// layout workload.Conn produces), the into slots, isolation and tries.
func txSpec(q *dsl.Query, rebind func(string) string) *executor.TxSpec {
	spec := &executor.TxSpec{Isolation: q.Isolation, MaxTries: int(max(q.MaxTries, 1))}
	for _, st := range q.Statements {
		into := -1
		if st.Into != "" {
			into = spec.Slots
			spec.Slots++
		}
		spec.Statements = append(spec.Statements, executor.StmtSpec{SQL: rebind(st.SQL), Write: st.IsWrite(), Args: len(st.Args), Into: into})
	}
	return spec
}
