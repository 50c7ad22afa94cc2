package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flakebench/fbctl/internal/pgtest"
	"github.com/rogpeppe/go-internal/testscript"
)

var update = flag.Bool("update", false, "rewrite golden files and script expectations")

func TestMain(m *testing.M) {
	os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	os.Setenv("SF_DISABLE_MINICORE", "true")
	testscript.Main(stopsScriptPostgres{m}, map[string]func(){
		"fbctl": main,
	})
}

// scriptPostgres is the Postgres server the scripts' postgres command
// starts on first use; TestMain stops it.
var scriptPostgres struct {
	once sync.Once
	srv  *pgtest.Server
	err  error
}

// stopsScriptPostgres runs the tests, then stops the scripts' server.
type stopsScriptPostgres struct{ m *testing.M }

func (s stopsScriptPostgres) Run() int {
	code := pgtest.Main(s.m)
	if err := scriptPostgres.srv.Stop(); err != nil && code == 0 {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	return code
}

// startScriptPostgres starts the scripts' Postgres server on first use.
func startScriptPostgres() error {
	scriptPostgres.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		scriptPostgres.srv, scriptPostgres.err = pgtest.Start(ctx)
	})
	return scriptPostgres.err
}

// postgresCondition is the scripts' [postgres] condition: true when a real
// Postgres server runs; without one it is false, or an error when CI=true.
func postgresCondition() (bool, error) {
	if err := startScriptPostgres(); err != nil {
		if pgtest.Required() {
			return false, fmt.Errorf("CI=true and PostgreSQL is required: %w", err)
		}
		return false, nil
	}
	return true, nil
}

// postgresCmd is the scripts' "postgres VAR" command: it creates a fresh
// database on the real Postgres server and sets VAR to its DSN. Guard it
// with [!postgres] skip. VAR_PORT and VAR_DATABASE are set to the DSN's
// port and database.
func postgresCmd(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: postgres VAR")
	}
	if err := startScriptPostgres(); err != nil {
		ts.Fatalf("%v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "script_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := scriptPostgres.srv.CreateDatabase(ctx, name); err != nil {
		ts.Fatalf("%v", err)
	}
	ts.Setenv(args[0], scriptPostgres.srv.DSN(name))
	// The parts too, for scenarios that take them as variables.
	ts.Setenv(args[0]+"_PORT", strconv.Itoa(scriptPostgres.srv.Port()))
	ts.Setenv(args[0]+"_DATABASE", name)
}

// TestScripts runs the end-to-end CLI scripts in testdata/script: each one
// is a txtar archive of scenario files and fbctl invocations with their
// expected output and exit status.
func TestScripts(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join(root, "testdata", "script"),
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"postgres": postgresCmd,
			// sleep DURATION waits, e.g. for background processes to get going.
			"sleep": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) != 1 {
					ts.Fatalf("usage: sleep DURATION")
				}
				d, err := time.ParseDuration(args[0])
				if err != nil {
					ts.Fatalf("sleep: %v", err)
				}
				time.Sleep(d)
			},
			// exitcode N PROG ARGS... runs PROG and requires exit status N;
			// N|M accepts either (a run whose latency thresholds depend on
			// the machine: 0 or 3).
			"exitcode": func(ts *testscript.TestScript, neg bool, args []string) {
				if neg || len(args) < 2 {
					ts.Fatalf("usage: exitcode N[|M...] program [args...]")
				}
				codes := map[int]bool{}
				for _, c := range strings.Split(args[0], "|") {
					n, err := strconv.Atoi(c)
					if err != nil {
						ts.Fatalf("exitcode: %v", err)
					}
					codes[n] = true
				}
				got := 0
				if err := ts.Exec(args[1], args[2:]...); err != nil {
					var ee *exec.ExitError
					if !errors.As(err, &ee) {
						ts.Fatalf("exitcode: %v", err)
					}
					got = ee.ExitCode()
				}
				if !codes[got] {
					ts.Fatalf("%s exited %d, want %s", args[1], got, args[0])
				}
			},
		},
		Condition: func(cond string) (bool, error) {
			if cond == "postgres" {
				return postgresCondition()
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Setup: func(env *testscript.Env) error {
			env.Setenv("SCENARIOS", filepath.Join(root, "scenarios"))
			env.Setenv("NO_COLOR", "1")
			env.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
			env.Setenv("SF_DISABLE_MINICORE", "true")
			return nil
		},
	})
}
