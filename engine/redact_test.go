package engine

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/dsl"
)

const sensitiveSrc = `
variable "token" {
  sensitive = true
}
locals {
  derived = "prefix-${var.token}"
}
connection "postgres" "pg" {
  host     = "db"
  user     = "bench"
  password = var.token
  params   = { application_name = local.derived, search_path = "bench" }
}
template "t" {
  description = local.derived
  table       = "T"
  tags        = { token = var.token, team = "perf" }
  session     = { statement_timeout = "5s", app = var.token }
  pool "p" {
    values = [var.token, "other"]
  }
  query "q" {
    sql  = "SELECT * FROM T WHERE K = $1 AND N = $2 AND P = $3 AND C = $4 AND D = '${var.token}'"
    args = [var.token, uniform(1, 10), pool.p, choice([local.derived, "x"])]
  }
  query "plain" {
    sql  = "SELECT 1"
  }
}
scenario "s" {
  description = "plain"
  setup {
    sql = ["CREATE TABLE T (K TEXT)", "INSERT INTO T VALUES ('${var.token}')"]
  }
  teardown {
    sql = ["DROP TABLE T"]
  }
  phase "p" {
    duration    = "1s"
    connections = 1
  }
}
`

func loadSensitive(t *testing.T, token string) *dsl.Config {
	t.Helper()
	cfg, diags := dsl.LoadSources(map[string][]byte{"s.fb.hcl": []byte(sensitiveSrc)}, dsl.LoadOptions{
		LookupEnv: func(k string) (string, bool) { return token, k == "FB_VAR_token" },
	})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	return cfg
}

// Every value derived from a sensitive variable is a marker in CONFIG and
// in the plan (which is also what RUN_STATUS.PLAN and SCENARIO_SNAPSHOT
// store), the markers change with the value, and the model keeps the real
// values for the run.
func TestSensitiveValuesAreRedactedInConfigAndPlan(t *testing.T) {
	const token = "tok-4f1c9a2e-SECRET"
	cfg := loadSensitive(t, token)
	plan, diags := BuildPlan(cfg, nil, PlanOptions{})
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	all, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(all), "4f1c9a2e") {
		t.Fatalf("the plan holds the secret:\n%s", all)
	}
	payload := string(plan.Templates[0].Config)
	for _, want := range []string{
		`"description":"(sensitive, hash `, `"token":"(sensitive, hash `, `"team":"perf"`, `"app":"(sensitive, hash `,
		`"statement_timeout":"5s"`, `"values":"(sensitive, hash `, `"sql":"(sensitive, hash `, `"sql":"SELECT 1"`,
		`{"kind":"literal","sensitive":"(sensitive, hash `, `{"kind":"uniform","max":10,"min":1}`, `{"kind":"pool","pool":"p"}`,
		`{"kind":"choice","sensitive":"(sensitive, hash `, `"secret_attributes":["params.application_name","password"]`,
		`"params":{"search_path":"bench"}`,
	} {
		if !strings.Contains(payload, want) {
			t.Errorf("CONFIG lacks %s:\n%s", want, payload)
		}
	}
	setup := plan.Runs[0].Nodes[0]
	if setup.SQL[0] != "CREATE TABLE T (K TEXT)" || !IsRedacted(setup.SQL[1]) {
		t.Errorf("setup SQL in the plan: %q", setup.SQL)
	}
	if got := NodeSQL(cfg, "s", setup); got[1] != "INSERT INTO T VALUES ('"+token+"')" || got[0] != setup.SQL[0] {
		t.Errorf("NodeSQL = %q", got)
	}
	if q := cfg.Templates["t"].Queries["q"]; !strings.Contains(q.SQL, token) || q.Args[0].Literal != token {
		t.Errorf("the model lost the real values: %q %v", q.SQL, q.Args[0].Literal)
	}

	// Deterministic for the same value, different for another.
	again, _ := BuildPlan(loadSensitive(t, token), nil, PlanOptions{})
	other, _ := BuildPlan(loadSensitive(t, "tok-different"), nil, PlanOptions{})
	if again.Templates[0].Hash != plan.Templates[0].Hash {
		t.Error("the same secret gave another CONFIG hash")
	}
	if other.Templates[0].Hash == plan.Templates[0].Hash {
		t.Error("another secret gave the same CONFIG hash: a changed secret would be no change")
	}
	diff := DiffConfig(plan.Templates[0].Config, other.Templates[0].Config)
	paths := map[string]bool{}
	for _, c := range diff {
		paths[c.Path] = true
		if strings.Contains(c.String(), "tok-") {
			t.Errorf("diff shows a value: %s", c)
		}
	}
	for _, p := range []string{"description", "queries.q.sql", "tags.token", "pools.p.values", "queries.q.args[0].sensitive"} {
		if !paths[p] {
			t.Errorf("diff lacks %s: %v", p, diff)
		}
	}
	// Equal secrets in two places do not give equal markers.
	if Redacted("a", token) == Redacted("b", token) {
		t.Error("markers do not depend on the value's place")
	}
}

func TestRedactErrorHidesValuesInMessages(t *testing.T) {
	cfg := loadSensitive(t, "tok-4f1c9a2e-SECRET")
	err := cfg.RedactError(&testError{"syntax error at or near \"prefix-tok-4f1c9a2e-SECRET\""})
	if strings.Contains(err.Error(), "4f1c9a2e") || !strings.Contains(err.Error(), dsl.RedactedText) {
		t.Fatalf("RedactError: %v", err)
	}
	var te *testError
	if !errorsAs(err, &te) {
		t.Error("RedactError hides the original error from errors.As")
	}
}

type testError struct{ msg string }

func (e *testError) Error() string { return e.msg }

func errorsAs(err error, target any) bool { return errors.As(err, target) }
