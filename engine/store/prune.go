package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// RunTables are the tables holding rows of one run, keyed by RUN_ID, in the
// order DeleteRuns empties them: the run's own row last, so a delete cut
// short leaves a run that can be listed and deleted again. A table added by a
// migration with a RUN_ID column belongs here (a test compares this list
// with the schema).
var RunTables = []string{
	"QUERY_EXECUTIONS",
	"QUERY_AGGREGATES",
	"SERVER_SAMPLES",
	"LOCK_WAITS",
	"RUN_FINGERPRINTS",
	"WORKER_METRICS_SNAPSHOTS",
	"TEST_RESULTS",
	"WORKER_HEARTBEATS",
	"RUN_CONTROL_EVENTS",
	"RUN_LEASES",
	"RUN_TAGS",
	"RUN_STATUS",
}

// ActiveRunError refuses to delete a run that has not ended: its
// orchestrator and workers may still write to it.
type ActiveRunError struct {
	RunID  string
	Status RunStatus
}

func (e *ActiveRunError) Error() string {
	return fmt.Sprintf("run %s is %s, not ended: cancel it first (fbctl cancel %s)", e.RunID, e.Status, e.RunID)
}

// Deleted says what DeleteRuns removed.
type Deleted struct {
	Runs int
	Rows map[string]int64 // per table
}

// TotalRows is the number of rows removed from every table.
func (d Deleted) TotalRows() int64 {
	var n int64
	for _, r := range d.Rows {
		n += r
	}
	return n
}

// DeleteRuns removes the given ended runs and every row they own. Every ID
// is checked first: an unknown ID (ErrNotFound) or a run that has not ended
// (*ActiveRunError) fails the call before anything is deleted. Each run is
// deleted in its own transaction, so rerunning after an interruption
// finishes the job. The space is reclaimed by Compact, not here.
func (s *Store) DeleteRuns(ctx context.Context, ids []string) (Deleted, error) {
	out := Deleted{Rows: map[string]int64{}}
	for _, id := range ids {
		r, err := s.GetRun(ctx, id)
		if err != nil {
			return out, err
		}
		if !r.Status.Terminal() {
			return out, &ActiveRunError{RunID: id, Status: r.Status}
		}
	}
	for _, id := range ids {
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			for _, t := range RunTables {
				res, err := s.exec(ctx, tx, "DELETE FROM "+t+" WHERE RUN_ID = ?", id)
				if err != nil {
					return fmt.Errorf("delete run %s from %s: %w", id, t, err)
				}
				out.Rows[t] += affected(res)
			}
			return nil
		})
		if err != nil {
			return out, err
		}
		out.Runs++
	}
	return out, nil
}

// PruneOptions select the runs PruneCandidates returns.
type PruneOptions struct {
	OlderThan time.Time // runs created before this instant
	Scenario  string    // "" for every scenario
	Keep      int       // keep this many newest ended runs of each scenario
}

// PruneCandidates lists the ended runs that PruneOptions select, oldest
// first. Runs that have not ended are never candidates.
func (s *Store) PruneCandidates(ctx context.Context, o PruneOptions) ([]Run, error) {
	if o.OlderThan.IsZero() {
		return nil, errors.New("prune: a cutoff instant is required")
	}
	all, err := s.ListRuns(ctx, ListRunsOptions{Scenario: o.Scenario, Limit: -1})
	if err != nil {
		return nil, err
	}
	kept := map[string]int{}
	var out []Run
	for _, r := range all { // newest first
		if !r.Status.Terminal() {
			continue
		}
		if kept[r.ScenarioName] < o.Keep {
			kept[r.ScenarioName]++
			continue
		}
		if r.CreatedAt.Before(o.OlderThan) {
			out = append(out, r)
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// Size is what the store occupies, when the backend says (SQLite: the
// database file's pages, free pages and the write-ahead log).
type Size struct {
	Known     bool
	Bytes     int64 // pages in use and free, without the WAL
	FreeBytes int64 // free pages inside the file (reclaimed by VACUUM)
}

// Size reports the embedded store's size; shared stores report Known false
// (their space is the database administrator's, reclaimed by autovacuum on
// Postgres and by Snowflake's storage).
func (s *Store) Size(ctx context.Context) (Size, error) {
	if s.d.Name() != "sqlite" {
		return Size{}, nil
	}
	var pages, free, pageSize int64
	if err := s.queryRow(ctx, s.db, "PRAGMA page_count").Scan(&pages); err != nil {
		return Size{}, fmt.Errorf("store size: %w", err)
	}
	if err := s.queryRow(ctx, s.db, "PRAGMA freelist_count").Scan(&free); err != nil {
		return Size{}, fmt.Errorf("store size: %w", err)
	}
	if err := s.queryRow(ctx, s.db, "PRAGMA page_size").Scan(&pageSize); err != nil {
		return Size{}, fmt.Errorf("store size: %w", err)
	}
	return Size{Known: true, Bytes: pages * pageSize, FreeBytes: free * pageSize}, nil
}

// Compact gives the space of deleted rows back to the file system: on
// SQLite it checkpoints and truncates the write-ahead log and rewrites the
// file (VACUUM), which needs free disk space of about the file's size and
// must not run beside a run writing to the same store. Other backends
// reclaim space themselves; Compact does nothing there.
func (s *Store) Compact(ctx context.Context) error {
	if s.d.Name() != "sqlite" {
		return nil
	}
	for _, stmt := range []string{"PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"} {
		if _, err := s.db.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("compact the store (%s): %w", strings.Fields(stmt)[0], err)
		}
	}
	return nil
}
