package main

// Typed arguments: each command reads its flags and positional arguments
// here, once, into a struct (Terraform's command/arguments model), checks
// the combinations that cannot work together, and passes the struct on.
// Helpers never read a flag by name.

import (
	"time"

	"github.com/flakebench/fbctl/engine/run"
	"github.com/urfave/cli/v2"
)

// storeArgs choose the results store: -results, or FLAKEBENCH_RESULTS.
type storeArgs struct {
	DSN string
	Set bool // -results or FLAKEBENCH_RESULTS was given; DSN may still be ""
}

func parseStoreArgs(c *cli.Context) storeArgs {
	return storeArgs{DSN: c.String("results"), Set: c.IsSet("results")}
}

// varArgs give variables values from outside the files.
type varArgs struct {
	Vars     []string
	VarFiles []string
}

func parseVarArgs(c *cli.Context) varArgs {
	return varArgs{Vars: c.StringSlice("var"), VarFiles: c.StringSlice("var-file")}
}

// streamArgs shape the QUERY_EXECUTIONS stream (apply, worker).
type streamArgs struct {
	Enabled    bool
	FlushEvery time.Duration
	FlushRows  int
	JournalDir string
	// JournalMaxBytes is each worker's spill-journal disk budget.
	JournalMaxBytes int64
	// Forward are the stream flags given explicitly, as they are passed on
	// to `fbctl worker` processes started by -workers local:N.
	Forward []string
}

func parseStreamArgs(c *cli.Context) (streamArgs, error) {
	s := streamArgs{Enabled: c.Bool("query-executions"), FlushEvery: c.Duration("flush-every"),
		FlushRows: c.Int("flush-rows"), JournalDir: c.String("journal-dir"), JournalMaxBytes: c.Int64("journal-max-bytes")}
	for _, name := range []string{"query-executions", "flush-every", "flush-rows", "journal-dir", "journal-max-bytes"} {
		if c.IsSet(name) {
			s.Forward = append(s.Forward, "-"+name+"="+c.String(name))
		}
	}
	switch {
	case s.FlushEvery <= 0:
		return s, usageError(c, "-flush-every %s: give a positive duration such as 5s.", s.FlushEvery)
	case s.FlushRows < 1:
		return s, usageError(c, "-flush-rows %d: give at least 1.", s.FlushRows)
	case !s.Enabled && (c.IsSet("flush-every") || c.IsSet("flush-rows")):
		return s, usageError(c, "-query-executions=false stores no query executions, so -flush-every and -flush-rows have nothing to flush; drop one or the other.")
	}
	return s, nil
}

// runArgs shape how the scenarios run (apply, standby).
type runArgs struct {
	Workers      string // as given, for messages
	Launch       run.LaunchMode
	Local        int // local:N: start N `fbctl worker` processes
	JoinTimeout  time.Duration
	StaleAfter   time.Duration
	DeadAfter    time.Duration
	DrainTimeout time.Duration
	Enrich       bool
	RunID        string
	LeaseTTL     time.Duration
	// ServerSampleEvery is how often server samples are taken; 0 is off.
	ServerSampleEvery time.Duration
}

func parseRunArgs(c *cli.Context) (runArgs, error) {
	r := runArgs{Workers: c.String("workers"), JoinTimeout: c.Duration("join-timeout"),
		StaleAfter: c.Duration("stale-after"), DeadAfter: c.Duration("dead-after"),
		DrainTimeout: c.Duration("drain-timeout"), Enrich: c.Bool("enrich"), RunID: c.String("run-id"),
		LeaseTTL: c.Duration("lease-ttl"), ServerSampleEvery: c.Duration("server-sample-every")}
	var err error
	if r.Launch, r.Local, err = parseLaunch(r.Workers); err != nil {
		return r, usageError(c, "%v.", err)
	}
	if r.DeadAfter <= r.StaleAfter {
		return r, usageError(c, "-dead-after %s must be longer than -stale-after %s: a worker is STALE before it is DEAD.", r.DeadAfter, r.StaleAfter)
	}
	if r.LeaseTTL <= 0 {
		return r, usageError(c, "-lease-ttl %s: give a positive duration such as 30s.", r.LeaseTTL)
	}
	return r, nil
}

