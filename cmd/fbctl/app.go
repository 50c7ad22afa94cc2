package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/flakebench/fbctl/engine/snowflake"
)

// globals are the options every command shares, filled in by the app's
// Before hook.
type globals struct {
	hardStop context.Context // cancelled by a second Ctrl-C; nil in tests
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer
	color    bool
	logger   hclog.Logger
	getenv   func(string) (string, bool)
	workdir  string
	// stopProfile ends a -cpuprofile; a no-op without one.
	stopProfile func()
}

func newApp(stdin io.Reader, stdout, stderr io.Writer, hardStop context.Context) *cli.App {
	g := &globals{hardStop: hardStop, stdin: stdin, stdout: stdout, stderr: stderr, getenv: os.LookupEnv, stopProfile: func() {}}
	app := &cli.App{
		Name:                 "fbctl",
		Usage:                "declarative database benchmarks for Snowflake, Postgres and SQLite",
		Version:              version,
		Writer:               stdout,
		ErrWriter:            stderr,
		HideVersion:          true,
		EnableBashCompletion: true,                         // completion.go
		ExitErrHandler:       func(*cli.Context, error) {}, // exit codes are decided in run()
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "chdir", Usage: "switch to `DIR` before doing anything else"},
			&cli.BoolFlag{Name: "no-color", Usage: "disable color in output (also NO_COLOR)"},
			&cli.StringFlag{Name: "cpuprofile", Usage: "write a CPU profile of this command to `FILE` (go tool pprof)"},
			&cli.StringFlag{Name: "log-level", Usage: "log `LEVEL`: trace, debug, info, warn, error, off", EnvVars: []string{"FLAKEBENCH_LOG"}, Value: "warn"},
		},
		Before: func(c *cli.Context) error { return g.setup(c) },
		After:  func(*cli.Context) error { g.stopProfile(); return nil },
		Commands: []*cli.Command{
			versionCommand(g),
			validateCommand(g),
			fmtCommand(g),
			planCommand(g),
			applyCommand(g),
			showCommand(g),
			templatesCommand(g),
			schemaCommand(g),
			forceUnlockCommand(g),
			workerCommand(g),
			standbyCommand(g),
			cancelCommand(g),
			runsCommand(g),
			compareCommand(g),
			exportCommand(g),
			reportCommand(g),
			serveCommand(g),
			devCommand(g),
			enrichCommand(g),
			imageCommand(g),
			deployCommand(g),
			recoverCommand(g),
			completionCommand(g),
		},
	}
	guardArguments(app)
	return app
}

func (g *globals) setup(c *cli.Context) error {
	if dir := c.String("chdir"); dir != "" {
		if err := os.Chdir(dir); err != nil {
			return fmt.Errorf("-chdir: %w", err)
		}
	}
	wd, err := os.Getwd()
	if err != nil {
		return err
	}
	g.workdir = wd
	_, noColorEnv := os.LookupEnv("NO_COLOR")
	g.color = !c.Bool("no-color") && !noColorEnv && isTerminal(g.stdout)

	levelName := strings.ToLower(c.String("log-level"))
	level := hclog.LevelFromString(levelName)
	if level == hclog.NoLevel {
		return &exitErr{code: exitError, msg: fmt.Sprintf("unknown log level %q; use trace, debug, info, warn, error or off", levelName)}
	}
	if path := c.String("cpuprofile"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("-cpuprofile: %w", err)
		}
		g.stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
	}
	snowflake.QuietDriver(level)
	g.logger = hclog.New(&hclog.LoggerOptions{
		Name:   "fbctl",
		Level:  level,
		Output: g.stderr,
		Color:  hclog.ColorOff,
	})
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

func versionCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the fbctl version",
		Action: func(c *cli.Context) error {
			fmt.Fprintf(g.stdout, "fbctl %s\n", version)
			return nil
		},
	}
}
