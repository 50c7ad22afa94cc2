package dsl

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEnvRefs(t *testing.T) {
	src := `
locals {
  region = env("FB_REGION", "eu")
}
connection "postgres" "pg" {
  host     = "db"
  password = env("PGPASSWORD")
  user     = lower(env("PGUSER", "bench"))
}
connection "snowflake" "sf" {
  account = env("SNOWFLAKE_ACCOUNT")
  params  = { QUERY_TAG = env("FB_TAG", "fb") }
  token   = env(local.region)
}
template "t" {
  connection = connection.postgres.pg
  table      = "t"
  table_type = "postgres"
  query "q" {
    sql = "SELECT 1"
  }
}
scenario "s" {
  template = template.t
  phase "p" {
    duration    = "1s"
    connections = 1
  }
}
`
	cfg, diags := LoadSources(map[string][]byte{"a.fb.hcl": []byte(src)}, LoadOptions{LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	type ref struct {
		Name, Block string
		HasDefault  bool
		Line        int
	}
	var got []ref
	for _, r := range cfg.EnvRefs() {
		got = append(got, ref{r.Name, r.Block, r.HasDefault, r.Range.Start.Line})
	}
	want := []ref{
		{"FB_REGION", "locals", true, 3},
		{"PGPASSWORD", "connection.postgres.pg", false, 7},
		{"PGUSER", "connection.postgres.pg", true, 8},
		{"SNOWFLAKE_ACCOUNT", "connection.snowflake.sf", false, 11},
		{"FB_TAG", "connection.snowflake.sf", true, 12},
		{"", "connection.snowflake.sf", false, 13}, // not a literal name
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("EnvRefs (-want +got):\n%s", d)
	}
}
