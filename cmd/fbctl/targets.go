package main

import (
	"context"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/connstr"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/pgtarget"
	"github.com/flakebench/fbctl/engine/run"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/target"
)

// nativeTargets are the driver-native targets the run engine uses instead
// of database/sql: Postgres runs on a pgx pool (prepared statements, or the
// simple protocol for PgBouncer with prefer_simple_protocol).
func nativeTargets() map[string]run.TargetFactory {
	return map[string]run.TargetFactory{
		dsl.ConnPostgres: func(ctx context.Context, c *dsl.Connection, queries []executor.QuerySpec, init []string, maxConns int) (run.NativeTarget, error) {
			return pgtarget.Open(ctx, c, queries, init, int32(max(maxConns, 1)))
		},
		dsl.ConnSnowflake: openSnowflakeTarget,
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
		dsn, err := connstr.DSN(c)
		if err != nil || !pgtarget.SameServer(storeDSN, dsn) {
			return 0
		}
		return 2 + 3*int(workers)
	}
}

// classifiers turn each driver's errors into codes for the results.
func classifiers() map[string]executor.Classifier {
	return map[string]executor.Classifier{dsl.ConnPostgres: pgtarget.Classify, dsl.ConnSnowflake: classifySnowflake}
}

// storeBackends open the shared results stores: Postgres (with COPY for
// query executions).
func storeBackends() map[string]store.Backend {
	return map[string]store.Backend{"postgres": pgtarget.Store{}}
}