type validateArgs struct {
	Paths []string
	JSON  bool
	Vars  varArgs
}

func parseValidateArgs(c *cli.Context) validateArgs {
	return validateArgs{Paths: pathsOrCwd(c), JSON: c.Bool("json"), Vars: parseVarArgs(c)}
}

func parseFmtArgs(c *cli.Context) (fmtArgs, error) {
	a := fmtArgs{check: c.Bool("check"), diff: c.Bool("diff"), recursive: c.Bool("recursive"), paths: pathsOrCwd(c)}
	a.write = !a.check
	for _, p := range a.paths {
		if p == "-" && len(a.paths) > 1 {
			return a, usageError(c, "'-' formats standard input alone; give it without other paths.")
		}
	}
	if len(a.paths) == 1 && a.paths[0] == "-" && (a.check || a.diff || a.recursive) {
		return a, usageError(c, "'-' formats standard input to standard output; -check, -diff and -recursive work on files.")
	}
	return a, nil
}

type planArgs struct {
	Paths            []string
	Scenarios        []string
	Out              string
	JSON             bool
	DetailedExitcode bool
	Prune            bool
	Deploy           string
	DeployImage      string
	Preflight        bool // the read-only target checks
	Store            storeArgs
	Vars             varArgs
}

func parsePlanArgs(c *cli.Context) (planArgs, error) {
	a := planArgs{Paths: pathsOrCwd(c), Scenarios: c.StringSlice("scenario"), Out: c.String("out"),
		JSON: c.Bool("json"), DetailedExitcode: c.Bool("detailed-exitcode"), Prune: c.Bool("prune"),
		Deploy: c.String("deploy"), DeployImage: c.String("deploy-image"), Preflight: c.Bool("preflight"),
		Store: parseStoreArgs(c), Vars: parseVarArgs(c)}
	switch {
	case a.Deploy != "" && a.JSON:
		return a, usageError(c, "-deploy shows YAML or SQL after the plan; it does not combine with -json.")
	case a.DeployImage != "" && a.Deploy == "":
		return a, usageError(c, "-deploy-image names the image of the deployment -deploy shows; give -deploy TARGET too.")
	}
	return a, nil
}

type applyArgs struct {
	// PlanFile is the saved plan to apply; "" when Paths are scenario files.
	PlanFile      string
	Paths         []string
	AutoApprove   bool
	TemplatesOnly bool
	Scenarios     []string
	Prune         bool
	LockTimeout   time.Duration
	Store         storeArgs
	Run           runArgs
	Stream        streamArgs
	Vars          varArgs
	// Tags are the -tag KEY=VALUE pairs stored with every run.
	Tags map[string]string
	// Preflight runs the read-only target checks before anything is written.
	Preflight bool
}

