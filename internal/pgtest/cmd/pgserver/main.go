// Command pgserver starts a throwaway PostgreSQL server with pgtest (temp
// dir, random loopback port, fsync off), prints its DSN on one line of
// standard output and keeps it up until SIGINT or SIGTERM, then stops it and
// removes its directory. Scripts use it (scripts/bench-pgbench.sh):
//
//	go run ./internal/pgtest/cmd/pgserver -database bench -preload pg_stat_statements
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/flakebench/fbctl/internal/pgtest"
)

func main() {
	preload := flag.String("preload", "", "comma-separated shared_preload_libraries (e.g. pg_stat_statements)")
	database := flag.String("database", "postgres", "database to create (unless postgres) and print the DSN of")
	var settings multiFlag
	flag.Var(&settings, "c", "extra server setting `name=value` (repeatable)")
	flag.Parse()
	if err := run(*preload, *database, settings); err != nil {
		fmt.Fprintln(os.Stderr, "pgserver:", err)
		os.Exit(1)
	}
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func run(preload, database string, settings []string) error {
	o := pgtest.Options{Settings: map[string]string{}}
	if preload != "" {
		o.Preload = strings.Split(preload, ",")
	}
	for _, s := range settings {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("-c %q: want name=value", s)
		}
		o.Settings[k] = v
	}
	// Signals stop the server even while it is starting.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	srv, err := pgtest.StartWith(ctx, o)
	cancel()
	if err != nil {
		return err
	}
	defer srv.Stop()
	if database != "postgres" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		err := srv.CreateDatabase(ctx, database)
		cancel()
		if err != nil {
			return err
		}
	}
	fmt.Println(srv.DSN(database))
	<-sig
	return nil
}
