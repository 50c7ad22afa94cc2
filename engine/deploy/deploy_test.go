package deploy

import (
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/flakebench/fbctl/internal/ociimage"
	"github.com/hashicorp/hcl/v2"
)

// Secret values the tests put in the environment and variables; none may
// appear in any rendering.
var testSecrets = map[string]string{
	"PGPASSWORD":         "pg-Secret-value-1",
	"SNOWFLAKE_PASSWORD": "sf-Secret-value-2",
	"SNOWFLAKE_USER":     "sf-user-value-3",
	"SNOWFLAKE_ACCOUNT":  "acct-value-4",
	"FLAKEBENCH_RESULTS": "postgres://u:results-Secret-5@db/fb",
	"FB_VAR_pg_password": "pg-Secret-var-6",
}

// testCase is a scenario the renderers are tested on.
type testCase struct {
	name string
	path string
	vars []string
}

var testCases = []testCase{
	{"postgres_oltp", "../../scenarios/postgres_oltp.fb.hcl", nil},
	{"snowflake_hybrid", "../../scenarios/snowflake_hybrid.fb.hcl", []string{"hybrid_connections=96"}},
	{"fifty_workers", "testdata/fifty_workers.fb.hcl", []string{"rate=6000"}},
}

// load loads the files and builds the plan as fbctl plan does, with the
// test secrets in the environment.
func load(t *testing.T, tc testCase) (*dsl.Config, engine.RunPlan) {
	t.Helper()
	cfg, diags := dsl.Load([]string{tc.path}, dsl.LoadOptions{Vars: tc.vars, LookupEnv: func(k string) (string, bool) {
		v, ok := testSecrets[k]
		return v, ok
	}})
	if diags.HasErrors() {
		t.Fatalf("load %s: %s", tc.path, diags.Error())
	}
	plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{ToolVersion: "test"})
	if diags.HasErrors() {
		t.Fatalf("plan %s: %s", tc.path, diags.Error())
	}
	if len(plan.Runs) != 1 {
		t.Fatalf("%s: %d runs, want 1", tc.path, len(plan.Runs))
	}
	return cfg, plan.Runs[0]
}

func render(t *testing.T, target string, tc testCase, o Options) (*Rendering, *dsl.Config, engine.RunPlan) {
	t.Helper()
	cfg, rp := load(t, tc)
	if o.RunID == "" {
		o.RunID = "run-" + strings.ReplaceAll(tc.name, "_", "-")
	}
	if o.Image == "" {
		o.Image = "/fb/ops/images/fbctl:1.0.0"
	}
	o.ToolVersion = "1.0.0"
	r, diags := Render(target, rp, cfg, o)
	if diags.HasErrors() {
		t.Fatalf("render %s for %s: %s", tc.name, target, diags.Error())
	}
	return r, cfg, rp
}

