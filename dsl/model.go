package dsl

import (
	"time"

	"github.com/flakebench/fbctl/engine/load"
	"github.com/hashicorp/hcl/v2"
)

// Config is the evaluated content of one or more scenario files: every
// variable, local and expression has been resolved to a concrete value, and
// every value keeps the source range it came from so later stages (planner,
// preflight checks) can report problems at the right line.
//
// Maps are keyed by block name; the *Order slices keep file order, which is
// meaningful (phases without depends_on follow the previous phase in file
// order) and keeps output stable.
type Config struct {
	Variables       map[string]*Variable
	Connections     map[string]*Connection // key: "TYPE.NAME", e.g. "snowflake.bench"
	ConnectionOrder []string
	Results         *Results // nil: the embedded SQLite store
	Templates       map[string]*Template
	TemplateOrder   []string
	Scenarios       map[string]*Scenario
	ScenarioOrder   []string

	// Sources maps each file name to its raw bytes, for source hashing in
	// saved plans. Files holds the parsed files, for rendering diagnostics
	// with hcl.NewDiagnosticTextWriter. Both are set even when Load fails.
	Sources map[string][]byte
	Files   map[string]*hcl.File

	// secrets are the sensitive strings met while decoding, for Redact.
	secrets map[string]bool
}

// Variable is a declared input variable with its resolved value.
type Variable struct {
	Name        string
	Description string
	Sensitive   bool
	// Value is the resolved value as a Go value: string, int64, float64,
	// bool, []any or map[string]any.
	Value any
	// Source says where the value came from: "default", "-var", "-var-file", "env".
	Source    string
	DeclRange hcl.Range
}

// Connection types.
const (
	ConnSnowflake = "snowflake"
	ConnPostgres  = "postgres"
	ConnSQLite    = "sqlite"
)

// Connection says how to reach a database. Fields holds the non-secret
// attributes (account, user, role, warehouse, database, schema, host, port,
// protocol, sslmode, path, connection_name, authenticator,
// private_key_file, prefer_simple_protocol, a dsn without a password);
// Params holds params = {...}. Secrets holds password, token,
// private_key_passphrase, a dsn with a password, and any attribute whose
// value came from a sensitive variable (Get looks in both). env() values
// are secret in the secret attributes and plain elsewhere. Secrets is never
// serialised: CONFIG, plan files and logs carry only Fields and the names of
// the secret attributes that were set.
type Connection struct {
	Type      string // snowflake | postgres | sqlite
	Name      string
	Fields    map[string]string
	Params    map[string]string // snowflake params = {...}
	Secrets   map[string]string `json:"-"`
	DeclRange hcl.Range

	// Ranges are the source ranges of the attributes' values, by name, for
	// diagnostics about them found later (engine/preflight).
	Ranges map[string]hcl.Range `json:"-"`
}

// Key returns "TYPE.NAME", the key of the connection in Config.Connections.
func (c *Connection) Key() string { return c.Type + "." + c.Name }

// Results is the optional results block.
type Results struct {
	Connection string // connection key, "TYPE.NAME"
	DeclRange  hcl.Range
}

// Table types.
const (
	TableStandard    = "standard"
	TableHybrid      = "hybrid"
	TableInteractive = "interactive"
	TableDynamic     = "dynamic"
	TablePostgres    = "postgres"
	TableSQLite      = "sqlite"
)

// Template is a workload: what to run against which table.
type Template struct {
	Name            string
	Description     string
	Connection      string // connection key, "TYPE.NAME"
	Table           string
	TableType       string
	UseCachedResult *bool // nil: backend default
	ThinkTime       time.Duration
	Tags            map[string]string
	Session         map[string]string
	Pools           map[string]*Pool
	PoolOrder       []string
	Queries         map[string]*Query
	QueryOrder      []string
	SLOs            []*SLO
	// Interactive is the interactive table the template targets (set when
	// TableType is interactive); Warehouse the settings of its
	// connection's warehouse (nil: none). See types.interactive.go.
	Interactive *InteractiveTable  `json:",omitempty"`
	Warehouse   *WarehouseSettings `json:",omitempty"`
	// Sensitive names the attributes whose value came from a sensitive
	// value ("description", "table", "tags.KEY", "session.KEY"): they
	// keep their real value here for the run, and are shown and stored
	// only redacted (see Sensitivity).
	Sensitive Sensitivity
	DeclRange hcl.Range
}

