// Package pgtest starts a throwaway PostgreSQL server from the machine's own
// binaries (initdb, pg_ctl) for tests: a temp directory, a random loopback
// port, the unix socket inside the temp dir, fsync off. One server is shared
// by all tests of a package (Shared + Main) and stopped when they finish.
//
// initdb and pg_ctl refuse to run as root; when the tests run as root the
// server runs as the "postgres" user. With CI=true a missing binary or a
// failed start fails the test instead of skipping it.
package pgtest
