package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/flakebench/fbctl/dsl"
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

// resultsDSNFrom chooses the results store, first to last: the -results
// flag, FLAKEBENCH_RESULTS, the files' results block, the embedded default.
// It also says where the choice came from, for messages, naming where the
// files came from ("" for the command's own paths).
func resultsDSNFrom(s storeArgs, cfg *dsl.Config, where string) (dsn, from string, err error) {
	if s.Set {
		return s.DSN, "-results / FLAKEBENCH_RESULTS", nil
	}
	if cfg != nil && cfg.Results != nil {
		conn := cfg.Connections[cfg.Results.Connection]
		if conn == nil {
			return "", "", fmt.Errorf("the results block names connection %q, which is not declared", cfg.Results.Connection)
		}
		dsn, err := resultsStoreDSN(conn)
		if err != nil {
			return "", "", err
		}
		return dsn, "results block (connection." + conn.Key() + ")" + where, nil
	}
	return "", "embedded default", nil
}

// openStore opens the results store and checks its schema. A shared store
// (Postgres, Snowflake) with a missing or old schema is an error that names
// the command to run; the embedded SQLite store creates itself.
//
// A command given no files (runs, show, templates, cancel, ...) reads the
// results block of the scenario files in the current directory, when there
// are any, so that it finds the store apply wrote to.
//
// With the schema checked, the spill journals that ended runs left behind
// are replayed into the store first (replayJournals).
func (g *globals) openStore(ctx context.Context, c *cli.Context, cfg *dsl.Config, checkSchema bool) (*store.Store, error) {
	return g.openStoreFor(ctx, parseStoreArgs(c), parseVarArgs(c), cfg, checkSchema)
}

// loadWithStore loads the scenario files in paths and opens the store
// they name (or the flags, or the default), schema checked: the opening
// of the commands that run against one run (worker, standby, enrich).
// The caller closes the store.
func (g *globals) loadWithStore(ctx context.Context, vars varArgs, requireSecrets bool, paths []string, s storeArgs) (*dsl.Config, *store.Store, error) {
	cfg, err := g.load(vars, requireSecrets, paths)
	if err != nil {
		return nil, nil, err
	}
	st, err := g.openStoreFor(ctx, s, vars, cfg, true)
	if err != nil {
		return nil, nil, err
	}
	return cfg, st, nil
}

// openStoreFor is openStore with a command's typed arguments: vars are
// those the current directory's files are read with when cfg is nil. With
// the schema checked, the spill journals that ended runs left in the
// default journal directory are replayed into the store first.
func (g *globals) openStoreFor(ctx context.Context, s storeArgs, vars varArgs, cfg *dsl.Config, checkSchema bool) (*store.Store, error) {
	st, err := g.openStoreNoReplay(ctx, s, vars, cfg, checkSchema)
	if err == nil && checkSchema {
		g.replayJournals(ctx, g.journalDir(""), st)
	}
	return st, err
}

// openStoreNoReplay is openStoreFor without replaying journals.
func (g *globals) openStoreNoReplay(ctx context.Context, s storeArgs, vars varArgs, cfg *dsl.Config, checkSchema bool) (*store.Store, error) {
	where := ""
	if cfg == nil && !s.Set {
		var err error
		if cfg, err = g.cwdConfig(vars); err != nil {
			return nil, err
		}
		where = " of the files in the current directory"
	}
	dsn, from, err := resultsDSNFrom(s, cfg, where)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, dsn, store.Options{Logger: g.logger, Backends: storeBackends()})
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

// cwdConfig loads the scenario files of the current directory when one of
// them declares a results block, and returns nil otherwise: without one,
// apply from this directory writes to the embedded default too. Problems in
// files that do declare one are rendered and are exit code 1: a results
// block that cannot be read must not silently mean the embedded store.
func (g *globals) cwdConfig(vars varArgs) (*dsl.Config, error) {
	found, _ := filepath.Glob("*" + dsl.FileSuffix)
	for _, path := range found {
		if declaresResults(path) {
			return g.load(vars, false, []string{"."})
		}
	}
	return nil, nil
}

// declaresResults reports whether the file at path has a top-level results
// block, read syntactically only (a file that does not parse says no; the
// commands that load it report why).
func declaresResults(path string) bool {
	src, err := os.ReadFile(path)
	if err != nil {
		return false
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		return false
	}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type == "results" {
			return true
		}
	}
	return false
}
