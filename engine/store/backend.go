package store

import (
	"context"
	"database/sql"
)

// Backend is what the store needs of a shared store's database besides
// database/sql. The backend packages implement it (engine/pgtarget.Store,
// engine/snowflake.Store); cmd/fbctl lists them in Options.Backends by
// dialect name ("postgres", "snowflake"). The embedded SQLite store needs
// none: engine/sqlite is part of the store.
type Backend interface {
	// OpenDB opens a pool on the driver DSN of a store DSN: the DSN as
	// given for Postgres, what follows "snowflake://" for Snowflake.
	// Nothing is sent until the first use. Errors never quote the DSN.
	OpenDB(dsn string) (*sql.DB, error)
}

// BulkWriter is a Backend with a bulk-load protocol (COPY on Postgres);
// InsertQueryExecutions writes through it when the store's Backend is one.
type BulkWriter interface {
	// CopyRows writes n rows into table's columns cols on conn, one
	// statement, all or nothing; row appends the values of row i to dst.
	// It returns an error wrapping errors.ErrUnsupported, having written
	// nothing, when conn is not the backend's own driver connection; a
	// row whose key is already stored fails the whole COPY with the
	// driver's error, which has a SQLState() of "23505".
	CopyRows(ctx context.Context, conn *sql.Conn, table string, cols []string, n int, row func(dst []any, i int) []any) error
}
