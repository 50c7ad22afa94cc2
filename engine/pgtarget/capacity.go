package pgtarget

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/flakebench/fbctl/engine/target"
)

// capacityQuery reads max_connections, the slots reserved for superusers
// (and, from Postgres 16, reserved_connections) and the client backends
// open now. pg_stat_activity shows every backend's type to any role.
const capacityQuery = `SELECT current_setting('max_connections')::int,
  current_setting('superuser_reserved_connections')::int + COALESCE(NULLIF(current_setting('reserved_connections', true), '')::int, 0),
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int`

// Capacity reads how many client connections the server accepts; it is
// a target.CapacityFunc.
func Capacity(ctx context.Context, db *sql.DB) (target.Capacity, error) {
	var c target.Capacity
	if err := db.QueryRowContext(ctx, capacityQuery).Scan(&c.Max, &c.Reserved, &c.InUse); err != nil {
		return c, fmt.Errorf("read the server's connection limit: %w", err)
	}
	return c, nil
}

var _ target.CapacityFunc = Capacity

// SameServer reports whether two Postgres connection strings (URLs or
// key=value) reach the same server: the same first host and port.
func SameServer(a, b string) bool {
	ca, err := pgconn.ParseConfig(a)
	if err != nil {
		return false
	}
	cb, err := pgconn.ParseConfig(b)
	if err != nil {
		return false
	}
	return ca.Host == cb.Host && ca.Port == cb.Port
}
