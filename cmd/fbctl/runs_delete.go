package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/flakebench/fbctl/cmd/fbctl/view"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/urfave/cli/v2"
)

// The subcommands of `fbctl runs` that reclaim space: delete and prune.
func runsSubcommands(g *globals) []*cli.Command {
	return []*cli.Command{runsDeleteCommand(g), runsPruneCommand(g)}
}

func runsDeleteCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:      "delete",
		Usage:     "delete ended runs and every row they own, then reclaim the space",
		ArgsUsage: "RUN_ID [RUN_ID...]",
		Description: `Deletes the runs named (their status, events, heartbeats, results, query
executions and snapshots) and, on the embedded SQLite store, compacts the file.
A run that has not ended is refused (cancel it first); nothing is deleted when
any ID is unknown or active. Safe to rerun after an interruption.

Example:
  fbctl runs delete 9846e18b-3b45-4bbd-b6f6-f18737ac5bcc`,
		Flags: []cli.Flag{resultsFlag()},
		Action: func(c *cli.Context) error {
			return g.deleteRuns(c, c.Args().Slice(), "")
		},
	}
}

func runsPruneCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "prune",
		Usage: "delete ended runs older than a duration, then reclaim the space",
		Description: `Deletes every ended run created more than -older-than ago (optionally of one
scenario, keeping the newest -keep of each scenario), like fbctl runs delete.
-dry-run lists what would go and deletes nothing.

Example:
  fbctl runs prune -older-than 30d -dry-run
  fbctl runs prune -older-than 12h -scenario quickstart -keep 3`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "older-than", Usage: "delete runs created more than `AGE` ago (e.g. 30d, 12h, 90m)", Required: true},
			&cli.StringFlag{Name: "scenario", Usage: "only runs of scenario `NAME`"},
			&cli.IntFlag{Name: "keep", Usage: "keep the newest `N` ended runs of each scenario"},
			&cli.BoolFlag{Name: "dry-run", Usage: "list the runs that would be deleted, delete nothing"},
			resultsFlag(),
		},
		Action: func(c *cli.Context) error {
			age, err := parseAge(c.String("older-than"))
			if err != nil {
				return &exitErr{code: exitError, msg: "runs prune: -older-than: " + err.Error()}
			}
			if c.Int("keep") < 0 {
				return &exitErr{code: exitError, msg: "runs prune: -keep must be 0 or more"}
			}
			st, err := g.openStore(c.Context, c, nil, true)
			if err != nil {
				return err
			}
			cands, err := st.PruneCandidates(c.Context, store.PruneOptions{OlderThan: st.Now().Add(-age),
				Scenario: c.String("scenario"), Keep: c.Int("keep")})
			st.Close()
			if err != nil {
				return err
			}
			if len(cands) == 0 {
				fmt.Fprintf(g.stdout, "No ended run older than %s to prune.\n", c.String("older-than"))
				return nil
			}
			ids := make([]string, len(cands))
			for i, r := range cands {
				ids[i] = r.ID
				fmt.Fprintf(g.stdout, "  %s  %-24s %-9s %s\n", r.ID, r.ScenarioName, r.Status, r.CreatedAt.UTC().Format("2006-01-02T15:04:05Z"))
			}
			if c.Bool("dry-run") {
				fmt.Fprintf(g.stdout, "%d runs would be deleted (dry run: nothing was changed).\n", len(ids))
				return nil
			}
			return g.deleteRuns(c, ids, " older than "+c.String("older-than"))
		},
	}
}

// deleteRuns deletes ids under the apply lock (no run starts meanwhile, and
// compacting SQLite needs the file to itself), then reports the rows and
// bytes reclaimed.
func (g *globals) deleteRuns(c *cli.Context, ids []string, what string) error {
	ctx := c.Context
	st, err := g.openStore(ctx, c, nil, true)
	if err != nil {
		return err
	}
	defer st.Close()
	lease, err := g.acquireApplyLock(ctx, st, 10*time.Second)
	if err != nil {
		return err
	}
	defer func() {
		if err := lease.Release(context.WithoutCancel(ctx)); err != nil {
			g.logger.Warn("releasing the apply lock failed", "error", err)
		}
	}()
	before, err := st.Size(ctx)
	if err != nil {
		return err
	}
	del, err := st.DeleteRuns(ctx, ids)
	var active *store.ActiveRunError
	switch {
	case errors.As(err, &active):
		return &exitErr{code: exitError, msg: "nothing was deleted: " + err.Error()}
	case errors.Is(err, store.ErrNotFound):
		return &exitErr{code: exitError, msg: "nothing was deleted: " + err.Error() + " (fbctl runs lists the runs of this store)"}
	case err != nil:
		return fmt.Errorf("%d of %d runs deleted before: %w (rerun to finish)", del.Runs, len(ids), err)
	}
	if err := st.Compact(ctx); err != nil {
		return fmt.Errorf("deleted %d runs, but %w", del.Runs, err)
	}
	after, err := st.Size(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "Deleted %d runs%s: %d rows (%d query executions).", del.Runs, what, del.TotalRows(), del.Rows["QUERY_EXECUTIONS"])
	if before.Known && after.Known {
		fmt.Fprintf(g.stdout, " The store went from %s to %s.", view.Bytes(before.Bytes), view.Bytes(after.Bytes))
	}
	fmt.Fprintln(g.stdout)
	return nil
}

// parseAge reads a duration with an optional day unit: 30d, 12h, 1d12h, 90m.
func parseAge(s string) (time.Duration, error) {
	var days int64
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseInt(s[:i], 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q is not an age: want a number of days, hours or minutes such as 30d, 12h or 90m", s)
		}
		days, rest = n, s[i+1:]
	}
	var d time.Duration
	if rest != "" {
		var err error
		if d, err = time.ParseDuration(rest); err != nil || d < 0 {
			return 0, fmt.Errorf("%q is not an age: want a number of days, hours or minutes such as 30d, 12h or 90m", s)
		}
	}
	total := time.Duration(days)*24*time.Hour + d
	if total <= 0 {
		return 0, fmt.Errorf("%q is not a positive age", s)
	}
	return total, nil
}
