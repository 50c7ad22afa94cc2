package preflight_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/engine/preflight"
	"github.com/hashicorp/hcl/v2"
)

// sqliteFiles is an SQLite scenario on the database at path: template t
// on table ORDERS with the given body, scenario s with the given setup
// statements.
func sqliteFiles(path, body string, setup ...string) string {
	setupBlock := ""
	if len(setup) > 0 {
		q := make([]string, len(setup))
		for i, s := range setup {
			q[i] = fmt.Sprintf("%q", s)
		}
		setupBlock = "  setup {\n    sql = [" + strings.Join(q, ", ") + "]\n  }\n"
	}
	return fmt.Sprintf(`connection "sqlite" "local" {
  path = %q
}

template "t" {
  connection = connection.sqlite.local
  table      = "ORDERS"
%s
}

scenario "s" {
  template = template.t
%s  phase "p" {
    duration    = "1s"
    connections = 1
  }
}
`, path, body, setupBlock)
}

func targets(t *testing.T, src string) hcl.Diagnostics {
	t.Helper()
	return targetsWith(t, src, preflight.TargetOptions{})
}

func targetsWith(t *testing.T, src string, opts preflight.TargetOptions) hcl.Diagnostics {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.fb.hcl")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, diags := dsl.Load([]string{path}, dsl.LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return preflight.Targets(context.Background(), cfg, plan, opts)
}

func summaries(diags hcl.Diagnostics) []string {
	var out []string
	for _, d := range diags {
		out = append(out, fmt.Sprintf("%s @%d", d.Summary, d.Subject.Start.Line))
	}
	return out
}

// makeDB creates an SQLite file with table ORDERS (id, note).
func makeDB(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "target.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE ORDERS (id INTEGER PRIMARY KEY, note TEXT)"); err != nil {
		t.Fatal(err)
	}
	return path
}

const pooledQueries = `
  pool "keys" {
    column = %q
    size   = 10
  }
  query "find_order" {
    sql  = "SELECT id FROM ORDERS WHERE id = ?"
    args = [pool.keys]
  }
  query "add_order" {
    kind = "insert"
    sql  = "INSERT INTO ORDERS (id) VALUES (?)"
    args = [sequence(%q)]
  }
  query "lines" {
    sql = "SELECT * FROM ORDER_LINES"
  }`

func TestTargetsSQLite(t *testing.T) {
	path := makeDB(t)
	got := summaries(targets(t, sqliteFiles(path, fmt.Sprintf(pooledQueries, "nocol", "nocol2"))))
	want := []string{"Pool column not found @9", "Sequence column not found @20", "Statement does not prepare @22"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("got %q, want %q", got, want)
	}
	// Nothing was written: the file has still only ORDERS, and no -wal.
	if _, err := os.Stat(path + "-wal"); err == nil {
		t.Error("the preflight left a -wal file: it wrote to the target")
	}
}

func TestTargetsSkipWhatSetupCreates(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db") // does not exist yet
	body := fmt.Sprintf(pooledQueries, "id", "id")
	diags := targets(t, sqliteFiles(path, body,
		"CREATE TABLE IF NOT EXISTS main.\"ORDERS\" (id INTEGER PRIMARY KEY)", "CREATE TABLE ORDER_LINES (id INTEGER)"))
	if len(diags) > 0 {
		t.Errorf("tables made by setup reported: %v", summaries(diags))
	}
	if _, err := os.Stat(path); err == nil {
		t.Error("the preflight created the SQLite file")
	}
	// Without the setup the same file is missing every table, said once
	// per table: ORDERS at the pool (the insert reads it too), ORDER_LINES
	// at the query that reads it; statements on no table still prepare.
	got := summaries(targets(t, sqliteFiles(path, body)))
	want := []string{"Table not found @9", "Table not found @22"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestTargetsUnwritablePath(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "nodir", "t.db"), filepath.Join(file, "t.db"), dir} {
		diags := targets(t, sqliteFiles(path, "  query \"q\" {\n    sql = \"SELECT 1\"\n  }"))
		if len(diags) != 1 || diags[0].Summary != "SQLite path not writable" || diags[0].Subject.Start.Line != 2 || !diags.HasErrors() {
			t.Errorf("%s: got %v", path, summaries(diags))
		}
		// At plan time it is a warning about this machine.
		diags = targetsWith(t, sqliteFiles(path, "  query \"q\" {\n    sql = \"SELECT 1\"\n  }"), preflight.TargetOptions{AtPlan: true})
		if len(diags) != 1 || diags.HasErrors() {
			t.Errorf("%s at plan: got %v", path, summaries(diags))
		}
	}
}

func TestTargetsRedactSensitiveValues(t *testing.T) {
	path := makeDB(t)
	src := `variable "table" {
  default   = "SECRET_ORDERS_TABLE"
  sensitive = true
}
` + strings.Replace(sqliteFiles(path, `
  pool "keys" {
    column = "id"
    size   = 10
  }
  query "q" {
    sql  = "SELECT 1 WHERE 1 = ?"
    args = [pool.keys]
  }`), `table      = "ORDERS"`, `table      = var.table`, 1)
	diags := targets(t, src)
	if len(diags) != 1 || diags[0].Summary != "Table not found" {
		t.Fatalf("got %v", summaries(diags))
	}
	if strings.Contains(diags[0].Detail, "SECRET_ORDERS_TABLE") {
		t.Errorf("the sensitive table name is in the message: %s", diags[0].Detail)
	}
}
