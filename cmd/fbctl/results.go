package main

import (
	"context"
	"fmt"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/connstr"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/urfave/cli/v2"
)

// resultsFlag selects the results store (the control plane).
func resultsFlag() cli.Flag {
	return &cli.StringFlag{
		Name:    "results",
		Usage:   "results store `DSN`: sqlite:PATH, postgres://… or host=… dbname=… (Postgres), snowflake://… (default: the results block, else " + store.DefaultSQLitePath + ")",
		EnvVars: []string{"FLAKEBENCH_RESULTS"},
	}
}

// resultsDSN chooses the results store, first to last: the -results flag,
// FLAKEBENCH_RESULTS, the files' results block, the embedded default. It
// also says where the choice came from, for messages.
func resultsDSN(c *cli.Context, cfg *dsl.Config) (dsn, from string, err error) {
	if c.IsSet("results") {
		return c.String("results"), "-results / FLAKEBENCH_RESULTS", nil
	}
	if cfg != nil && cfg.Results != nil {
		conn := cfg.Connections[cfg.Results.Connection]
		if conn == nil {
			return "", "", fmt.Errorf("the results block names connection %q, which is not declared", cfg.Results.Connection)
		}
		dsn, err := connstr.DSN(conn)
		if err != nil {
			return "", "", err
		}
		return dsn, "results block (connection." + conn.Key() + ")", nil
	}
	return "", "embedded default", nil
}

// openStore opens the results store and checks its schema. A shared store
// (Postgres, Snowflake) with a missing or old schema is an error that names
// the command to run; the embedded SQLite store creates itself.
func (g *globals) openStore(ctx context.Context, c *cli.Context, cfg *dsl.Config, checkSchema bool) (*store.Store, error) {
	dsn, from, err := resultsDSN(c, cfg)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, dsn, store.Options{Logger: g.logger})
	if err != nil {
		return nil, fmt.Errorf("cannot open the results store (chosen by the %s): %w", from, err)
	}
	g.logger.Debug("results store opened", "store", st.String(), "from", from)
	if checkSchema {
		if err := st.CheckSchema(ctx); err != nil {
			st.Close()
			return nil, err
		}
	}
	return st, nil
}
