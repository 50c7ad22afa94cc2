package pgtarget

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Store is the results store's Postgres backend (store.Backend and
// store.BulkWriter, wired by cmd/fbctl): pools through pgx's database/sql
// driver, QUERY_EXECUTIONS batches through COPY.
type Store struct{}

// OpenDB opens a database/sql pool on a Postgres connection string (a
// URL or libpq's key=value form), parsed once with pgx.ParseConfig.
// Errors never quote the string, which may hold a password.
func (Store) OpenDB(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("not a valid Postgres connection string: %s", parseReason(err))
	}
	return stdlib.OpenDB(*cfg), nil
}

// CopyRows writes n rows with COPY ... FROM STDIN through the pgx
// connection under conn (pgx's database/sql driver exposes it as Conn()).
// A conn of another driver is errors.ErrUnsupported, with nothing written.
func (Store) CopyRows(ctx context.Context, conn *sql.Conn, table string, cols []string, n int, row func(dst []any, i int) []any) error {
	return conn.Raw(func(dc any) error {
		pc, ok := dc.(interface{ Conn() *pgx.Conn })
		if !ok {
			return fmt.Errorf("COPY needs a pgx connection, not %T: %w", dc, errors.ErrUnsupported)
		}
		vals := make([]any, 0, len(cols))
		i := -1
		wrote, err := pc.Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromFunc(func() ([]any, error) {
			if i++; i >= n {
				return nil, nil
			}
			vals = row(vals[:0], i)
			return vals, nil
		}))
		if err == nil && wrote != int64(n) {
			err = fmt.Errorf("COPY wrote %d of %d rows", wrote, n)
		}
		return err
	})
}
