package view

import (
	"fmt"
	"io"

	"github.com/flakebench/fbctl/engine/run"
)

// Recovered writes what run.RecoverJournals did: one line per journal
// replayed, and with all set one per journal left, with the reason.
// Nothing is written when there was nothing to do.
func Recovered(w io.Writer, r run.Recovered, all bool) {
	for _, j := range r.Journals {
		switch {
		case j.Skipped == "" && j.Err == nil:
			fmt.Fprintf(w, "Replayed the spill journal %s of run %s (worker %s): %s.\n",
				j.Path, j.RunID, j.WorkerID, Plural(int(j.Rows), "row", "rows"))
		case all && j.Err != nil && j.Rows > 0:
			fmt.Fprintf(w, "Not recovered completely (%s written, the file is kept): %v.\n", Plural(int(j.Rows), "row", "rows"), j.Err)
		case all && j.Err != nil:
			fmt.Fprintf(w, "Not recovered (the file is kept): %v.\n", j.Err)
		case all:
			fmt.Fprintf(w, "Left %s (run %s): %s.\n", j.Path, j.RunID, j.Skipped)
		}
	}
	if all && len(r.Journals) == 0 {
		fmt.Fprintln(w, "No spill journals to recover.")
	}
	for _, run := range r.Runs {
		fmt.Fprintf(w, "Run %s: %s recovered into QUERY_EXECUTIONS (rows already stored are not stored twice); ROWS_STORED corrected.\n",
			run, Plural(int(r.Added[run]), "query execution", "query executions"))
	}
}

// RecoveredJSON is the JSON form of run.Recovered.
func RecoveredJSON(r run.Recovered) map[string]any {
	type journal struct {
		Path     string `json:"path"`
		RunID    string `json:"run_id"`
		WorkerID string `json:"worker_id"`
		Rows     int64  `json:"rows"`
		Skipped  string `json:"skipped,omitempty"`
		Error    string `json:"error,omitempty"`
	}
	js := []journal{}
	for _, j := range r.Journals {
		e := journal{Path: j.Path, RunID: j.RunID, WorkerID: j.WorkerID, Rows: j.Rows, Skipped: j.Skipped}
		if j.Err != nil {
			e.Error = j.Err.Error()
		}
		js = append(js, e)
	}
	return map[string]any{"format_version": "1", "journals": js, "rows": r.Rows, "runs": r.Runs, "added": r.Added}
}
