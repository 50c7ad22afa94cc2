package deploy

import (
	"fmt"
	"maps"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
)

// inputs is what a run needs inside a container, gathered once for both
// renderers.
type inputs struct {
	run   engine.RunPlan
	files []scenarioFile // by name
	// varsFile is the VarsFile body; nil when every variable has its
	// default.
	varsFile []byte
	env      []envVar // by name
	secrets  []secretValue
	// connTypes are the types of the connections the run uses (targets
	// and the results store).
	connTypes map[string]bool
	// maxConns is the most connections any worker opens in any node,
	// maxRate its largest rate share (ops/s).
	maxConns int64
	maxRate  float64
}

type scenarioFile struct {
	name string // base name: the ConfigMap key and the file in ScenarioDir
	path string // as loaded
	body []byte
}

// envVar is one environment variable the containers get from a secret.
type envVar struct {
	Name string
	// Optional: every env() call reading it has a fallback, so a missing
	// key is not an error.
	Optional bool
	// For says what reads it, for comments: "connection.postgres.oltp",
	// "variable password (sensitive)", "the results store".
	For []string
}

// secretValue is a value that must never be rendered.
type secretValue struct {
	what  string
	value string
	rng   *hcl.Range
}

// ResultsEnv is the environment variable that names the results store
// when the files have no results block.
const ResultsEnv = "FLAKEBENCH_RESULTS"

var configMapKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)

func collect(rp engine.RunPlan, cfg *dsl.Config, o Options) (*inputs, hcl.Diagnostics) {
	in := &inputs{run: rp, connTypes: map[string]bool{}}
	var diags hcl.Diagnostics
	diags = append(diags, in.collectFiles(cfg)...)
	diags = append(diags, in.collectConnections(cfg)...)
	diags = append(diags, in.collectEnv(cfg)...)
	vf, err := varsFile(cfg)
	if err != nil {
		diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot write the variables file", Detail: err.Error()})
	}
	in.varsFile = vf
	// Sensitive variables first: a value that flows from one into a
	// connection is reported where it is written.
	for _, n := range slices.Sorted(maps.Keys(cfg.Variables)) {
		if v := cfg.Variables[n]; v.Sensitive {
			if s, ok := v.Value.(string); ok {
				in.secrets = append(in.secrets, secretValue{what: "the sensitive variable " + n, value: s, rng: rangePtr(v.DeclRange)})
			}
		}
	}
	for _, key := range cfg.ConnectionOrder {
		c := cfg.Connections[key]
		for _, k := range c.SecretNames() {
			in.secrets = append(in.secrets, secretValue{what: fmt.Sprintf("the %s of connection.%s", k, key), value: c.Secrets[k], rng: rangePtr(c.DeclRange)})
		}
	}
	for _, n := range rp.Nodes {
		var as []engine.WorkerAssignment
		switch {
		case n.Warmup != nil:
			as = n.Warmup.Assignments
		case n.Phase != nil:
			as = n.Phase.Assignments
		}
		for _, a := range as {
			in.maxConns = max(in.maxConns, a.Load.Sessions, a.Load.MaxSessions)
			in.maxRate = max(in.maxRate, a.Load.Rate)
		}
	}
	return in, diags
}

func rangePtr(r hcl.Range) *hcl.Range { return &r }

// collectFiles takes the scenario files by base name: the containers load
// them from one directory.
func (in *inputs) collectFiles(cfg *dsl.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	seen := map[string]string{}
	for _, p := range slices.Sorted(maps.Keys(cfg.Sources)) {
		base := filepath.Base(p)
		switch {
		case !strings.HasSuffix(base, dsl.FileSuffix):
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Scenario file name",
				Detail: fmt.Sprintf("The file %s does not end in %s, so the containers, which load every %s file of %s, would skip it. Rename it.", p, dsl.FileSuffix, dsl.FileSuffix, ScenarioDir)})
			continue
		case !configMapKey.MatchString(base):
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Scenario file name",
				Detail: fmt.Sprintf("The file name %q cannot be a ConfigMap key (letters, digits, '-', '_' and '.'). Rename it.", base)})
			continue
		}
		if prev, ok := seen[base]; ok {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Two scenario files with one name",
				Detail: fmt.Sprintf("The files %s and %s are both %s in the containers' %s. Rename one.", prev, p, base, ScenarioDir)})
			continue
		}
		seen[base] = p
		in.files = append(in.files, scenarioFile{name: base, path: p, body: cfg.Sources[p]})
	}
	return diags
}

