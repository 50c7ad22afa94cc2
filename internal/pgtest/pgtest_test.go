package pgtest

import (
	"context"
	"os"
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
