package main

// The backends fbctl speaks, listed once: each backend package owns its
// database driver (engine/sqlite, engine/pgtarget, engine/snowflake); here
// they are wired into the run engine, the capacity check and the results
// store.

import (
	"context"
	"fmt"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/pgtarget"
	"github.com/flakebench/fbctl/engine/run"
	"github.com/flakebench/fbctl/engine/snowflake"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/target"
)

var (
	_ run.NativeTarget = (*pgtarget.Target)(nil)
	_ run.NativeTarget = (*snowflake.Target)(nil)
)

// nativeTargets are the driver-native targets the run engine uses instead
// of database/sql: Postgres runs on a pgx pool (prepared statements, or the
// simple protocol for PgBouncer with prefer_simple_protocol), Snowflake
// with the driver's query-id capture.
func nativeTargets() map[string]run.TargetFactory {
	return map[string]run.TargetFactory{
		dsl.ConnPostgres: func(ctx context.Context, c *dsl.Connection, queries []executor.QuerySpec, init []string, maxConns int) (run.NativeTarget, error) {
			return pgtarget.Open(ctx, c, queries, init, int32(max(maxConns, 1)))
		},
		dsl.ConnSnowflake: func(ctx context.Context, c *dsl.Connection, queries []executor.QuerySpec, init []string, maxConns int) (run.NativeTarget, error) {
			return snowflake.OpenTarget(ctx, c, queries, init, maxConns)
		},
	}
}

// capacityLimits read each target type's connection limit, for the check
// apply makes before it writes anything.
func capacityLimits() map[string]target.CapacityFunc {
	return map[string]target.CapacityFunc{dsl.ConnPostgres: pgtarget.Capacity}
}

// storeSessions estimates the connections the results store holds on a
// Postgres target's server when the store lives on the same server: the
// orchestrator's, and a heartbeat, a stream and a snapshot writer per
// worker.
func storeSessions(storeDSN string, workers int64) func(*dsl.Connection) int {
	return func(c *dsl.Connection) int {
		if c.Type != dsl.ConnPostgres {
			return 0
		}
		dsn, err := pgtarget.DSN(c)
		if err != nil || !pgtarget.SameServer(storeDSN, dsn) {
			return 0
		}
		return 2 + 3*int(workers)
	}
}

// classifiers turn each driver's errors into codes for the results.
func classifiers() map[string]executor.Classifier {
	return map[string]executor.Classifier{dsl.ConnPostgres: pgtarget.Classify, dsl.ConnSnowflake: snowflake.Classify}
}

// storeBackends open the shared results stores: Postgres (with COPY for
// query executions) and Snowflake.
func storeBackends() map[string]store.Backend {
	return map[string]store.Backend{"postgres": pgtarget.Store{}, "snowflake": snowflake.Store{}}
}

// resultsStoreDSN is the store DSN of a results block's connection, in
// the documented -results forms (sqlite:PATH, a Postgres connection
// string, snowflake:// and the driver's DSN).
func resultsStoreDSN(c *dsl.Connection) (string, error) {
	switch c.Type {
	case dsl.ConnSQLite:
		if p := c.Get("path"); p != "" {
			return "sqlite:" + p, nil
		}
		return "", fmt.Errorf("connection %s: path is required", c.Key())
	case dsl.ConnPostgres:
		return pgtarget.DSN(c)
	case dsl.ConnSnowflake:
		dsn, err := snowflake.DSN(c)
		return "snowflake://" + dsn, err
	}
	return "", fmt.Errorf("connection %s: unknown connection type %q", c.Key(), c.Type)
}
