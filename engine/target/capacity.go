package target

import (
	"context"
	"database/sql"
	"fmt"
)

// Capacity is what a target server says about its client connections.
type Capacity struct {
	Max      int // the server's connection limit (Postgres max_connections)
	Reserved int // slots kept for superusers and reserved roles
	InUse    int // client connections open now
}

// Available is how many more client connections the server accepts.
func (c Capacity) Available() int { return max(c.Max-c.Reserved-c.InUse, 0) }

func (c Capacity) String() string {
	return fmt.Sprintf("max_connections %d, %d reserved, %d in use", c.Max, c.Reserved, c.InUse)
}

// CapacityFunc reads a target's Capacity through an open pool.
type CapacityFunc func(ctx context.Context, db *sql.DB) (Capacity, error)