func parseApplyArgs(c *cli.Context) (applyArgs, error) {
	a := applyArgs{Paths: pathsOrCwd(c), AutoApprove: c.Bool("auto-approve"), TemplatesOnly: c.Bool("templates-only"),
		Scenarios: c.StringSlice("scenario"), Prune: c.Bool("prune"), LockTimeout: c.Duration("lock-timeout"),
		Store: parseStoreArgs(c), Vars: parseVarArgs(c), Preflight: c.Bool("preflight")}
	var err error
	if a.Tags, err = parseTags(c); err != nil {
		return a, err
	}
	if a.Run, err = parseRunArgs(c); err != nil {
		return a, err
	}
	if a.Stream, err = parseStreamArgs(c); err != nil {
		return a, err
	}
	for _, p := range c.Args().Slice() {
		if isPlanFile(p) {
			if c.NArg() > 1 {
				return a, usageError(c, "%s is a saved plan: apply it alone, without other paths (the plan names its own files).", p)
			}
			a.PlanFile = p
		}
	}
	if a.PlanFile != "" {
		for _, name := range []string{"scenario", "prune"} {
			if c.IsSet(name) {
				return a, usageError(c, "-%s cannot change a saved plan, which fixes its scenarios and removals; make a new plan with `fbctl plan -%s ... -out FILE`.", name, name)
			}
		}
	}
	if a.TemplatesOnly {
		for _, name := range []string{"workers", "run-id", "join-timeout"} {
			if c.IsSet(name) {
				return a, usageError(c, "-templates-only runs nothing, so -%s has nothing to do; drop one or the other.", name)
			}
		}
	}
	if a.LockTimeout < 0 {
		return a, usageError(c, "-lock-timeout %s: give zero (fail at once) or a positive duration.", a.LockTimeout)
	}
	return a, nil
}

type showArgs struct {
	Target string // a plan file or a run id
	JSON   bool
	Store  storeArgs
}

func parseShowArgs(c *cli.Context) (showArgs, error) {
	return showArgs{Target: c.Args().First(), JSON: c.Bool("json"), Store: parseStoreArgs(c)}, nil
}

type runsArgs struct {
	JSON     bool
	Scenario string
	Limit    int
	Store    storeArgs
}

func parseRunsArgs(c *cli.Context) (runsArgs, error) {
	a := runsArgs{JSON: c.Bool("json"), Scenario: c.String("scenario"), Limit: c.Int("limit"), Store: parseStoreArgs(c)}
	if a.Limit < 1 {
		return a, usageError(c, "-limit %d: give at least 1.", a.Limit)
	}
	return a, nil
}

type templatesArgs struct {
	JSON  bool
	Store storeArgs
}

func parseTemplatesArgs(c *cli.Context) templatesArgs {
	return templatesArgs{JSON: c.Bool("json"), Store: parseStoreArgs(c)}
}

// schemaArgs are schema apply's and schema status's.
type schemaArgs struct {
	Paths []string // the files whose results block chooses the store; none: the current directory's
	Store storeArgs
	Vars  varArgs
}

func parseSchemaArgs(c *cli.Context) schemaArgs {
	return schemaArgs{Paths: c.Args().Slice(), Store: parseStoreArgs(c), Vars: parseVarArgs(c)}
}

type workerArgs struct {
	Paths             []string
	RunID             string
	ID                string
	Wait              time.Duration
	OrchestratorGrace time.Duration
	LeaseTTL          time.Duration
	Store             storeArgs
	Stream            streamArgs
	Vars              varArgs
}

func parseWorkerArgs(c *cli.Context) (workerArgs, error) {
	a := workerArgs{Paths: pathsOrCwd(c), RunID: c.String("run"), ID: c.String("id"), Wait: c.Duration("wait"),
		OrchestratorGrace: c.Duration("orchestrator-grace"), LeaseTTL: c.Duration("lease-ttl"),
		Store: parseStoreArgs(c), Vars: parseVarArgs(c)}
	var err error
	if a.Stream, err = parseStreamArgs(c); err != nil {
		return a, err
	}
	if a.RunID == "" {
		return a, usageError(c, "-run is empty: give the RUN_ID printed by `fbctl apply -workers external`.")
	}
	return a, nil
}

type standbyArgs struct {
	Paths []string
	RunID string
	Store storeArgs
	Run   runArgs
	Vars  varArgs
}

func parseStandbyArgs(c *cli.Context) (standbyArgs, error) {
	a := standbyArgs{Paths: pathsOrCwd(c), RunID: c.String("run"), Store: parseStoreArgs(c), Vars: parseVarArgs(c)}
	var err error
	if a.Run, err = parseRunArgs(c); err != nil {
		return a, err
	}
	if c.IsSet("run-id") {
		return a, usageError(c, "standby takes the run with -run; -run-id names a new run for apply.")
	}
	return a, nil
}

