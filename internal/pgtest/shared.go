package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"
)

// shared is the one server of a test binary, started on first use by Shared
// and stopped by Main.
var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Main runs the package's tests and stops the shared server afterwards. Use
// it from TestMain: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil && code == 0 {
			os.Stderr.WriteString(err.Error() + "\n")
			code = 1
		}
	}
	return code
}

// Required reports whether Postgres tests must run (CI=true): then a missing
// binary or a failed start is a failure, not a skip.
func Required() bool { return os.Getenv("CI") == "true" }

// Shared returns the package's shared server, starting it on first use. When
// Postgres is unavailable it skips the test with the reason, or fails it when
// Required.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		shared.srv, shared.err = Start(ctx)
	})
	if shared.err != nil {
		if Required() {
			t.Fatalf("CI=true and PostgreSQL is required: %v", shared.err)
		}
		t.Skipf("PostgreSQL unavailable (set CI=true to make this a failure): %v", shared.err)
	}
	return shared.srv
}

// FreshDatabase creates a new, uniquely named database on the shared server
// and returns its DSN.
func FreshDatabase(t testing.TB) string {
	t.Helper()
	srv := Shared(t)
	var b [6]byte
	rand.Read(b[:])
	name := "t_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.CreateDatabase(ctx, name); err != nil {
		t.Fatal(err)
	}
	return srv.DSN(name)
}
