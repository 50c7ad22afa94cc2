// Command fbctl is FlakeBench: a declarative workflow engine for database
// benchmarks. Scenario files (*.fb.hcl) declare templates and scenarios;
// `fbctl plan` shows what will change and what the run will do; `fbctl apply`
// mirrors templates into the control plane and runs the benchmark.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, hard, stop := interruptContexts(os.Stderr)
	code := runWith(ctx, hard, os.Args, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// interruptContexts turns the first Ctrl-C (or SIGTERM) into a graceful
// stop — ctx is cancelled: stop issuing, drain, record — and the second
// into a hard stop: hard is cancelled too.
func interruptContexts(stderr io.Writer) (ctx, hard context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	hard, cancelHard := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		n := 0
		for {
			select {
			case <-done:
				return
			case <-sigs:
				n++
				if n == 1 {
					fmt.Fprintln(stderr, "\nInterrupted: stopping gracefully (apply: no new operations, in-flight ones drain, results are recorded). Press Ctrl-C again to stop now.")
					cancel()
					continue
				}
				fmt.Fprintln(stderr, "\nInterrupted again: stopping now; what was measured is still recorded.")
				cancelHard()
			}
		}
	}()
	return ctx, hard, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
		cancelHard()
	}
}

// runCLI is main without the process and without signal handling: tests call
// it directly.
func runCLI(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return runWith(ctx, nil, args, stdin, stdout, stderr)
}

func runWith(ctx, hard context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr, hard)
	err := app.RunContext(ctx, args)
	return exitCode(err, stderr)
}
