// Package noopdb is an in-process database/sql driver whose statements do
// nothing: they return at once (or after a configured latency), can stall
// once for a given duration at a given operation count or time, and can
// fail on a schedule. It exists for tests and benchmarks of the load
// engine, so that what is measured is fbctl and not a database.
//
// It registers nothing globally: Open builds a *sql.DB from a
// driver.Connector.
package noopdb
