package deploy

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine"
	"github.com/hashicorp/hcl/v2"
)

// Targets.
const (
	Kubernetes = "kubernetes"
	SPCS       = "spcs"
)

// Targets lists the targets Render knows.
var Targets = []string{Kubernetes, SPCS}

// Where the scenario files are inside the containers.
const (
	ScenarioDir = "/etc/fbctl/scenario"
	// VarsFile holds the variable values given outside the files (-var,
	// -var-file, FB_VAR_*) that are not sensitive. Its name does not end
	// in .fb.hcl, so loading ScenarioDir skips it.
	VarsFile = "deploy.vars.hcl"
)

// Defaults for Options.
const (
	DefaultSecret      = "fbctl"
	DefaultJoinTimeout = 10 * time.Minute
	DefaultTTL         = 24 * time.Hour
	DefaultComputePool = "FBCTL_POOL"
	DefaultStage       = "FBCTL_STAGE"
)

// Options are the choices the plan does not make.
type Options struct {
	// RunID names the run (required; NewRunID makes one). Lowercase
	// letters, digits and '-', at most MaxRunIDLength.
	RunID string
	// Image is the fbctl image reference.
	Image string
	// ToolVersion is the fbctl version rendering (for labels and comments).
	ToolVersion string
	// Secret is the Kubernetes Secret holding the environment variables
	// (one key each), or the prefix of the Snowflake secret objects
	// (<SECRET>_<VARIABLE>). Default DefaultSecret.
	Secret string
	// JoinTimeout is how long the orchestrator waits for the workers (and
	// the workers for the run): image pulls and node start-up take time.
	JoinTimeout time.Duration
	// WorkerCPU and WorkerMemory override the computed requests
	// ("500m", "1.5"; "512Mi", "2Gi").
	WorkerCPU, WorkerMemory string

	// Kubernetes only.
	Namespace string        // "": the current namespace of kubectl
	TTL       time.Duration // ttlSecondsAfterFinished; 0: DefaultTTL

	// SPCS only.
	ComputePool    string   // default DefaultComputePool
	Stage          string   // stage for the files, without '@'; default DefaultStage
	Schema         string   // DB.SCHEMA qualifying the stage, services and secrets; "": the session's
	QueryWarehouse string   // QUERY_WAREHOUSE of the job services
	ExternalAccess []string // EXTERNAL_ACCESS_INTEGRATIONS
	InstanceFamily string   // "": the cheapest family that fits
	// FilesDir is where the PUT statements read the scenario files from
	// (the -o directory the files are written to); "": their paths as
	// loaded.
	FilesDir string
}

// Object is one rendered file.
type Object struct {
	// File is the object's file name under `-o DIR`.
	File string
	// Kind says what it is: "ConfigMap", "Job", "SQL", "ServiceSpec",
	// "ScenarioFile", "VarsFile".
	Kind string
	Body []byte
}

// Rendering is a rendered deployment.
type Rendering struct {
	Target string
	RunID  string
	// Objects in apply order. Stream is the single-stream form of the
	// same objects (for stdout): a multi-document YAML for Kubernetes, the
	// SQL script for SPCS.
	Objects []Object
	Stream  []byte
	// Notes are what a person must do before applying (secrets to create,
	// stage uploads), one line each.
	Notes []string
}

// MaxRunIDLength keeps every derived name within the 63 characters of a
// Kubernetes label value and DNS label (the workers' pod hostnames are
// fbctl-<id>-workers-<index>).
const MaxRunIDLength = 40

var runIDPattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)

// CheckRunID reports whether id can name a deployed run.
func CheckRunID(id string) error {
	if id == "" || len(id) > MaxRunIDLength || !runIDPattern.MatchString(id) {
		return fmt.Errorf("run id %q cannot name Kubernetes objects and SPCS services: use lowercase letters, digits and '-', starting and ending with a letter or digit, at most %d characters", id, MaxRunIDLength)
	}
	return nil
}

// NewRunID makes a run id from the scenario name and the time, with a
// random suffix: "postgres-oltp-20261202-101500-7f3a".
func NewRunID(scenario string, now time.Time) string {
	var b [2]byte
	_, _ = rand.Read(b[:])
	prefix := dnsName(scenario, 16)
	if prefix == "" {
		prefix = "run"
	}
	return prefix + "-" + now.UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// dnsName lowercases s, turns anything but [a-z0-9] into '-', and trims it
// to max characters without a leading or trailing '-'.
func dnsName(s string, max int) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	out := b.String()
	if len(out) > max {
		out = out[:max]
	}
	return strings.Trim(out, "-")
}

// Render renders the run for target. Problems with the files (a secret
// written into them, an SQLite target, an env() name that is not a
// literal) are diagnostics with the range they come from.
func Render(target string, rp engine.RunPlan, cfg *dsl.Config, o Options) (*Rendering, hcl.Diagnostics) {
	o = o.withDefaults()
	if err := CheckRunID(o.RunID); err != nil {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "Invalid run id", Detail: err.Error() + "."}}
	}
	if o.Image == "" {
		return nil, hcl.Diagnostics{{Severity: hcl.DiagError, Summary: "No image", Detail: "The deployment needs the fbctl image reference (-image REF); build and push one with `fbctl image build` and `fbctl image push`."}}
	}
	in, diags := collect(rp, cfg, o)
	if diags.HasErrors() {
		return nil, diags
	}
	var r *Rendering
	var err error
	switch target {
	case Kubernetes:
		r, err = renderKubernetes(in, o)
	case SPCS:
		r, err = renderSPCS(in, o)
	default:
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown deployment target",
			Detail: fmt.Sprintf("The target %q is not one of %s.", target, strings.Join(Targets, ", "))})
	}
	if err != nil {
		return nil, append(diags, &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Cannot render the deployment", Detail: err.Error()})
	}
	if d := in.secretLeak(r); d != nil {
		return nil, append(diags, d)
	}
	return r, diags
}

func (o Options) withDefaults() Options {
	if o.Secret == "" {
		o.Secret = DefaultSecret
	}
	if o.JoinTimeout <= 0 {
		o.JoinTimeout = DefaultJoinTimeout
	}
	if o.TTL <= 0 {
		o.TTL = DefaultTTL
	}
	if o.ComputePool == "" {
		o.ComputePool = DefaultComputePool
	}
	o.Stage = strings.TrimPrefix(o.Stage, "@")
	if o.Stage == "" {
		o.Stage = DefaultStage
	}
	return o
}

// secretLeak is the last check before anything is shown: no secret value
// of the loaded files (connection secrets, sensitive variables) may appear
// in any rendered byte. Values shorter than minSecretLen are too likely to
// match ordinary text to tell anything.
func (in *inputs) secretLeak(r *Rendering) *hcl.Diagnostic {
	all := [][]byte{r.Stream}
	for _, ob := range r.Objects {
		all = append(all, ob.Body)
	}
	for _, s := range in.secrets {
		if len(s.value) < minSecretLen {
			continue
		}
		for _, b := range all {
			if bytes.Contains(b, []byte(s.value)) {
				return &hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Secret in the rendered deployment",
					Detail: fmt.Sprintf("The value of %s appears in the rendered deployment, so nothing is rendered. "+
						"Read it with env(\"NAME\") (or a sensitive variable given outside the files) instead of writing it into a scenario file, and make sure no other setting has the same value.", s.what),
					Subject: s.rng}
			}
		}
	}
	return nil
}

const minSecretLen = 4
