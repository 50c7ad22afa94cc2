package pgtest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestMain(m *testing.M) { os.Exit(Main(m)) }

func TestSharedServerServesFreshDatabases(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, b := FreshDatabase(t), FreshDatabase(t)
	if a == b {
		t.Fatalf("two fresh databases share a DSN: %s", a)
	}
	conn, err := pgx.Connect(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var fsync, listen string
	if err := conn.QueryRow(ctx, "SHOW fsync").Scan(&fsync); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SHOW listen_addresses").Scan(&listen); err != nil {
		t.Fatal(err)
	}
	if fsync != "off" || listen != "127.0.0.1" {
		t.Fatalf("fsync=%s listen_addresses=%s", fsync, listen)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE x (id int)"); err != nil {
		t.Fatal(err)
	}
	if Shared(t) != Shared(t) {
		t.Fatal("Shared started a second server")
	}
}

func TestStartStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second server")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv, err := Start(ctx)
	if err != nil {
		if Required() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := srv.dir
	if err := srv.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("server directory %s left behind", dir)
	}
	if _, err := pgx.Connect(ctx, srv.DSN("postgres")); err == nil {
		t.Fatal("server still accepts connections after Stop")
	}
}

// A server whose test process died without Stop is stopped and removed by
// the next Start.
func TestStartReapsOrphans(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	orphan, err := Start(ctx)
	if err != nil {
		if Required() {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	// Pretend the owner died: a pid that cannot exist.
	if err := os.WriteFile(orphan.dir+"/"+ownerFile, []byte("2147483646"), 0o644); err != nil {
		t.Fatal(err)
	}
	next, err := Start(ctx)
	if err != nil {
		orphan.Stop()
		t.Fatal(err)
	}
	defer next.Stop()
	if _, err := os.Stat(orphan.dir); !os.IsNotExist(err) {
		orphan.Stop()
		t.Fatalf("orphan directory %s still there", orphan.dir)
	}
	if _, err := pgx.Connect(ctx, orphan.DSN("postgres")); err == nil {
		t.Fatal("orphaned server still accepts connections")
	}
}

// Options reach the server: a preloaded library and an extra setting, and
// CreateExtension installs the extension the library backs.
func TestSharedWithPreloadsLibraries(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	o := Options{Preload: []string{"pg_stat_statements"}, Settings: map[string]string{"pg_stat_statements.track": "top"}}
	srv := SharedWith(t, o)
	if srv == Shared(t) {
		t.Fatal("a server with options is the plain shared server")
	}
	if SharedWith(t, o) != srv {
		t.Fatal("equal options started a second server")
	}
	if err := srv.CreateDatabase(ctx, "ext"); err != nil {
		t.Fatal(err)
	}
	if err := srv.CreateExtension(ctx, "ext", "pg_stat_statements"); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, srv.DSN("ext"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var libs, track string
	if err := conn.QueryRow(ctx, "SHOW shared_preload_libraries").Scan(&libs); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SHOW pg_stat_statements.track").Scan(&track); err != nil {
		t.Fatal(err)
	}
	if libs != "pg_stat_statements" || track != "top" {
		t.Fatalf("shared_preload_libraries=%q pg_stat_statements.track=%q", libs, track)
	}
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_statements").Scan(&n); err != nil {
		t.Fatalf("pg_stat_statements not readable: %v", err)
	}
}

func TestStartWithRejectsSpaces(t *testing.T) {
	_, err := StartWith(context.Background(), Options{Settings: map[string]string{"work_mem": "4 MB"}})
	if err == nil || !strings.Contains(err.Error(), "spaces") {
		t.Fatalf("err = %v, want a spaces error", err)
	}
}

// With TLS the server accepts sslmode=verify-full against CAFile and the
// session is encrypted.
func TestTLS(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	srv := SharedWith(t, Options{TLS: true})
	if srv.CAFile() == "" {
		t.Fatal("no CA file")
	}
	dsn := strings.Replace(srv.DSN("postgres"), "sslmode=disable", "sslmode=verify-full&sslrootcert="+srv.CAFile(), 1)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var ssl bool
	if err := conn.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl); err != nil {
		t.Fatal(err)
	}
	if !ssl {
		t.Fatal("verify-full session is not encrypted")
	}
	if Shared(t).CAFile() != "" {
		t.Fatal("the plain server has a CA file")
	}
}
