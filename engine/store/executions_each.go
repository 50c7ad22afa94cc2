package store

import (
	"context"
	"fmt"
)

// eachPage is how many QUERY_EXECUTIONS rows EachQueryExecution reads per
// query: memory stays bounded by one page whatever the run's size.
const eachPage = 5000

// EachQueryExecution calls fn for every stored row of the run, ordered by
// EXECUTION_ID, reading them a page at a time (keyset pagination), so an
// export of any size holds one page in memory. fn's error stops it.
func (s *Store) EachQueryExecution(ctx context.Context, runID string, fn func(*QueryExecution) error) error {
	after := ""
	for {
		rows, err := s.query(ctx, s.db, "SELECT "+names(colsExecution)+" FROM QUERY_EXECUTIONS WHERE RUN_ID = ? AND EXECUTION_ID > ?"+
			fmt.Sprintf(" ORDER BY EXECUTION_ID LIMIT %d", eachPage), runID, after)
		if err != nil {
			return fmt.Errorf("query executions of run %s: %w", runID, err)
		}
		n := 0
		for rows.Next() {
			e, err := scanExecution(rows)
			if err != nil {
				rows.Close()
				return fmt.Errorf("query executions of run %s: %w", runID, err)
			}
			n++
			after = e.ExecutionID
			if err := fn(&e); err != nil {
				rows.Close()
				return err
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("query executions of run %s: %w", runID, err)
		}
		if n < eachPage {
			return nil
		}
	}
}
