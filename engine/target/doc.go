// Package target opens the database a scenario benchmarks and prepares its
// sessions. It owns four small things:
//
//   - Open: a *sql.DB for a dsl.Connection, with each backend's own
//     connection settings (engine/sqlite's DSN, engine/pgtarget's DSN
//     parsed by pgx, engine/snowflake's Connector on the driver's Config);
//     secrets never reach an error (errors carry the connection key only);
//   - SessionInit: the statements each benchmark session runs once (on
//     Snowflake QUERY_TAG, USE_CACHED_RESULT and TIMEZONE = 'UTC'; the
//     template's session parameters on every backend);
//   - Rebind: `?` placeholders to the backend's style ($n on Postgres);
//   - RunSQL: the setup and teardown statements of a scenario.
//
// It imports no database driver itself: the backend packages own them.
package target
