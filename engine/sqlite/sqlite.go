package sqlite

import (
	"fmt"
	"net/url"
	"time"

	_ "modernc.org/sqlite" // registers the database/sql driver "sqlite"
)

// DriverName is the database/sql driver name this package registers.
const DriverName = "sqlite"

// busyTimeout is how long a session waits on a locked database (the DSN's
// busy_timeout), and how long Open retries a connection that finds the
// file locked.
const busyTimeout = 30 * time.Second

// DSN is the driver DSN for the SQLite file at path. The settings are the
// union of what the two users of a file need, so a file a benchmark writes
// and the embedded store behave the same:
//
//   - busy_timeout(30000): a session waits up to 30 s on a locked database
//     instead of failing at once; a benchmark with several writing sessions
//     needs it, and the store's writers (heartbeats, streamers, the
//     orchestrator) share the file too. The store used 15 s and the target
//     30 s; the longer one keeps a loaded target from failing operations
//     that only waited;
//   - journal_mode(WAL): readers do not block the writer;
//   - synchronous(NORMAL): with WAL, a commit is durable against a crash of
//     the process (not of the machine) and costs no fsync per commit;
//     the store needed it for its write rate, and a target keeps the same
//     cost model as the store beside it (a template's session block can set
//     PRAGMA synchronous = FULL);
//   - foreign_keys(1): declared foreign keys are enforced, as on the other
//     backends (the store's schema relies on it);
//   - _txlock=immediate: a transaction takes the write lock at BEGIN, so
//     two writers queue on busy_timeout instead of one failing with
//     SQLITE_BUSY at its first write.
func DSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	return "file:" + path + "?" + q.Encode()
}

// ReadOnlyDSN is the driver DSN that reads the file at path without
// writing to it (preflight's checks), waiting up to 5 s on a lock.
func ReadOnlyDSN(path string) string {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Add("_pragma", "busy_timeout(5000)")
	return "file:" + path + "?" + q.Encode()
}