// expectedEnv is what the containers must get from secrets: every env()
// name of the files, FB_VAR_ for sensitive variables given outside them,
// FLAKEBENCH_RESULTS without a results block.
func expectedEnv(cfg *dsl.Config) []string {
	set := map[string]bool{}
	for _, r := range cfg.EnvRefs() {
		set[r.Name] = true
	}
	for _, v := range cfg.Variables {
		if v.Sensitive && v.Source != "default" {
			set["FB_VAR_"+v.Name] = true
		}
	}
	if cfg.Results == nil {
		set[ResultsEnv] = true
	}
	var out []string
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// TestNoSecretValueIsRendered renders every test case for both targets
// with secret values in the environment and in a sensitive variable.
func TestNoSecretValueIsRendered(t *testing.T) {
	for _, tc := range testCases {
		for _, target := range Targets {
			r, _, _ := render(t, target, tc, Options{})
			blobs := map[string][]byte{"stream": r.Stream}
			for _, ob := range r.Objects {
				blobs[ob.File] = ob.Body
			}
			for name, b := range blobs {
				for k, v := range testSecrets {
					if strings.Contains(string(b), v) {
						t.Errorf("%s/%s: %s holds the value of %s", tc.name, target, name, k)
					}
				}
			}
		}
	}
}

func renderSource(t *testing.T, target, src string, vars ...string) hcl.Diagnostics {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.fb.hcl")
	cfg, diags := dsl.LoadSources(map[string][]byte{path: []byte(src)}, dsl.LoadOptions{Vars: vars, LookupEnv: func(string) (string, bool) { return "", false }})
	if diags.HasErrors() {
		t.Fatalf("load: %s", diags.Error())
	}
	plan, diags := engine.BuildPlan(cfg, nil, engine.PlanOptions{})
	if diags.HasErrors() {
		t.Fatalf("plan: %s", diags.Error())
	}
	_, diags = Render(target, plan.Runs[0], cfg, Options{RunID: "r1", Image: "/a/b/c/fbctl:1"})
	return diags
}

const refusedTemplate = `
CONNECTION
template "t" {
  connection = connection.CONN
  table      = "t"
  table_type = "TYPE"
  query "q" {
    sql = "SELECT 1"
  }
}
scenario "s" {
  template = template.t
  phase "p" {
    duration    = "1m"
    connections = 4
    workers     = 2
  }
}
`

func scenarioWith(conn, ref, tableType string) string {
	s := strings.Replace(refusedTemplate, "CONNECTION", conn, 1)
	s = strings.Replace(s, "CONN", ref, 1)
	return strings.Replace(s, "TYPE", tableType, 1)
}

// TestRefusals: what cannot be deployed is a located diagnostic, and
// nothing is rendered.
func TestRefusals(t *testing.T) {
	cases := []struct {
		name, src, summary string
		line               int
		vars               []string
	}{
		{"literal password", scenarioWith("connection \"postgres\" \"pg\" {\n  host     = \"db\"\n  password = \"hunter2-literal\"\n}", "postgres.pg", "postgres"),
			"Secret in the rendered deployment", 2, nil},
		{"sensitive default", "variable \"pw\" {\n  sensitive = true\n  default   = \"in-the-file\"\n}\n" + scenarioWith("connection \"postgres\" \"pg\" {\n  host     = \"db\"\n  password = var.pw\n}", "postgres.pg", "postgres"),
			"Secret in the rendered deployment", 1, nil},
		{"sqlite target", scenarioWith("connection \"sqlite\" \"lite\" {\n  path = \"x.db\"\n}", "sqlite.lite", "sqlite"),
			"SQLite target in a deployment", 2, nil},
		{"env name not literal", "variable \"n\" {\n  default = \"PW\"\n}\n" + scenarioWith("connection \"postgres\" \"pg\" {\n  host     = \"db\"\n  password = env(var.n)\n}", "postgres.pg", "postgres"),
			"env() name is not a literal", 7, nil},
	}
	for _, c := range cases {
		for _, target := range Targets {
			diags := renderSource(t, target, c.src, c.vars...)
			if !diags.HasErrors() {
				t.Errorf("%s/%s: rendered", c.name, target)
				continue
			}
			d := diags[0]
			if d.Summary != c.summary || d.Subject == nil || d.Subject.Start.Line != c.line {
				t.Errorf("%s/%s: got %q at %v, want %q on line %d", c.name, target, d.Summary, d.Subject, c.summary, c.line)
			}
		}
	}
}

func TestRunID(t *testing.T) {
	for _, id := range []string{"r1", "postgres-oltp-20261202-101500-7f3a", strings.Repeat("a", MaxRunIDLength)} {
		if err := CheckRunID(id); err != nil {
			t.Errorf("CheckRunID(%q): %v", id, err)
		}
	}
	for _, id := range []string{"", "R1", "run_1", "-r", "r-", strings.Repeat("a", MaxRunIDLength+1), "a.b"} {
		if err := CheckRunID(id); err == nil {
			t.Errorf("CheckRunID(%q) accepted it", id)
		}
	}
	a := NewRunID("Postgres_OLTP scenario with a long name", timeFixed)
	b := NewRunID("Postgres_OLTP scenario with a long name", timeFixed)
	if err := CheckRunID(a); err != nil || a == b || !strings.HasPrefix(a, "postgres-oltp-sc-20261202-101500-") {
		t.Errorf("NewRunID = %q, %q (%v)", a, b, err)
	}
}

// TestImageConstants keeps the pods' user and home those of the image.
func TestImageConstants(t *testing.T) {
	if imageUID != ociimage.UID || imageHome != ociimage.Home {
		t.Errorf("deploy uses %d and %s, the image %d and %s", imageUID, imageHome, ociimage.UID, ociimage.Home)
	}
	if gid := ociimage.GID; gid != imageUID {
		t.Errorf("deploy uses group %d, the image %d", imageUID, gid)
	}
}

func TestWorkerResources(t *testing.T) {
	cases := []struct {
		conns int64
		rate  float64
		o     Options
		want  resources
	}{
		{1, 0, Options{}, resources{300, 192}},
		{100, 100, Options{}, resources{400, 256}},
		{100, 120, Options{}, resources{450, 256}},
		{1600, 2000, Options{}, resources{2850, 1728}},
		{100, 0, Options{WorkerCPU: "1.5", WorkerMemory: "1Gi"}, resources{1500, 1024}},
		{100, 0, Options{WorkerCPU: "750m", WorkerMemory: "600M"}, resources{750, 573}},
	}
	for _, c := range cases {
		got, err := workerResources(c.conns, c.rate, c.o)
		if err != nil || got != c.want {
			t.Errorf("workerResources(%d, %g, %+v) = %+v, %v; want %+v", c.conns, c.rate, c.o, got, err, c.want)
		}
	}
	for _, bad := range []Options{{WorkerCPU: "lots"}, {WorkerCPU: "-1"}, {WorkerMemory: "12"}, {WorkerMemory: "xGi"}} {
		if _, err := workerResources(1, 0, bad); err == nil {
			t.Errorf("workerResources accepted %+v", bad)
		}
	}
}

func TestSizePool(t *testing.T) {
	cases := []struct {
		workers int64
		w       resources
		family  string
		want    string
		perNode int64
		nodes   int64
	}{
		{50, resources{400, 256}, "", "CPU_X64_M", 13, 4},
		{50, resources{400, 256}, "CPU_X64_XS", "CPU_X64_XS", 2, 26},
		{50, resources{400, 256}, "CPU_X64_S", "CPU_X64_S", 6, 9},
		{7, resources{2850, 1728}, "", "CPU_X64_M", 1, 8},
		{2, resources{1000, 512}, "", "CPU_X64_M", 5, 1},
		{1, resources{300, 192}, "", "CPU_X64_XS", 3, 1},
	}
	for _, c := range cases {
		p, err := sizePool(c.workers, c.w, c.family)
		if err != nil || p.Family.Name != c.want || p.WorkersPerNode != c.perNode || p.Nodes != c.nodes {
			t.Errorf("sizePool(%d, %+v, %q) = %+v, %v; want %s, %d per node, %d nodes", c.workers, c.w, c.family, p, err, c.want, c.perNode, c.nodes)
		}
		// Every worker and the orchestrator have a slot.
		if err == nil && p.Nodes*p.WorkersPerNode < c.workers+1 {
			t.Errorf("sizePool(%d): %d nodes of %d slots", c.workers, p.Nodes, p.WorkersPerNode)
		}
	}
	if _, err := sizePool(1000, resources{900, 256}, ""); err == nil {
		t.Error("sizePool fitted 1000 workers of 0.9 vCPU into one pool")
	}
	if _, err := sizePool(1, resources{7000, 256}, ""); err == nil {
		t.Error("sizePool fitted a 7-vCPU worker")
	}
}
