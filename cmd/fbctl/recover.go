package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/engine/run"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/internal/retry"
	"github.com/urfave/cli/v2"
)

// defaultJournalDir is where apply and worker keep the spill journal, and
// where every command that opens the results store looks for journals
// left behind.
const defaultJournalDir = ".flakebench/journal"

func recoverCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "recover",
		Usage: "write the query executions left in spill journals (by a full disk, a killed worker, a hard stop) to the results store",
		Description: "Every command that opens the results store replays the journals of ended runs by itself; " +
			"recover also replays those of runs that did not end (a lost orchestrator) and says what it left and why. " +
			"Replaying twice stores nothing twice (SQLite, Postgres).",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "journal-dir", Value: defaultJournalDir, Usage: "`DIR` of the spill journals"},
			&cli.BoolFlag{Name: "json", Usage: "print what was recovered as JSON"},
			resultsFlag(),
		},
		Action: func(c *cli.Context) error {
			st, err := g.openStoreNoReplay(c.Context, parseStoreArgs(c), parseVarArgs(c), nil, true)
			if err != nil {
				return err
			}
			defer st.Close()
			rec, err := run.RecoverJournals(c.Context, st, g.journalDir(c.String("journal-dir")), run.RecoverOptions{AnyState: true})
			if c.Bool("json") {
				if jerr := view.JSON(g.stdout, view.RecoveredJSON(rec)); jerr != nil {
					return jerr
				}
			} else {
				view.Recovered(g.stdout, rec, true)
			}
			if err != nil {
				return fmt.Errorf("not every journal was recovered: %w", err)
			}
			return nil
		},
	}
}

// journalDir is a -journal-dir value ("" for the default), relative to
// the working directory.
func (g *globals) journalDir(dir string) string {
	if dir == "" {
		dir = defaultJournalDir
	}
	if !filepath.IsAbs(dir) && g.workdir != "" {
		dir = filepath.Join(g.workdir, dir)
	}
	return dir
}

// replayJournals writes the journals that ended runs left in the journal
// directory to st, and says so on stderr. A failure is a warning: the
// journals stay for the next command or `fbctl recover`.
func (g *globals) replayJournals(ctx context.Context, dir string, st *store.Store) {
	rec, err := run.RecoverJournals(ctx, st, dir, run.RecoverOptions{})
	view.Recovered(g.stderr, rec, false)
	if err != nil {
		fmt.Fprintf(g.stderr, "Warning: spill journals not all recovered (they are kept; `fbctl recover` tries again): %v\n", err)
	}
}

// releaseRetrying runs a lock release, retrying for half a minute: on a
// full disk it first frees the embedded store's reserve.
// A lease already gone is released; a lease lost is not retried.
func releaseRetrying(ctx context.Context, st *store.Store, release func(context.Context) error) error {
	p := retry.Policy{Initial: 100 * time.Millisecond, Max: 2 * time.Second, Factor: 2, MaxElapsed: 30 * time.Second}
	return retry.Do(ctx, p, func(ctx context.Context) error {
		for {
			err := release(ctx)
			switch {
			case err == nil || errors.Is(err, store.ErrNotFound):
				return nil
			case errors.Is(err, store.ErrLeaseLost):
				return retry.Permanent(err)
			case store.IsDiskFull(err) && st.ReleaseReserve():
				continue // space was freed: again at once
			}
			return err
		}
	})
}
