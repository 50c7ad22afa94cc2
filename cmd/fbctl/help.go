package main

import (
	"fmt"
	"strings"

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

// examples are the commands' help examples, by full command name, for the
// commands whose Description does not carry its own; addExamples appends
// them. Every command's help has one (a test checks).
var examples = map[string]string{
	"compare": "fbctl compare -baseline tag=branch=main            # the newest run against main's latest\n" +
		"  fbctl compare -baseline latest -format markdown  # for a PR comment; exit 4 when a regression rule is violated",
	"export":   "fbctl export 5f2c9a1e-… -what intervals -format csv -o intervals.csv\n  fbctl export 5f2c9a1e-… -what benchfmt > new.txt   # then: benchstat old.txt new.txt",
	"report":   "fbctl report 5f2c9a1e-… -baseline tag=branch=main -o report.html",
	"serve":    "fbctl serve -addr 127.0.0.1:8080   # then open http://127.0.0.1:8080/",
	"recover":  "fbctl recover   # after a full disk or a killed worker: write the journals' rows, fix ROWS_STORED",
	"version":  "fbctl version",
	"validate": "fbctl validate scenarios/\n  fbctl validate -json -var warehouse=BENCH_WH bench.fb.hcl",
	"fmt":      "fbctl fmt -check -diff -recursive scenarios/   # in CI: exit 1 when a file needs formatting\n  fbctl fmt bench.fb.hcl",
	"plan": "fbctl plan scenarios/quickstart.fb.hcl\n" +
		"  fbctl plan -detailed-exitcode -out nightly.plan scenarios/   # in a PR: exit 2 when something changes",
	"apply": "fbctl apply scenarios/quickstart.fb.hcl                     # shows the plan, asks\n" +
		"  fbctl apply nightly.plan                                    # exactly the saved plan\n" +
		"  fbctl apply -auto-approve -workers local:4 scenarios/       # four worker processes",
	"show":         "fbctl show nightly.plan\n  fbctl show -json 5f2c9a1e-…",
	"templates":    "fbctl templates\n  fbctl templates -json -results postgres://bench@localhost:5432/bench",
	"force-unlock": "fbctl force-unlock 0b6f1c2d-…   # the lock ID from the refused apply's message",
	"worker":       "fbctl apply -auto-approve -workers external -run-id nightly-7 scenarios/   # on one host\n  fbctl worker -run nightly-7 scenarios/                                     # on each worker host",
	"runs":         "fbctl runs -limit 5\n  fbctl runs -json -scenario smoke",
	"dev snowflake-server": "fbctl dev snowflake-server -addr 127.0.0.1:8085\n" +
		"  # then paste the printed connection block into a scenario and run fbctl apply",
	"enrich":                   "fbctl enrich 5f2c9a1e-… scenarios/snowflake_hybrid.fb.hcl",
	"image build":              "fbctl image build -binary bin/fbctl-linux-amd64 -o bin/image   # or: make image",
	"image push":               "fbctl image push -to registry.example.com/bench/fbctl -layout bin/image",
	"deploy render kubernetes": "fbctl deploy render kubernetes -o k8s/ -namespace bench scenarios/postgres_oltp.fb.hcl\n  kubectl apply -f k8s/",
	"deploy render spcs":       "fbctl deploy render spcs -compute-pool BENCH_POOL -o spcs/ scenarios/snowflake_hybrid.fb.hcl",
	"schema":                   "fbctl schema apply -results postgres://bench@localhost:5432/bench",
	"dev":                      "fbctl dev snowflake-server",
	"image":                    "fbctl image build && fbctl image push -to registry.example.com/bench/fbctl",
	"deploy":                   "fbctl deploy render kubernetes -o k8s/ scenarios/",
	"deploy render":            "fbctl deploy render kubernetes -o k8s/ scenarios/",
}

// addExamples appends each command's example to its Description.
func addExamples(path string, cmd *cli.Command) {
	name := strings.TrimSpace(path + " " + cmd.Name)
	if ex, ok := examples[name]; ok && !strings.Contains(cmd.Description, "Example:") {
		if cmd.Description != "" {
			cmd.Description += "\n\n"
		} else if cmd.Usage != "" {
			cmd.Description = cmd.Usage + ".\n\n"
		}
		cmd.Description += "Example:\n  " + ex
	}
	for _, sub := range cmd.Subcommands {
		addExamples(name, sub)
	}
}
