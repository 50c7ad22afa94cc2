package pgtarget

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/flakebench/fbctl/dsl"
)

// The DSN of a connection block reads back through pgx.ParseConfig as the
// block says, whatever characters its values hold.
func TestDSNRoundTripsThroughPgx(t *testing.T) {
	c := &dsl.Connection{Type: dsl.ConnPostgres, Name: "p",
		Fields:  map[string]string{"host": "127.0.0.1", "port": "5433", "database": "oltp db", "sslmode": "disable"},
		Secrets: map[string]string{"user": "bench@corp", "password": "s3cr:t/@?&"},
		Params:  map[string]string{"application_name": "fb run", "search_path": "a,b"}}
	dsn, err := DSN(c)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("pgx.ParseConfig: %s", parseReason(err))
	}
	if cfg.Host != "127.0.0.1" || cfg.Port != 5433 || cfg.Database != "oltp db" || cfg.User != "bench@corp" || cfg.Password != "s3cr:t/@?&" || cfg.TLSConfig != nil {
		t.Errorf("parsed host %q port %d database %q user %q password ok %t tls %v", cfg.Host, cfg.Port, cfg.Database, cfg.User, cfg.Password == "s3cr:t/@?&", cfg.TLSConfig != nil)
	}
	if cfg.RuntimeParams["application_name"] != "fb run" || cfg.RuntimeParams["search_path"] != "a,b" {
		t.Errorf("runtime params %v", cfg.RuntimeParams)
	}

	// A dsn is taken as given, also from a sensitive variable.
	c = &dsl.Connection{Type: dsl.ConnPostgres, Name: "p", Secrets: map[string]string{"dsn": "host=db user=u password=pw dbname=x"}}
	if dsn, err := DSN(c); err != nil || dsn != "host=db user=u password=pw dbname=x" {
		t.Errorf("DSN = %q, %v", dsn, err)
	}
}

// A port that is no number fails in pgx, and the error keeps the
// password out.
func TestDSNErrorNeverQuotesThePassword(t *testing.T) {
	c := &dsl.Connection{Type: dsl.ConnPostgres, Name: "p",
		Fields: map[string]string{"host": "db", "port": "nope", "user": "u"}, Secrets: map[string]string{"password": "hunter2"}}
	dsn, err := DSN(c)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Store{}.OpenDB(dsn)
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("OpenDB = %v", err)
	}
	if _, err := DSN(&dsl.Connection{Type: dsl.ConnSnowflake, Name: "s"}); err == nil {
		t.Fatal("DSN of a snowflake connection succeeded")
	}
}
