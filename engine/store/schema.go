package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/flakebench/fbctl/engine/dialect"
	"github.com/flakebench/fbctl/sql/schema"
)

// SchemaStatus reports the schema version in the store (0 when there is
// none), the latest version this fbctl knows, and the migrations not applied.
func (s *Store) SchemaStatus(ctx context.Context) (current, latest int, pending []schema.Migration, err error) {
	ms, err := schema.Migrations(s.d.Name())
	if err != nil {
		return 0, 0, nil, err
	}
	if len(ms) > 0 {
		latest = ms[len(ms)-1].Version
	}
	current, err = s.currentVersion(ctx)
	if err != nil {
		return 0, latest, nil, err
	}
	for _, m := range ms {
		if m.Version > current {
			pending = append(pending, m)
		}
	}
	return current, latest, pending, nil
}

func (s *Store) currentVersion(ctx context.Context) (int, error) {
	// Probe the table rather than the catalog: INFORMATION_SCHEMA differs
	// between backends and test doubles, "table does not exist" does not.
	var v sql.NullInt64
	err := s.db.QueryRowContext(ctx, "SELECT MAX(VERSION) FROM SCHEMA_VERSION").Scan(&v)
	switch {
	case err != nil && s.d.IsUndefinedTable(err):
		return 0, nil
	case err != nil:
		return 0, fmt.Errorf("results store %s: read schema version: %w", s.dsn, err)
	}
	return int(v.Int64), nil
}

// CheckSchema returns a *SchemaError when the schema is missing or older than
// this fbctl needs. It never changes the store.
func (s *Store) CheckSchema(ctx context.Context) error {
	current, latest, _, err := s.SchemaStatus(ctx)
	if err != nil {
		return err
	}
	if current < latest {
		return &SchemaError{DSN: s.dsn, Current: current, Latest: latest}
	}
	return nil
}

// ApplySchema applies the pending migrations in order and records each in
// SCHEMA_VERSION. It is idempotent: a second call applies nothing.
func (s *Store) ApplySchema(ctx context.Context) (applied []int, err error) {
	_, _, pending, err := s.SchemaStatus(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range pending {
		ok, err := s.applyMigration(ctx, m)
		if err != nil {
			return applied, fmt.Errorf("results store %s: apply %s: %w", s.dsn, m.Description(), err)
		}
		if ok {
			s.log.Info("applied schema migration", "version", m.Version, "name", m.Name)
			applied = append(applied, m.Version)
		}
	}
	return applied, nil
}

// applyMigration runs m and records it; it reports false when another
// process recorded the same version first (the DDL is rerunnable).
func (s *Store) applyMigration(ctx context.Context, m schema.Migration) (bool, error) {
	recorded := false
	record := func(q querier) error {
		res, err := s.exec(ctx, q, s.d.InsertIgnore("SCHEMA_VERSION", colsSchemaVersion, []string{"VERSION"}),
			int64(m.Version), s.d.Time(s.nowUTC()), m.Description())
		if err == nil {
			recorded = affected(res) == 1
		}
		return err
	}
	if !s.d.TransactionalDDL() {
		for _, st := range m.Statements() {
			if _, err := s.db.ExecContext(ctx, st); err != nil {
				return false, fmt.Errorf("%.80s: %w", st, err)
			}
		}
		err := record(s.db)
		return recorded, err
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if s.d.Name() == "postgres" {
			// Two concurrent `fbctl schema apply` runs would race on the
			// catalog; serialise them for the length of the transaction.
			if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(7046734653453)"); err != nil {
				return err
			}
		}
		// After the first migration (which creates SCHEMA_VERSION and is
		// rerunnable as a whole), record first: the insert takes the write
		// lock (SQLite serialises writers), and a version another process
		// recorded meanwhile is not applied twice (SQLite has no ADD
		// COLUMN IF NOT EXISTS).
		if m.Version > 1 {
			if err := record(tx); err != nil || !recorded {
				return err
			}
		}
		for _, st := range m.Statements() {
			if _, err := tx.ExecContext(ctx, st); err != nil {
				return fmt.Errorf("%.80s: %w", st, err)
			}
		}
		if m.Version > 1 {
			return nil
		}
		return record(tx)
	})
	return recorded, err
}

var colsSchemaVersion = dialect.Cols("VERSION", "APPLIED_AT", "DESCRIPTION")
