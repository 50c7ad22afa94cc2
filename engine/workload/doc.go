// Package workload owns what each connection sends: the deterministic
// smooth weighted round-robin query mix with a per-connection offset, and
// the argument generators of a template's queries (literal, pool, sequence,
// uniform, zipf, choice, random_string, now), all deterministic from the
// scenario seed, the worker group id and the connection index.
//
// It does not open connections, time operations or record results; the
// executors in engine/executor do. Sampling value pools from the target is
// the one place it touches a database (SamplePool), through database/sql.
package workload
