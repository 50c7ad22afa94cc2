// Command fbctl is FlakeBench: a declarative workflow engine for database
// benchmarks. Scenario files (*.fb.hcl) declare templates and scenarios;
// `fbctl plan` shows what will change and what the run will do; `fbctl apply`
// mirrors templates into the control plane and runs the benchmark.
package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is main without the process: tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	err := app.RunContext(ctx, args)
	return exitCode(err, stderr)
}