// collectConnections checks the connections the run uses: every worker
// runs in its own container, so an SQLite file cannot be shared.
func (in *inputs) collectConnections(cfg *dsl.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	used := map[string]bool{}
	for _, n := range in.run.Nodes {
		if n.Phase == nil {
			continue
		}
		if t := cfg.Templates[n.Phase.Template]; t != nil {
			used[t.Connection] = true
		}
	}
	for _, k := range slices.Sorted(maps.Keys(used)) {
		c := cfg.Connections[k]
		if c == nil {
			continue
		}
		in.connTypes[c.Type] = true
		if c.Type == dsl.ConnSQLite {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "SQLite target in a deployment",
				Detail:  fmt.Sprintf("The run targets connection.%s, an SQLite file; each deployed worker runs in its own container and would benchmark a file of its own. Deploy scenarios that target Postgres or Snowflake.", k),
				Subject: rangePtr(c.DeclRange)})
		}
	}
	if cfg.Results != nil {
		if c := cfg.Connections[cfg.Results.Connection]; c != nil {
			in.connTypes[c.Type] = true
			if c.Type == dsl.ConnSQLite {
				diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "SQLite results store in a deployment",
					Detail:  "The orchestrator and the workers run in separate containers and meet only in the results store, which must be shared: use a Postgres or Snowflake connection in the results block.",
					Subject: rangePtr(cfg.Results.DeclRange)})
			}
		}
	}
	return diags
}

// collectEnv lists the environment the containers need from secrets:
// every env() the files read, FB_VAR_<name> for each sensitive variable
// given outside the files, and FLAKEBENCH_RESULTS without a results block.
func (in *inputs) collectEnv(cfg *dsl.Config) hcl.Diagnostics {
	var diags hcl.Diagnostics
	byName := map[string]*envVar{}
	add := func(name string, optional bool, what string) {
		v := byName[name]
		if v == nil {
			v = &envVar{Name: name, Optional: optional}
			byName[name] = v
		}
		v.Optional = v.Optional && optional
		for _, f := range v.For {
			if f == what {
				return
			}
		}
		v.For = append(v.For, what)
	}
	for _, r := range cfg.EnvRefs() {
		if r.Name == "" {
			diags = append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "env() name is not a literal",
				Detail:  "A deployment passes every environment variable the files read from a secret, so it must know their names: write env(\"NAME\") with a literal name.",
				Subject: rangePtr(r.Range)})
			continue
		}
		what := r.Block
		if what == "" {
			what = "a top-level attribute"
		}
		add(r.Name, r.HasDefault, what)
	}
	for _, v := range cfg.Variables {
		if v.Sensitive && v.Source != "default" {
			add(dsl.EnvVarPrefix+v.Name, false, "variable."+v.Name+" (sensitive)")
		}
	}
	if cfg.Results == nil {
		add(ResultsEnv, false, "the results store: the files have no results block")
	}
	for _, n := range slices.Sorted(maps.Keys(byName)) {
		in.env = append(in.env, *byName[n])
	}
	return diags
}

// varsFile writes the non-sensitive variable values that did not come
// from the files' defaults, so the containers load exactly what was
// planned. Sensitive ones come from the environment instead.
func varsFile(cfg *dsl.Config) ([]byte, error) {
	var names []string
	for _, n := range slices.Sorted(maps.Keys(cfg.Variables)) {
		if v := cfg.Variables[n]; v.Source != "default" && !v.Sensitive {
			names = append(names, n)
		}
	}
	if len(names) == 0 {
		return nil, nil
	}
	f := hclwrite.NewEmptyFile()
	for _, n := range names {
		val, err := dsl.GoToCty(cfg.Variables[n].Value)
		if err != nil {
			return nil, fmt.Errorf("variable %s: %w", n, err)
		}
		f.Body().SetAttributeValue(n, val)
	}
	head := "# Variable values given when this deployment was rendered (-var, -var-file, FB_VAR_*).\n" +
		"# Sensitive variables are not here: the containers get them as FB_VAR_<name> from a secret.\n"
	return append([]byte(head), hclwrite.Format(f.Bytes())...), nil
}

// workerArgs and orchestratorArgs are the fbctl command lines.
func (in *inputs) workerArgs(o Options, extra ...string) []string {
	args := []string{"worker", "-run", o.RunID, "-wait", o.JoinTimeout.String()}
	args = append(args, extra...)
	return append(args, in.loadArgs()...)
}

func (in *inputs) orchestratorArgs(o Options) []string {
	args := []string{"apply", "-auto-approve", "-workers", "external", "-run-id", o.RunID,
		"-scenario", in.run.Scenario, "-join-timeout", o.JoinTimeout.String()}
	return append(args, in.loadArgs()...)
}

func (in *inputs) loadArgs() []string {
	var args []string
	if in.varsFile != nil {
		args = append(args, "-var-file", ScenarioDir+"/"+VarsFile)
	}
	return append(args, ScenarioDir)
}
