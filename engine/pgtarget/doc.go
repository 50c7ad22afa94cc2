// Package pgtarget is a PostgreSQL benchmark target on pgx's native pool
// (jackc/pgx/v5/pgxpool) behind executor.Target: each session holds one
// pooled connection, runs its session setup once and, in the default mode,
// prepares every query once as a named server-side statement, so an
// operation is one Bind/Execute round trip with no database/sql layer in
// between.
//
// Behind PgBouncer in transaction pooling, server-side prepared statements
// do not survive between transactions: the connection setting
// prefer_simple_protocol = true selects the simple query protocol (values
// interpolated client-side by pgx), and a dsn with
// default_query_exec_mode=cache_describe selects unnamed statements with
// client-cached descriptions. TLS follows sslmode (and sslrootcert,
// sslcert, sslkey in a dsn) as libpq does. Classify groups errors by
// SQLSTATE, with connection failures as class 08.
package pgtarget