type cancelArgs struct {
	RunID    string
	Wait     time.Duration
	LeaseTTL time.Duration
	Store    storeArgs
}

func parseCancelArgs(c *cli.Context) cancelArgs {
	return cancelArgs{RunID: c.Args().First(), Wait: c.Duration("wait"), LeaseTTL: c.Duration("lease-ttl"), Store: parseStoreArgs(c)}
}

type forceUnlockArgs struct {
	LockID string
	Store  storeArgs
}

type enrichArgs struct {
	RunID     string
	Paths     []string
	Aggregate bool
	// AggregateNow reads AGGREGATE_QUERY_HISTORY without waiting for it to fill.
	AggregateNow bool
	Store        storeArgs
	Vars         varArgs
}

func parseEnrichArgs(c *cli.Context) enrichArgs {
	a := enrichArgs{RunID: c.Args().First(), Paths: c.Args().Tail(), Aggregate: c.Bool("aggregate"),
		AggregateNow: c.Bool("aggregate-now"), Store: parseStoreArgs(c), Vars: parseVarArgs(c)}
	if len(a.Paths) == 0 {
		a.Paths = []string{"."}
	}
	return a
}

type devServerArgs struct {
	Addr string
	DB   string
}

// deployRenderArgs are `fbctl deploy render TARGET`'s; a flag a target does
// not have reads as its zero value.
type deployRenderArgs struct {
	Paths          []string
	Scenarios      []string
	Out            string
	RunID          string
	Image          string
	Secret         string
	JoinTimeout    time.Duration
	WorkerCPU      string
	WorkerMemory   string
	Namespace      string
	TTL            time.Duration
	ComputePool    string
	Stage          string
	Schema         string
	QueryWarehouse string
	ExternalAccess []string
	InstanceFamily string
	Vars           varArgs
}

func parseDeployRenderArgs(c *cli.Context) deployRenderArgs {
	return deployRenderArgs{Paths: pathsOrCwd(c), Scenarios: c.StringSlice("scenario"), Out: c.String("o"),
		RunID: c.String("run-id"), Image: c.String("image"), Secret: c.String("secret"),
		JoinTimeout: c.Duration("join-timeout"), WorkerCPU: c.String("worker-cpu"), WorkerMemory: c.String("worker-memory"),
		Namespace: c.String("namespace"), TTL: c.Duration("ttl"), ComputePool: c.String("compute-pool"),
		Stage: c.String("stage"), Schema: c.String("schema"), QueryWarehouse: c.String("query-warehouse"),
		ExternalAccess: c.StringSlice("eai"), InstanceFamily: c.String("instance-family"), Vars: parseVarArgs(c)}
}

type imageBuildArgs struct {
	Out      string
	Binary   string
	CABundle string
	Version  string
	Source   string
}

func parseImageBuildArgs(c *cli.Context) imageBuildArgs {
	return imageBuildArgs{Out: c.String("o"), Binary: c.String("binary"), CABundle: c.String("ca-bundle"),
		Version: c.String("version"), Source: c.String("source")}
}

type imagePushArgs struct {
	To            string
	Layout        string
	Username      string
	PasswordStdin bool
}

func parseImagePushArgs(c *cli.Context) (imagePushArgs, error) {
	a := imagePushArgs{To: c.String("to"), Layout: c.String("layout"), Username: c.String("username"), PasswordStdin: c.Bool("password-stdin")}
	switch {
	case a.Username != "" && !a.PasswordStdin:
		return a, usageError(c, "-username needs -password-stdin: pipe the password or token in, it is never a flag.")
	case a.Username == "" && a.PasswordStdin:
		return a, usageError(c, "-password-stdin needs -username.")
	}
	return a, nil
}
