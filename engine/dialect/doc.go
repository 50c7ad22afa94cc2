// Package dialect owns the SQL differences between the backends fbctl talks
// to — SQLite, Postgres and Snowflake: placeholder style, identifier quoting
// and case folding, insert/upsert statement shapes, and how JSON, timestamps,
// booleans and floating-point values are bound and read back.
//
// It builds SQL text and parameter values only; it never opens connections
// and imports no database driver. engine/store uses it for the results store
// and executors may use it for target SQL.
package dialect
