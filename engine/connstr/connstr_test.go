package connstr

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/dsl"
)

func TestDSN(t *testing.T) {
	tests := []struct {
		name string
		conn dsl.Connection
		want string
	}{
		{"sqlite", dsl.Connection{Type: "sqlite", Name: "l", Fields: map[string]string{"path": "x.db"}}, "sqlite:x.db"},
		{"postgres fields", dsl.Connection{Type: "postgres", Name: "p",
			Fields:  map[string]string{"host": "127.0.0.1", "port": "5433", "user": "bench", "database": "oltp", "sslmode": "disable"},
			Secrets: map[string]string{"password": "s3cr:t"}},
			"postgres://bench:s3cr%3At@127.0.0.1:5433/oltp?sslmode=disable"},
		{"postgres dsn secret", dsl.Connection{Type: "postgres", Name: "p",
			Secrets: map[string]string{"dsn": "postgres://u:pw@h/db"}}, "postgres://u:pw@h/db"},
		{"snowflake", dsl.Connection{Type: "snowflake", Name: "s",
			Fields:  map[string]string{"account": "acme", "user": "bench", "database": "DB", "schema": "PUBLIC", "warehouse": "WH", "host": "127.0.0.1", "port": "8080", "protocol": "http"},
			Secrets: map[string]string{"password": "pw"},
			Params:  map[string]string{"loginTimeout": "10"}},
			"snowflake://bench:pw@127.0.0.1:8080/DB/PUBLIC?account=acme&clientTimeout=60&jwtClientTimeout=30&loginTimeout=10&protocol=http&requestTimeout=60&warehouse=WH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DSN(&tt.conn)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("DSN = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDSNErrors(t *testing.T) {
	for _, c := range []dsl.Connection{
		{Type: "sqlite", Name: "nopath", Fields: map[string]string{}},
		{Type: "snowflake", Name: "noaccount", Fields: map[string]string{"user": "u"}},
		{Type: "snowflake", Name: "byname", Fields: map[string]string{"connection_name": "bench"}, Secrets: map[string]string{"password": "hunter2"}},
		{Type: "mysql", Name: "x"},
	} {
		_, err := DSN(&c)
		if err == nil {
			t.Fatalf("%s: want an error", c.Key())
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Fatalf("%s: error leaks a secret: %v", c.Key(), err)
		}
	}
}

func TestSnowflakeConnectionName(t *testing.T) {
	home := t.TempDir()
	t.Setenv("SNOWFLAKE_HOME", home)
	toml := "[bench]\naccount = \"acme-xy\"\nuser = \"loader\"\npassword = \"from-toml-secret\"\nwarehouse = \"TOML_WH\"\nport = 8443\n"
	if err := os.WriteFile(filepath.Join(home, "connections.toml"), []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	c := dsl.Connection{Type: "snowflake", Name: "s", Fields: map[string]string{"connection_name": "bench", "warehouse": "BLOCK_WH"}}
	got, err := DSN(&c)
	if err != nil {
		t.Fatal(err)
	}
	want := "snowflake://loader:from-toml-secret@acme-xy:8443?clientTimeout=60&jwtClientTimeout=30&loginTimeout=30&requestTimeout=60&warehouse=BLOCK_WH"
	if got != want {
		t.Fatalf("DSN = %q, want %q (block fields win over the file)", got, want)
	}

	c.Fields["connection_name"] = "missing"
	if _, err := DSN(&c); err == nil || !strings.Contains(err.Error(), `no connection named "missing"`) {
		t.Fatalf("want a missing-section error, got %v", err)
	}
	if err := os.WriteFile(filepath.Join(home, "connections.toml"), []byte("[bench\npassword = \"leaky-secret\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.Fields["connection_name"] = "bench"
	_, err = DSN(&c)
	if err == nil || strings.Contains(err.Error(), "leaky-secret") {
		t.Fatalf("a malformed file must be an error that quotes no secret, got %v", err)
	}
}

// TestSensitiveFields: an attribute that came from a sensitive variable
// sits in Secrets; the DSN still uses it.
func TestSensitiveFields(t *testing.T) {
	c := dsl.Connection{Type: "postgres", Name: "p",
		Fields:  map[string]string{"host": "db", "database": "x"},
		Secrets: map[string]string{"user": "svc", "password": "pw"}}
	got, err := DSN(&c)
	if err != nil {
		t.Fatal(err)
	}
	if want := "postgres://svc:pw@db/x"; got != want {
		t.Fatalf("DSN = %q, want %q", got, want)
	}
	sf := dsl.Connection{Type: "snowflake", Name: "s", Fields: map[string]string{"user": "u"}, Secrets: map[string]string{"account": "acct"}}
	if got, err := DSN(&sf); err != nil || got != "snowflake://u@acct?clientTimeout=60&jwtClientTimeout=30&loginTimeout=30&requestTimeout=60" {
		t.Fatalf("DSN = %q, %v", got, err)
	}
}