// Pool is a set of values the arguments draw from: either sampled from the
// target at run start (Column, Table, Size) or given literally (Values).
type Pool struct {
	Name   string
	Column string
	Table  string // defaults to the template's table
	Size   int64
	Values []any
	// Disjoint gives each connection its own slice of the pool (walked in
	// order) instead of a uniform draw per operation: for keys no two
	// connections may share (updates of unique rows).
	Disjoint  bool
	Sensitive Sensitivity // "column", "table", "values"
	DeclRange hcl.Range
}

// Query kinds. They stay plain strings: the kind crosses into
// executor.QueryInfo.Kind and the recorded rows (QUERY_EXECUTIONS
// .QUERY_KIND), which do not import the language.
const (
	KindPointLookup = "point_lookup"
	KindRangeScan   = "range_scan"
	KindInsert      = "insert"
	KindUpdate      = "update"
	KindDelete      = "delete"
	KindSQL         = "sql"
	// KindTransaction is a query made of statement blocks.
	KindTransaction = "transaction"
)

// Query is one entry of a template's query mix.
type Query struct {
	Name   string
	Kind   string
	Weight int64
	SQL    string
	Args   []Generator
	// A transaction (statement blocks): its let values, statements,
	// isolation level ("" : the backend's default) and tries (>= 1; a
	// serialization failure or deadlock is retried until MaxTries).
	Lets       []*Let
	Statements []*Statement
	Isolation  string
	MaxTries   int64
	Sensitive  Sensitivity // "sql"
	DeclRange  hcl.Range
}

// IsWrite reports whether the query kind modifies data.
func (q *Query) IsWrite() bool {
	switch q.Kind {
	case KindInsert, KindUpdate, KindDelete:
		return true
	case KindTransaction:
		for _, s := range q.Statements {
			if s.IsWrite() {
				return true
			}
		}
	}
	return false
}

// GeneratorKind is how a query argument is produced.
type GeneratorKind string

// Generator kinds.
const (
	GenLiteral      GeneratorKind = "literal"
	GenPool         GeneratorKind = "pool"
	GenSequence     GeneratorKind = "sequence"
	GenUniform      GeneratorKind = "uniform"
	GenZipf         GeneratorKind = "zipf"
	GenChoice       GeneratorKind = "choice"
	GenRandomString GeneratorKind = "random_string"
	GenNow          GeneratorKind = "now"
	// GenLet reads a transaction's let value (or an earlier statement's
	// into) by name.
	GenLet GeneratorKind = "let"
)

// Generator describes how one query argument is produced. Only the fields
// that belong to Kind are set. Every generator is deterministic from a seed.
type Generator struct {
	Kind    GeneratorKind `json:"kind"`
	Literal any           `json:"literal,omitempty"` // literal
	Pool    string        `json:"pool,omitempty"`    // pool: pool name
	Let     string        `json:"let,omitempty"`     // let: the let or into name
	Column  string        `json:"column,omitempty"`  // sequence: column whose max the range starts after
	Start   int64         `json:"start,omitempty"`   // sequence: explicit first value when no column
	Min     int64         `json:"min,omitempty"`     // uniform
	Max     int64         `json:"max,omitempty"`     // uniform
	N       int64         `json:"n,omitempty"`       // zipf: values 1..N; random_string: length
	S       float64       `json:"s,omitempty"`       // zipf exponent (> 1)
	Choices []any         `json:"choices,omitempty"` // choice
	// Sensitive is set when the argument came from a sensitive value: the
	// whole generator is then shown and stored redacted.
	Sensitive bool      `json:"-"`
	Range     hcl.Range `json:"-"`
}

// SLO is a per-query (or "*") service level objective; it counts as a
// threshold when results are evaluated.
type SLO struct {
	Query     string // query name or "*"
	P50       time.Duration
	P95       time.Duration
	P99       time.Duration
	ErrorRate *float64
	DeclRange hcl.Range
}

// Scenario says how a template is driven.
type Scenario struct {
	Name        string
	Description string
	Template    string // default template for phases
	Seed        int64
	Setup       []string
	Teardown    []string
	Warmup      *Warmup   // nil: no warmup
	Phases      []*Phase  // file order
	Sampling    *Sampling // nil: store every operation
	Thresholds  []*Threshold
	Regressions []*Regression // compare rules against a baseline run
	CacheWarmup *CacheWarmup  `json:",omitempty"` // nil: none
	Sensitive   Sensitivity   // "description", "setup[I]", "teardown[I]"
	DeclRange   hcl.Range
}

