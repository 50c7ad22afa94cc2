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

// sharedServer is one server of a test binary, started on first use by
// Shared or SharedWith and stopped by Main.
type sharedServer struct {
	once sync.Once
	srv  *Server
	err  error
}

// shared holds the test binary's servers, one per distinct Options.
var shared struct {
	mu      sync.Mutex
	servers map[string]*sharedServer
	order   []*sharedServer
}

// Main runs the package's tests and stops the shared server afterwards. Use
// it from TestMain: func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }.
func Main(m *testing.M) int {
	code := m.Run()
	shared.mu.Lock()
	servers := shared.order
	shared.mu.Unlock()
	for _, s := range servers {
		if s.srv == nil {
			continue
		}
		if err := s.srv.Stop(); err != nil && code == 0 {
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
func Shared(t testing.TB) *Server { t.Helper(); return SharedWith(t, Options{}) }

// SharedWith is Shared for a server started with options o: tests asking
// for equal options share one server; Main stops them all.
func SharedWith(t testing.TB, o Options) *Server {
	t.Helper()
	k := o.key()
	shared.mu.Lock()
	if shared.servers == nil {
		shared.servers = map[string]*sharedServer{}
	}
	s := shared.servers[k]
	if s == nil {
		s = &sharedServer{}
		shared.servers[k] = s
		shared.order = append(shared.order, s)
	}
	shared.mu.Unlock()
	s.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		s.srv, s.err = StartWith(ctx, o)
	})
	if s.err != nil {
		if Required() {
			t.Fatalf("CI=true and PostgreSQL is required: %v", s.err)
		}
		t.Skipf("PostgreSQL unavailable (set CI=true to make this a failure): %v", s.err)
	}
	return s.srv
}

// FreshDatabase creates a new, uniquely named database on the shared server
// and returns its DSN.
func FreshDatabase(t testing.TB) string {
	t.Helper()
	return FreshDatabaseOn(t, Shared(t))
}

// FreshDatabaseOn creates a new, uniquely named database on srv and returns
// its DSN.
func FreshDatabaseOn(t testing.TB, srv *Server) string {
	t.Helper()
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
