package main

import (
	"context"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/executor"
	"github.com/flakebench/fbctl/engine/pgtarget"
	"github.com/flakebench/fbctl/engine/run"
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

// classifiers turn each driver's errors into codes for the results.
func classifiers() map[string]executor.Classifier {
	return map[string]executor.Classifier{dsl.ConnPostgres: pgtarget.Classify, dsl.ConnSnowflake: classifySnowflake}
}
