package connstr

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/dsl"
	"github.com/google/go-cmp/cmp"
)

// An attribute that came from a sensitive variable sits in Secrets;
// Settings merges it into the fields and keeps it among the secrets.
func TestSettingsMergesSensitiveValues(t *testing.T) {
	c := dsl.Connection{Type: "postgres", Name: "p",
		Fields:  map[string]string{"host": "db", "database": "x"},
		Secrets: map[string]string{"user": "svc", "password": "pw", "params.options": "-c x=1"},
		Params:  map[string]string{"application_name": "a"}}
	fields, secrets, err := Settings(&c)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]string{"host": "db", "database": "x", "user": "svc", "password": "pw", "params.options": "-c x=1"}, fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
	if secrets["password"] != "pw" || secrets["user"] != "svc" {
		t.Errorf("secrets = %v", secrets)
	}
	if diff := cmp.Diff(map[string]string{"application_name": "a", "options": "-c x=1"}, Params(&c)); diff != "" {
		t.Errorf("params (-want +got):\n%s", diff)
	}
	fields["host"] = "changed"
	if c.Fields["host"] != "db" {
		t.Error("Settings returned the connection's own map")
	}
}

func TestSettingsFromConnectionsFile(t *testing.T) {
	home := t.TempDir()
	t.Setenv("SNOWFLAKE_HOME", home)
	toml := "[bench]\naccount = \"acme-xy\"\nuser = \"loader\"\npassword = \"from-toml-secret\"\nwarehouse = \"TOML_WH\"\nport = 8443\nprivate_key_path = \"/k.p8\"\n"
	if err := os.WriteFile(filepath.Join(home, "connections.toml"), []byte(toml), 0o600); err != nil {
		t.Fatal(err)
	}
	c := dsl.Connection{Type: "snowflake", Name: "s", Fields: map[string]string{"connection_name": "bench", "warehouse": "BLOCK_WH"}}
	fields, secrets, err := Settings(&c)
	if err != nil {
		t.Fatal(err)
	}
	if fields["warehouse"] != "BLOCK_WH" || fields["account"] != "acme-xy" || fields["port"] != "8443" || fields["private_key_file"] != "/k.p8" {
		t.Errorf("block fields must win over the file, private_key_path is private_key_file: %v", fields)
	}
	if secrets["password"] != "from-toml-secret" {
		t.Errorf("password is a secret from the file: %v", secrets)
	}

	c.Fields["connection_name"] = "missing"
	if _, _, err := Settings(&c); err == nil || !strings.Contains(err.Error(), `no connection named "missing"`) {
		t.Fatalf("want a missing-section error, got %v", err)
	}
	if err := os.WriteFile(filepath.Join(home, "connections.toml"), []byte("[bench\npassword = \"leaky-secret\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.Fields["connection_name"] = "bench"
	if _, _, err := Settings(&c); err == nil || strings.Contains(err.Error(), "leaky-secret") {
		t.Fatalf("a malformed file must be an error that quotes no secret, got %v", err)
	}
}
