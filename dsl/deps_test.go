package dsl

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependencies keeps dsl pure: no engine packages, no database drivers,
// no command-line framework.
func TestDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	forbidden := []string{
		"github.com/flakebench/fbctl/engine",
		"github.com/flakebench/fbctl/cmd",
		"github.com/jackc/pgx",
		"github.com/lib/pq",
		"github.com/snowflakedb/gosnowflake",
		"modernc.org/sqlite",
		"github.com/mattn/go-sqlite3",
		"github.com/urfave/cli",
		"database/sql",
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if pkg == f || strings.HasPrefix(pkg, f+"/") {
				t.Errorf("dsl depends on %s", pkg)
			}
		}
	}
}
