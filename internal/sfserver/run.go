package sfserver

import (
	"context"
	"fmt"
	"io"

	"github.com/hashicorp/go-hclog"
)

// Run starts a server on addr backed by dbPath ("" = temporary) in the
// foreground, prints a ready-to-paste connection block to out, and serves
// until ctx is cancelled. It backs `fbctl dev snowflake-server`.
func Run(ctx context.Context, addr, dbPath string, logger hclog.Logger, out io.Writer) error {
	if addr == "" {
		addr = "127.0.0.1:8085"
	}
	s, err := New(Options{DBPath: dbPath, Logger: logger, Account: "local"})
	if err != nil {
		return err
	}
	if err := s.Start(addr); err != nil {
		s.Close()
		return err
	}
	host, port := splitHostPort(s.Addr())
	fmt.Fprintf(out, `Local Snowflake-protocol server listening on %s.
This is a local stand-in backed by SQLite (%s), NOT Snowflake: it speaks the
wire protocol of the gosnowflake driver and translates a known subset of
Snowflake SQL. Timings and plans say nothing about a real warehouse.
Any user and password are accepted, so the block below works as pasted.

connection "snowflake" "local" {
  account   = "local"
  user      = "fbctl"
  password  = "local" # the local server's, not a secret: any value works
  host      = %q
  port      = %s
  protocol  = "http"
  database  = "FLAKEBENCH"
  schema    = "PUBLIC"
  warehouse = "COMPUTE_WH"
}

Press Ctrl-C to stop.
`, s.Addr(), dbDescription(dbPath), host, port)
	<-ctx.Done()
	return s.Close()
}

func dbDescription(p string) string {
	if p == "" {
		return "temporary database, deleted on exit"
	}
	return p
}

func splitHostPort(addr string) (string, string) {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[:i], addr[i+1:]
		}
	}
	return addr, ""
}
