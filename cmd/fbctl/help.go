package main

import (
	"fmt"

	"github.com/urfave/cli/v2"
)

// firstSteps is what `fbctl` with no arguments shows: the five commands a
// newcomer needs first, in the order they are used.
const firstSteps = `fbctl: declarative database benchmarks for Snowflake, Postgres and SQLite.

Start here, in a directory of *.fb.hcl scenario files (try scenarios/quickstart.fb.hcl):

  fbctl validate                 check the files for mistakes; touches no database
  fbctl plan                     show what apply would change in CONFIG and what each run does
  fbctl apply                    run the scenarios (asks first; -auto-approve for pipelines)
  fbctl runs                     list the runs, newest first
  fbctl show RUN_ID              a run's results, phase by phase

Every command: fbctl -h. A command's flags and an example: fbctl COMMAND -h.
Shell completion: fbctl completion bash|zsh|fish.
`

// rootAction runs for `fbctl` without a command, or with one that does
// not exist.
func rootAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return unknownCommand(c, c.App.Commands)
	}
	_, err := fmt.Fprint(c.App.Writer, firstSteps)
	return err
}
