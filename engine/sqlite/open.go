package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"time"

	"github.com/flakebench/fbctl/internal/retry"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Open returns a pool on the SQLite file at path with DSN's settings.
// Nothing is opened until the pool's first use.
//
// Opening a connection runs the DSN's pragmas, and PRAGMA journal_mode(WAL)
// on a file not yet in WAL mode takes the file's exclusive lock without
// SQLite's busy handler: two pools opening a new file at the same moment
// (the orchestrator's setup and an in-process worker, or two processes)
// saw SQLITE_BUSY at connect despite busy_timeout. A connection of this
// pool retries such an opening, with backoff, for as long as busy_timeout
// would wait; any other error is returned at once.
func Open(path string) (*sql.DB, error) {
	c, err := msqlite.NewConnector(DSN(path))
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(patientConnector{c}), nil
}

// patientConnector retries an opening that fails on a locked file.
type patientConnector struct{ driver.Connector }

func (c patientConnector) Connect(ctx context.Context) (driver.Conn, error) {
	var conn driver.Conn
	err := retry.Do(ctx, retry.Policy{Initial: 2 * time.Millisecond, Max: 100 * time.Millisecond, Factor: 2, Jitter: 0.5, MaxElapsed: busyTimeout},
		func(ctx context.Context) error {
			cn, err := c.Connector.Connect(ctx)
			if err != nil && !isBusy(err) {
				return retry.Permanent(err)
			}
			conn = cn
			return err
		})
	return conn, err
}

// isBusy reports whether err is SQLite's "database is locked"
// (SQLITE_BUSY or one of its extended codes).
func isBusy(err error) bool {
	var se *msqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}
