package schema

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMigrationsPerDialect(t *testing.T) {
	for _, d := range Dialects {
		ms, err := Migrations(d)
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) == 0 || ms[0].Version != 1 {
			t.Fatalf("%s: want migrations starting at 1, got %+v", d, ms)
		}
		for i, m := range ms {
			if m.Version != i+1 {
				t.Errorf("%s: migration %d has version %d; versions must be contiguous", d, i, m.Version)
			}
		}
		if Latest(d) != ms[len(ms)-1].Version {
			t.Errorf("%s: Latest=%d", d, Latest(d))
		}
	}
	if _, err := Migrations("oracle"); err == nil {
		t.Fatal("unknown dialect accepted")
	}
	if Latest("oracle") != 0 {
		t.Fatal("Latest of unknown dialect is not 0")
	}
}

var createRe = regexp.MustCompile(`(?i)^CREATE\s+(HYBRID\s+)?(TABLE|INDEX)\s+IF NOT EXISTS\s+(\w+)`)

// addColumnRe matches ALTER TABLE … ADD COLUMN [IF NOT EXISTS] name: on
// Postgres and Snowflake IF NOT EXISTS is required; SQLite has no such
// clause, and its migrations run once, in a transaction with their
// SCHEMA_VERSION row.
var addColumnRe = regexp.MustCompile(`(?i)^ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(IF NOT EXISTS\s+)?(\w+)`)

// Every statement must be rerunnable, and all dialects must create the same
// tables with the same columns.
func TestSameTablesAndColumnsInEveryDialect(t *testing.T) {
	want := []string{"FLAKEBENCH_LOCKS", "LOCK_WAITS", "QUERY_AGGREGATES", "QUERY_EXECUTIONS", "RUN_CONTROL_EVENTS",
		"RUN_FINGERPRINTS", "RUN_LEASES", "RUN_STATUS", "RUN_TAGS", "SCHEMA_VERSION", "SERVER_SAMPLES", "TEST_RESULTS", "TEST_SCENARIOS",
		"TEST_TEMPLATES", "WORKER_HEARTBEATS", "WORKER_METRICS_SNAPSHOTS"}
	cols := map[string]map[string][]string{}
	for _, d := range Dialects {
		ms, _ := Migrations(d)
		cols[d] = map[string][]string{}
		for _, m := range ms {
			for _, st := range m.Statements() {
				st = stripComments(st)
				if ac := addColumnRe.FindStringSubmatch(st); ac != nil {
					if ac[2] == "" && d != "sqlite" {
						t.Errorf("%s %s: ADD COLUMN without IF NOT EXISTS: %.60s", d, m.Name, st)
					}
					cols[d][ac[1]] = append(cols[d][ac[1]], strings.ToUpper(ac[3]))
					continue
				}
				mm := createRe.FindStringSubmatch(st)
				if mm == nil {
					t.Errorf("%s %s: statement is not CREATE ... IF NOT EXISTS: %.60s", d, m.Name, st)
					continue
				}
				if strings.EqualFold(mm[2], "TABLE") {
					cols[d][mm[3]] = columnNames(st)
				}
			}
		}
		var got []string
		for name := range cols[d] {
			got = append(got, name)
		}
		slices.Sort(got)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s tables (-want +got):\n%s", d, diff)
		}
	}
	for _, d := range Dialects[1:] {
		if diff := cmp.Diff(cols["sqlite"], cols[d]); diff != "" {
			t.Errorf("columns differ between sqlite and %s (-sqlite +%s):\n%s", d, d, diff)
		}
	}
}

func TestSnowflakeControlPlaneIsHybrid(t *testing.T) {
	ms, _ := Migrations("snowflake")
	hybrid := map[string]bool{}
	for _, m := range ms {
		for _, st := range m.Statements() {
			if mm := createRe.FindStringSubmatch(stripComments(st)); mm != nil && mm[1] != "" {
				hybrid[mm[3]] = true
				if !strings.Contains(st, "PRIMARY KEY") {
					t.Errorf("hybrid table %s has no primary key", mm[3])
				}
			}
		}
	}
	for _, name := range []string{"TEST_TEMPLATES", "RUN_STATUS", "RUN_CONTROL_EVENTS", "WORKER_HEARTBEATS", "FLAKEBENCH_LOCKS", "SCHEMA_VERSION", "RUN_LEASES", "TEST_SCENARIOS", "RUN_TAGS"} {
		if !hybrid[name] {
			t.Errorf("%s is not a hybrid table on snowflake", name)
		}
	}
	for _, name := range []string{"TEST_RESULTS", "QUERY_EXECUTIONS", "WORKER_METRICS_SNAPSHOTS"} {
		if hybrid[name] {
			t.Errorf("%s should be a standard table", name)
		}
	}
}

func TestSplit(t *testing.T) {
	got := Split("-- head; comment\nCREATE TABLE a (x TEXT DEFAULT 'a;b');\n/* c; */ SELECT \"q;\"\n;\n-- tail only\n")
	want := []string{"-- head; comment\nCREATE TABLE a (x TEXT DEFAULT 'a;b')", "/* c; */ SELECT \"q;\""}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
}

func stripComments(st string) string {
	var b strings.Builder
	for _, line := range strings.Split(st, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			b.WriteString(line)
			b.WriteByte('\n')
		}
	}
	return strings.TrimSpace(b.String())
}

var colRe = regexp.MustCompile(`(?m)^\s+([A-Z_0-9]+)\s+[A-Z]`)

func columnNames(st string) []string {
	var out []string
	for _, m := range colRe.FindAllStringSubmatch(st, -1) {
		switch m[1] {
		case "PRIMARY", "UNIQUE", "INDEX":
			continue
		}
		out = append(out, m[1])
	}
	return out
}
