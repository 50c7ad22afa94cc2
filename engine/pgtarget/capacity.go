package pgtarget

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// capacityQuery reads max_connections, the slots reserved for superusers
// (and, from Postgres 16, reserved_connections) and the client backends
// open now. pg_stat_activity shows every backend's type to any role.
const capacityQuery = `SELECT current_setting('max_connections')::int,
  current_setting('superuser_reserved_connections')::int + COALESCE(NULLIF(current_setting('reserved_connections', true), '')::int, 0),
  (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int`

// ServerCapacity is what a Postgres server says about its client
// connections (engine/target.Capacity is this type: the connection limit
// apply checks is Postgres's).
type ServerCapacity struct {
	Max      int // the server's connection limit (max_connections)
	Reserved int // slots kept for superusers and reserved roles
	InUse    int // client connections open now
}

// Available is how many more client connections the server accepts.
func (c ServerCapacity) Available() int { return max(c.Max-c.Reserved-c.InUse, 0) }

func (c ServerCapacity) String() string {
	return fmt.Sprintf("max_connections %d, %d reserved, %d in use", c.Max, c.Reserved, c.InUse)
}

// Capacity reads how many client connections the server accepts; it is
// a target.CapacityFunc.
func Capacity(ctx context.Context, db *sql.DB) (ServerCapacity, error) {
	var c ServerCapacity
	if err := db.QueryRowContext(ctx, capacityQuery).Scan(&c.Max, &c.Reserved, &c.InUse); err != nil {
		return c, fmt.Errorf("read the server's connection limit: %w", err)
	}
	return c, nil
}

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
