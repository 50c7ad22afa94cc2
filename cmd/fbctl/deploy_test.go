package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/flakebench/fbctl/engine/deploy"
	"github.com/google/go-cmp/cmp"
	"github.com/urfave/cli/v2"
)

// goldenDeployments are the renderings kept in testdata/deploy: a shipped
// scenario per target, rendered through the CLI from the repository root.
var goldenDeployments = []struct {
	name string
	args []string
}{
	{"postgres_oltp.kubernetes.yaml", []string{"deploy", "render", "kubernetes", "-run-id", "golden-pg", "-image", "registry.example.com/fb/fbctl:1.0.0", "-namespace", "bench", "-var", "pg_host=pg.bench.svc", "scenarios/postgres_oltp.fb.hcl"}},
	{"snowflake_hybrid.spcs.sql", []string{"deploy", "render", "spcs", "-run-id", "golden-sf", "-image", "/fb/ops/images/fbctl:1.0.0", "-schema", "FB.OPS", "-query-warehouse", "FB_CTRL_WH", "-var", "hybrid_connections=96", "scenarios/snowflake_hybrid.fb.hcl"}},
}

// runAtRoot runs fbctl with args from the repository root, with a clean
// environment for the variables the shipped scenarios read.
func runAtRoot(t *testing.T, env map[string]string, args ...string) (string, string, int) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"PGPASSWORD", "SNOWFLAKE_ACCOUNT", "SNOWFLAKE_USER", "SNOWFLAKE_PASSWORD", "SNOWFLAKE_ROLE", "FLAKEBENCH_RESULTS"} {
		v, ok := env[k]
		if ok {
			t.Setenv(k, v)
		} else {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	wd, _ := os.Getwd()
	if err := os.Chdir(root); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var stdout, stderr bytes.Buffer
	code := runCLI(context.Background(), append([]string{"fbctl", "-no-color"}, args...), strings.NewReader(""), &stdout, &stderr)
	return stdout.String(), stderr.String(), code
}

// TestGoldenDeployments compares the renderings with testdata/deploy.
// Rewrite them with `go test ./cmd/fbctl -run TestGoldenDeployments
// -update` (or make golden) and review the diff.
func TestGoldenDeployments(t *testing.T) {
	secrets := map[string]string{"PGPASSWORD": "golden-pg-Secret", "SNOWFLAKE_PASSWORD": "golden-sf-Secret", "SNOWFLAKE_ACCOUNT": "golden-acct"}
	for _, g := range goldenDeployments {
		t.Run(g.name, func(t *testing.T) {
			stdout, stderr, code := runAtRoot(t, secrets, g.args...)
			if code != exitOK {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			for k, v := range secrets {
				if strings.Contains(stdout, v) {
					t.Errorf("the rendering holds the value of %s", k)
				}
			}
			golden := filepath.Join("..", "..", "testdata", "deploy", g.name)
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if d := cmp.Diff(string(want), stdout); d != "" {
				t.Errorf("rendering differs from %s (-want +got):\n%s", golden, d)
			}
		})
	}
}

// TestDeployedCommandsParse checks the fbctl command lines the containers
// run against this fbctl's own commands: every flag they pass exists.
func TestDeployedCommandsParse(t *testing.T) {
	app := newApp(strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, nil)
	commands := map[string]*cli.Command{}
	for _, c := range app.Commands {
		commands[c.Name] = c
	}
	argLists := regexp.MustCompile(`(?m)^(\s*)- args:\n((?:\s*- .*\n)+)`)
	for _, g := range goldenDeployments {
		stdout, stderr, code := runAtRoot(t, nil, g.args...)
		if code != exitOK {
			t.Fatalf("%s: exit %d:\n%s", g.name, code, stderr)
		}
		lists := argLists.FindAllStringSubmatch(stdout, -1)
		if len(lists) != 2 {
			t.Fatalf("%s: found %d command lines, want 2", g.name, len(lists))
		}
		for _, l := range lists {
			var args []string
			for _, line := range strings.Split(strings.TrimSpace(l[2]), "\n") {
				args = append(args, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- ")))
			}
			cmd := commands[args[0]]
			if cmd == nil {
				t.Fatalf("%s: no command %q", g.name, args[0])
			}
			flags := map[string]bool{}
			for _, f := range cmd.Flags {
				for _, n := range f.Names() {
					flags[n] = true
				}
			}
			for _, a := range args[1:] {
				if strings.HasPrefix(a, "-") && !flags[strings.TrimLeft(a, "-")] {
					t.Errorf("%s: %s has no flag %s (args %v)", g.name, args[0], a, args)
				}
			}
		}
	}
}

// TestRenderToDirectoryAndGeneratedRunID writes one file per object and
// prints the generated run id.
func TestRenderToDirectoryAndGeneratedRunID(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, code := runAtRoot(t, nil, "deploy", "render", "kubernetes", "-o", dir, "scenarios/postgres_oltp.fb.hcl")
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	m := regexp.MustCompile(`Run id (\S+) \(generated`).FindStringSubmatch(stderr)
	if m == nil || deploy.CheckRunID(m[1]) != nil || !strings.HasPrefix(m[1], "postgres-oltp-") {
		t.Fatalf("no valid generated run id in:\n%s", stderr)
	}
	for _, f := range []string{"configmap.yaml", "orchestrator-job.yaml", "workers-job.yaml"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || !strings.Contains(string(b), "flakebench.io/run-id: "+m[1]) {
			t.Errorf("%s: %v, or no run id label", f, err)
		}
	}
	if !strings.Contains(stdout, "kubectl create secret generic fbctl --from-literal=FLAKEBENCH_RESULTS=... --from-literal=PGPASSWORD=...") {
		t.Errorf("the notes do not say which Secret to create:\n%s", stdout)
	}

	// SPCS writes the files next to the SQL, and PUT reads them there.
	stdout, stderr, code = runAtRoot(t, nil, "deploy", "render", "spcs", "-o", dir, "-run-id", "r7", "-var", "hybrid_rows=5000", "scenarios/snowflake_hybrid.fb.hcl")
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	sql, err := os.ReadFile(filepath.Join(dir, "spcs.sql"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"snowflake_hybrid.fb.hcl", deploy.VarsFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Errorf("%s not written: %v", f, err)
		}
		if !strings.Contains(string(sql), "PUT 'file://"+filepath.Join(dir, f)+"' @FBCTL_STAGE/r7/") {
			t.Errorf("no PUT of %s in:\n%s", f, sql)
		}
	}
}

func TestDeployRefusesSeveralScenarios(t *testing.T) {
	_, stderr, code := runAtRoot(t, nil, "deploy", "render", "kubernetes", "scenarios/postgres_oltp.fb.hcl", "scenarios/find_max.fb.hcl")
	if code != exitError || !strings.Contains(stderr, "choose it with -scenario NAME") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
	_, stderr, code = runAtRoot(t, nil, "deploy", "render", "kubernetes", "scenarios/quickstart.fb.hcl")
	if code != exitError || !strings.Contains(stderr, "SQLite") || !strings.Contains(stderr, "quickstart.fb.hcl:") {
		t.Errorf("an SQLite scenario: exit %d:\n%s", code, stderr)
	}
}

// TestPlanShowsTheDeployment: plan -deploy prints the rendering after the
// plan, for review.
func TestPlanShowsTheDeployment(t *testing.T) {
	store := "sqlite:" + filepath.Join(t.TempDir(), "store.db")
	stdout, stderr, code := runAtRoot(t, nil, "plan", "-results", store, "-deploy", "kubernetes", "-deploy-image", "registry.example.com/fbctl:2", "scenarios/postgres_oltp.fb.hcl")
	if code != exitOK {
		t.Fatalf("exit %d:\n%s", code, stderr)
	}
	planAt := strings.Index(stdout, "postgres_oltp")
	deployAt := strings.Index(stdout, "Deployment of scenario \"postgres_oltp\" on kubernetes")
	if planAt < 0 || deployAt < planAt || !strings.Contains(stdout[deployAt:], "completionMode: Indexed") ||
		!strings.Contains(stdout[deployAt:], "image: registry.example.com/fbctl:2") {
		t.Errorf("plan -deploy output:\n%s", stdout)
	}
	stdout, stderr, code = runAtRoot(t, nil, "plan", "-results", store, "-deploy", "spcs", "-deploy-image", "/fb/ops/images/fbctl:2", "scenarios/postgres_oltp.fb.hcl")
	if code != exitOK || !strings.Contains(stdout, "EXECUTE JOB SERVICE") {
		t.Errorf("plan -deploy spcs: exit %d\n%s\n%s", code, stdout, stderr)
	}
	_, stderr, code = runAtRoot(t, nil, "plan", "-results", store, "-json", "-deploy", "kubernetes", "scenarios/postgres_oltp.fb.hcl")
	if code != exitError || !strings.Contains(stderr, "-json") {
		t.Errorf("plan -json -deploy: exit %d\n%s", code, stderr)
	}
}