// Warmup is the run-level warmup; its operations are excluded from results.
type Warmup struct {
	Duration    time.Duration
	Connections int64 // 0: the first phase's connections
	DeclRange   hcl.Range
}

// Load models, by their former names: the vocabulary is engine/load's
// (load.Model), which the language shares with the executors.
//
// Deprecated: use load.Closed, load.Open, load.Ramp, load.FindMax and
// load.QPSTarget.
const (
	ModelClosed    = load.Closed
	ModelOpen      = load.Open
	ModelRamp      = load.Ramp
	ModelFindMax   = load.FindMax
	ModelQPSTarget = load.QPSTarget
)

// Phase is one step of a scenario's run.
type Phase struct {
	Name      string
	Template  string   // resolved: the phase's own or the scenario's
	DependsOn []string // resolved: explicit, or the previous phase in file order
	Duration  time.Duration
	Model     load.Model

	Connections    int64    // closed: sessions; open and ramp: sessions opened before the start (0: derived)
	Rate           float64  // open: total ops/s across workers
	MaxConnections int64    // open and ramp: cap on concurrent sessions (0: derived)
	Ramp           *Ramp    // ramp
	FindMax        *FindMax // find_max
	// qps_target: the total ops/s to hold, and the floor of the sessions
	// (Connections is where it starts, MaxConnections the ceiling).
	QPSTarget      float64
	MinConnections int64

	Workers   int64          // fixed worker count; 0 when Scaling is set
	Scaling   *Scaling       // nil: Workers (default 1)
	ThinkTime *time.Duration // nil: the template's
	DeclRange hcl.Range
}

// Ramp is an open-model rate changing linearly from From to To over Over.
type Ramp struct {
	From float64
	To   float64
	Over time.Duration
}

// FindMax steps the concurrency until latency, errors or throughput say stop.
type FindMax struct {
	Start          int64
	Step           int64
	StepDuration   time.Duration
	MaxErrorRate   float64 // fraction, e.g. 0.01
	MaxP95Increase float64 // fraction over the first step, e.g. 0.2
	MaxQPSDrop     float64 // fraction below the best step
	Max            int64   // concurrency ceiling; 0: the planner's default (10000)
}

// ScalingMode is how a scaling block resolves a phase's worker count.
type ScalingMode string

// Scaling modes.
const (
	ScaleAuto    ScalingMode = "auto"
	ScaleBounded ScalingMode = "bounded"
	ScaleFixed   ScalingMode = "fixed"
)

// Scaling resolves a phase's worker count from its connections. Counts
// left unset in the source are 0; the planner applies the defaults.
type Scaling struct {
	Mode                    ScalingMode
	MinWorkers              int64
	MaxWorkers              int64
	MaxConnectionsPerWorker int64
}

// Sampling fixes which measurement operations are stored in QUERY_EXECUTIONS.
type Sampling struct {
	Rate             float64 // in (0, 1]; 0 with Auto
	Auto             bool
	MaxRowsPerSecond int64
	DeclRange        hcl.Range
}

// Threshold is a pass/fail rule evaluated against merged results.
type Threshold struct {
	Name   string
	Metric Metric
	Query  string // "" : all queries
	Phase  string // "" : all measurement phases
	// Exactly one of Below/Above is set. Latency metrics are in
	// milliseconds (a duration string in the source is converted), others
	// are plain numbers.
	Below     *float64
	Above     *float64
	DeclRange hcl.Range
}

// Sensitivity names the attributes of a block whose values came from a
// sensitive value: a variable declared with sensitive = true, or anything
// computed from one (HCL carries the mark through interpolation, functions
// and locals). Such a value is kept as is in the model, because the run
// needs it, and everything that shows or stores the model (CONFIG, plans,
// plan files) writes a redaction marker in its place. A nil Sensitivity
// has no sensitive attribute.
type Sensitivity map[string]bool

// Has reports whether the attribute at key is sensitive.
func (s Sensitivity) Has(key string) bool { return s[key] }

func (s *Sensitivity) set(key string) {
	if *s == nil {
		*s = Sensitivity{}
	}
	(*s)[key] = true
}
