package engine_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestEngineImports keeps the engine root light: no database driver, no CLI
// framework, no store or plan-file implementation (those import engine, not
// the other way round). It asks the go tool for the full dependency list.
func TestEngineImports(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", "github.com/flakebench/fbctl/engine").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{
		"github.com/snowflakedb/gosnowflake",
		"github.com/jackc/pgx",
		"github.com/lib/pq",
		"modernc.org/sqlite",
		"github.com/mattn/go-sqlite3",
		"github.com/urfave/cli",
		"github.com/flakebench/fbctl/cmd",
		"github.com/flakebench/fbctl/engine/store",
		"github.com/flakebench/fbctl/engine/planfile",
		"github.com/flakebench/fbctl/engine/executor",
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("implausibly short dependency list: %v", deps)
	}
	for _, dep := range deps {
		for _, bad := range forbidden {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("engine imports %s (forbidden: %s)", dep, bad)
			}
		}
	}
}
