package store

import (
	"context"
	"fmt"
	"strings"
)

// idsPerLookup bounds the EXECUTION_IDs one lookup statement binds.
const idsPerLookup = 500

// InsertQueryExecutionsOnce is InsertQueryExecutions for rows that may be
// stored already (a spill journal replayed after a crash, a batch written
// again): a row whose EXECUTION_ID is stored is skipped. SQLite and
// Postgres skip on the primary key; Snowflake does not enforce keys, so
// there the batch's ids are looked up first and only the missing rows
// are inserted. It costs a lookup per batch on Snowflake, which is why
// the streamer's normal writes do not use it.
func (s *Store) InsertQueryExecutionsOnce(ctx context.Context, batch []QueryExecution) error {
	if s.d.Name() != "snowflake" || len(batch) == 0 {
		return s.InsertQueryExecutions(ctx, batch)
	}
	stored, err := s.storedExecutionIDs(ctx, batch)
	if err != nil {
		return err
	}
	if len(stored) == 0 {
		return s.InsertQueryExecutions(ctx, batch)
	}
	missing := make([]QueryExecution, 0, len(batch)-len(stored))
	for i := range batch {
		if !stored[batch[i].ExecutionID] {
			missing = append(missing, batch[i])
		}
	}
	return s.InsertQueryExecutions(ctx, missing)
}

// storedExecutionIDs returns which of the batch's EXECUTION_IDs are in
// QUERY_EXECUTIONS.
func (s *Store) storedExecutionIDs(ctx context.Context, batch []QueryExecution) (map[string]bool, error) {
	stored := map[string]bool{}
	args := make([]any, 0, idsPerLookup)
	for start := 0; start < len(batch); start += idsPerLookup {
		end := min(start+idsPerLookup, len(batch))
		args = args[:0]
		for i := start; i < end; i++ {
			args = append(args, batch[i].ExecutionID)
		}
		q := "SELECT EXECUTION_ID FROM QUERY_EXECUTIONS WHERE EXECUTION_ID IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", ") + ")"
		rows, err := s.query(ctx, s.db, q, args...)
		if err != nil {
			return nil, fmt.Errorf("look up stored query executions: %w", err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("look up stored query executions: %w", err)
			}
			stored[id] = true
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("look up stored query executions: %w", err)
		}
	}
	return stored, nil
}
