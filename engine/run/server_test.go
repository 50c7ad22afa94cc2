package run

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/dsl"
)

// A session value that came from a sensitive variable is never stored in
// the fingerprint; the rest is, with the server's version.
func TestFingerprintKeepsSensitiveSessionValuesOut(t *testing.T) {
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tmpl := &dsl.Template{Name: "t", TableType: dsl.TableSQLite,
		Session:   map[string]string{"secret_knob": "hunter2", "cache_size": "100"},
		Sensitive: dsl.Sensitivity{"session.secret_knob": true}}
	got := map[string]string{}
	collectFingerprint(context.Background(), &dsl.Connection{Type: dsl.ConnSQLite}, tmpl, db, got)
	for k, v := range got {
		if strings.Contains(v, "hunter2") {
			t.Fatalf("the sensitive value is in the fingerprint: %s = %s", k, v)
		}
	}
	if got["session.SECRET_KNOB"] != "(sensitive)" || got["session.CACHE_SIZE"] != "100" || got["version"] == "" || strings.HasPrefix(got["version"], "unavailable") {
		t.Errorf("fingerprint %v", got)
	}
}
