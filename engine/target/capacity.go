package target

import (
	"context"
	"database/sql"

	"github.com/flakebench/fbctl/engine/pgtarget"
)

// Capacity is what a target server says about its client connections:
// the server's limit, the reserved slots and the connections in use. Only
// Postgres has such a limit to check, so the type is its backend's.
type Capacity = pgtarget.ServerCapacity

// CapacityFunc reads a target's Capacity through an open pool
// (pgtarget.Capacity).
type CapacityFunc func(ctx context.Context, db *sql.DB) (Capacity, error)
