// Package sqlite is fbctl's SQLite backend: it owns the driver
// (modernc.org/sqlite, registered as "sqlite"), the one DSN every SQLite
// pool of fbctl is opened with, and Open, which opens such a pool whose
// connections wait out a file another connection is converting to WAL
// mode: the benchmark target's (engine/target) and the embedded results
// store's (engine/store) alike.
//
// It does not own SQL: the dialect is engine/dialect's, the schema
// sql/schema's.
package sqlite
