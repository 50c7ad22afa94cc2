// Package sftest starts the local Snowflake-protocol server for tests. It is
// apart from internal/sfserver so that the fbctl binary, which embeds the
// server for `fbctl dev snowflake-server`, never links the testing package.
package sftest

import (
	"os"
	"testing"

	"github.com/flakebench/fbctl/internal/sfserver"
)

// Start starts a server with opts on a free loopback port for the
// test or benchmark tb and closes it when tb ends. It sets the environment
// the driver must run with (no cloud platform probe, no embedded library),
// and makes tb fail if the server answered 404 to any endpoint it does not
// know, so a driver request the server misses never passes unnoticed.
func Start(tb testing.TB, opts sfserver.Options) *sfserver.Server {
	tb.Helper()
	os.Setenv("SNOWFLAKE_DISABLE_PLATFORM_DETECTION", "true")
	os.Setenv("SF_DISABLE_MINICORE", "true")
	s, err := sfserver.New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		unknown := s.Stats().Unknown
		if err := s.Close(); err != nil {
			tb.Error(err)
		}
		if len(unknown) > 0 {
			tb.Errorf("the local Snowflake server answered 404 to unknown endpoints: %v", unknown)
		}
	})
	return s
}
