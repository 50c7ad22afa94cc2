package engine

import (
	"encoding/json"

	"github.com/flakebench/fbctl/dsl"
	"github.com/flakebench/fbctl/engine/load"
)

// PlanFormatVersion is the version of the Plan JSON shape (the `-json`
// output of `fbctl plan` and the "plan" member of a saved plan file). It is
// incremented for any change that requires a consuming parser to change;
// adding a field does not.
const PlanFormatVersion = "2"

// Plan is the compiled, fully evaluated result of `fbctl plan`: what changes
// in the stored templates (CONFIG) and what each selected scenario's run
// will do. It is plain data: every value that can be known before a run is
// resolved, and it carries no secret. A plan is only meaningful together
// with the source files and CONFIG state it was computed from; the plan
// file (engine/planfile) records both so a stale plan is refused.
//
// Durations are load.Duration values: milliseconds in JSON (numbers, whole
// unless the source had a sub-millisecond part) in every field whose name
// ends in _ms.
type Plan struct {
	// FormatVersion is PlanFormatVersion at the time the plan was built.
	FormatVersion string `json:"format_version"`
	// ToolVersion is the fbctl version that built the plan.
	ToolVersion string `json:"tool_version"`
	// Prune says whether stored templates absent from the files are to be
	// removed (true) or left alone and reported as not managed (false).
	Prune bool `json:"prune"`
	// Templates holds one change per template: those declared in the files,
	// in file order, then stored templates the files do not declare, by
	// name.
	Templates []TemplateChange `json:"templates"`
	// Scenarios holds one change per selected scenario (its canonical
	// CONFIG against TEST_SCENARIOS; see CanonicalScenario), then stored
	// scenarios the files do not declare, by name.
	Scenarios []TemplateChange `json:"scenarios"`
	// Runs holds one entry per selected scenario, in file order.
	Runs []RunPlan `json:"runs"`
	// Summary counts the above.
	Summary Summary `json:"summary"`
	// Warnings are preflight findings that do not stop the plan but that
	// a reviewer should see (e.g. more concurrent writers on a Snowflake
	// standard table than its lock-waiter limit).
	Warnings []Warning `json:"warnings,omitempty"`
}

// Warning is a preflight finding about a plan.
type Warning struct {
	Code     string `json:"code"`
	Scenario string `json:"scenario,omitempty"`
	Node     string `json:"node,omitempty"`
	Template string `json:"template,omitempty"`
	Summary  string `json:"summary"`
	Detail   string `json:"detail"`
}

// HasChanges reports whether applying the plan changes CONFIG (a template
// or a scenario created, updated or removed). Runs are not changes: a
// scenario runs on every apply. `fbctl plan -detailed-exitcode` exits 2
// exactly when this is true.
func (p *Plan) HasChanges() bool { return p.Summary.HasChanges() }

// Summary counts a plan's template changes, scenario changes and runs.
type Summary struct {
	ToCreate   int `json:"to_create"`
	ToUpdate   int `json:"to_update"`
	ToDelete   int `json:"to_delete"`
	Unchanged  int `json:"unchanged"`
	NotManaged int `json:"not_managed"`
	// Scenarios counts the scenario changes the same way.
	Scenarios ChangeCounts `json:"scenarios"`
	Runs      int          `json:"runs"`
}

// ChangeCounts counts changes of stored CONFIG rows by action.
type ChangeCounts struct {
	ToCreate   int `json:"to_create"`
	ToUpdate   int `json:"to_update"`
	ToDelete   int `json:"to_delete"`
	Unchanged  int `json:"unchanged"`
	NotManaged int `json:"not_managed"`
}

func (c *ChangeCounts) count(chs []TemplateChange) {
	for _, ch := range chs {
		switch ch.Action {
		case ActionCreate:
			c.ToCreate++
		case ActionUpdate:
			c.ToUpdate++
		case ActionDelete:
			c.ToDelete++
		case ActionNoOp:
			c.Unchanged++
		case ActionNotManaged:
			c.NotManaged++
		}
	}
}

// HasChanges reports whether any template or scenario is created,
// updated or removed.
func (s Summary) HasChanges() bool {
	return s.ToCreate+s.ToUpdate+s.ToDelete+s.Scenarios.ToCreate+s.Scenarios.ToUpdate+s.Scenarios.ToDelete > 0
}

// Action is what happens to a template in CONFIG.
type Action string

// Template actions.
const (
	ActionCreate     Action = "create"      // +  declared, not stored
	ActionUpdate     Action = "update"      // ~  declared, stored with another hash
	ActionNoOp       Action = "no-op"       //    declared, stored with the same hash
	ActionDelete     Action = "delete"      // -  stored, not declared, and Prune is set
	ActionNotManaged Action = "not-managed" //    stored, not declared, Prune not set: left alone
)

// Symbol returns the one-character marker used in human output: "+", "~",
// "-", or " " for no-op and not-managed.
func (a Action) Symbol() string {
	switch a {
	case ActionCreate:
		return "+"
	case ActionUpdate:
		return "~"
	case ActionDelete:
		return "-"
	}
	return " "
}

// IsChange reports whether the action modifies CONFIG.
func (a Action) IsChange() bool {
	return a == ActionCreate || a == ActionUpdate || a == ActionDelete
}

// TemplateChange is the plan for one stored CONFIG row: a template in
// TEST_TEMPLATES or a scenario in TEST_SCENARIOS.
type TemplateChange struct {
	Name   string `json:"name"`
	Action Action `json:"action"`
	// Hash is the hash of Config ("sha256:<hex>"); empty for delete and
	// not-managed.
	Hash string `json:"hash,omitempty"`
	// Config is the canonical CONFIG payload the template will hold after
	// apply (see CanonicalConfig); omitted for delete and not-managed. A
	// consumer must treat it as a JSON value: re-encoding may change its
	// bytes, Hash identifies it.
	Config json.RawMessage `json:"config,omitempty"`
	// PriorHash and PriorVersion describe the stored row; empty/0 for create.
	PriorHash    string `json:"prior_hash,omitempty"`
	PriorVersion int64  `json:"prior_version,omitempty"`
	// Diff lists attribute-level changes for update, in path order.
	Diff []AttributeChange `json:"diff,omitempty"`
}

// AttributeChange is one changed attribute of a CONFIG payload. Path uses
// dots for object members and [i] for array elements
// (queries.point_lookup.weight, queries.lookup.args[0].pool); a member name
// that is not a plain identifier is quoted (tags["team.name"]).
type AttributeChange struct {
	Path string `json:"path"`
	// Action is create (attribute added), update, or delete (removed).
	Action Action `json:"action"`
	// Before and After are the JSON values (absent for create/delete
	// respectively). A whole added or removed object is one change.
	Before json.RawMessage `json:"before,omitempty"`
	After  json.RawMessage `json:"after,omitempty"`
}

// String renders the change as "path: before → after" with "(none)" for a
// missing side, e.g. "queries.point_lookup.weight: 60 → 70".
func (c AttributeChange) String() string {
	b, a := "(none)", "(none)"
	if c.Before != nil {
		b = string(c.Before)
	}
	if c.After != nil {
		a = string(c.After)
	}
	return c.Path + ": " + b + " → " + a
}

// NodeKind is the kind of a run DAG node.
type NodeKind string

// Node kinds, in the order a run goes through them.
const (
	NodeSetup    NodeKind = "setup"
	NodeWarmup   NodeKind = "warmup"
	NodePhase    NodeKind = "phase"
	NodeTeardown NodeKind = "teardown"
)

// RunPlan is the plan of one scenario's run.
type RunPlan struct {
	Scenario    string `json:"scenario"`
	Description string `json:"description,omitempty"`
	// Seed drives every generator (with WORKER_GROUP_ID and connection
	// index); the same seed gives the same operations.
	Seed int64 `json:"seed"`
	// Template is the scenario's default template ("" when every phase
	// names its own).
	Template string `json:"template,omitempty"`
	// Workers is the number of workers the run starts: the largest worker
	// count of any node (WORKER_GROUP_ID 0..Workers-1).
	Workers int64 `json:"workers"`
	// Nodes is the run DAG in a stable topological order. Node names are
	// "setup", "warmup", "phase.<name>" and "teardown"; nodes the scenario
	// does not declare are omitted.
	Nodes []Node `json:"nodes"`
	// ExpectedOperations is the sum over the measurement phases, null when
	// any phase's count depends on latency.
	ExpectedOperations *int64 `json:"expected_operations"`
	// Sampling is how measurement operations are stored in
	// QUERY_EXECUTIONS.
	Sampling SamplingPlan `json:"sampling"`
	// Thresholds are the pass/fail rules: the scenario's, then the
	// templates' SLOs as "slo.<query>.<metric>".
	Thresholds []ThresholdPlan `json:"thresholds"`
	// Regressions are the rules `fbctl compare` checks against a baseline
	// run.
	Regressions []RegressionPlan `json:"regressions,omitempty"`
	// Sessions is the most target sessions the run's load nodes hold at
	// once, over every set of nodes that may run at the same time.
	Sessions SessionsPlan `json:"sessions"`
	// Requires lists the server-side objects the run needs (interactive
	// tables and warehouses), checked after setup; WarehouseActions what
	// the run does to its warehouses (plan_server.go).
	Requires         []Requirement     `json:"requires,omitempty"`
	WarehouseActions []WarehouseAction `json:"warehouse_actions,omitempty"`
}

// SessionsPlan bounds the target sessions of a run: the sum over the
// largest set of load nodes that may run at the same time (no node of the
// set depends on another), per connection.
type SessionsPlan struct {
	// PreOpened is what the workers open before those nodes start (closed
	// sessions, open-model pre-opened sessions, find_max first steps).
	PreOpened int64 `json:"pre_opened"`
	// Max is what they may grow to (open-model max_connections,
	// find_max ceilings).
	Max int64 `json:"max"`
	// ByConnection holds the same two figures per connection key
	// ("postgres.oltp"), for connections that serve load nodes.
	ByConnection map[string]SessionBound `json:"by_connection,omitempty"`
}

// SessionBound is a PreOpened / Max pair (see SessionsPlan).
type SessionBound struct {
	PreOpened int64 `json:"pre_opened"`
	Max       int64 `json:"max"`
}

// Node is one step of a run DAG.
type Node struct {
	Kind NodeKind `json:"kind"`
	Name string   `json:"name"`
	// DependsOn names the nodes that must finish first (empty for the
	// first node).
	DependsOn []string `json:"depends_on"`
	// SQL holds the statements of setup and teardown nodes, in order.
	SQL []string `json:"sql,omitempty"`
	// Start and End place a warmup or phase node on the run's timeline,
	// as offsets from the start of the first load node, when every node
	// lasts its planned duration (a find_max phase that stops early
	// brings its dependants forward). The run engine starts a node when
	// all of its dependencies ended, so this is what a reviewer reads to
	// see which phases overlap.
	Start load.Duration `json:"start_ms"`
	End   load.Duration `json:"end_ms"`
	// Concurrent names the load nodes that may run at the same time as
	// this one: neither depends on the other, directly or not.
	Concurrent []string `json:"concurrent,omitempty"`
	// Warmup is set for the warmup node, Phase for phase nodes.
	Warmup *WarmupPlan `json:"warmup,omitempty"`
	Phase  *PhasePlan  `json:"phase,omitempty"`
	// CacheWarmup is set for the cache_warmup node.
	CacheWarmup *CacheWarmupPlan `json:"cache_warmup,omitempty"`
}

// WarmupPlan is the run-level warmup: closed model, operations excluded
// from results, run by the workers of the first phase.
type WarmupPlan struct {
	Duration    load.Duration `json:"duration_ms"`
	Connections int64         `json:"connections"`
	// ConnectionsFrom says where Connections came from: "warmup" (set in
	// the warmup block) or "phase.<name>" (the first phase's connection
	// budget; for a find_max phase its start concurrency).
	ConnectionsFrom string             `json:"connections_from"`
	Workers         int64              `json:"workers"`
	Assignments     []WorkerAssignment `json:"assignments"`
}

// PhasePlan is one measurement phase, fully resolved.
type PhasePlan struct {
	Name         string `json:"name"`
	Template     string `json:"template"`
	TemplateHash string `json:"template_hash"`
	// Connection is the key of the template's connection
	// ("postgres.oltp").
	Connection string     `json:"connection"`
	Model      load.Model `json:"model"`
	// Duration is the phase's measurement window; for find_max the
	// longest it can take (steps × step duration).
	Duration load.Duration `json:"duration_ms"`
	// Connections is the connection budget split across workers: the
	// concurrent sessions of a closed phase, max_connections of an open or
	// ramp phase, the concurrency ceiling of find_max.
	Connections int64 `json:"connections"`
	// ConnectionsDerived is true when an open/ramp phase did not set
	// max_connections and the budget was derived (see docs).
	ConnectionsDerived bool `json:"connections_derived,omitempty"`
	// Sessions is the number of sessions opened before the phase starts,
	// summed over workers: Connections for closed, the pre-opened sessions
	// of open and ramp (connections, or derived when SessionsDerived), the
	// first step of find_max.
	Sessions        int64 `json:"sessions"`
	SessionsDerived bool  `json:"sessions_derived,omitempty"`
	// Rate is the total target ops/s of an open phase, the peak of a ramp.
	Rate    float64      `json:"rate,omitempty"`
	Ramp    *RampPlan    `json:"ramp,omitempty"`
	FindMax *FindMaxPlan `json:"find_max,omitempty"`
	// QPSTarget is a qps_target phase's controller setting.
	QPSTarget *QPSTargetPlan `json:"qps_target,omitempty"`
	// Sequences are the key ranges the phase's sequence() generators use.
	Sequences []SequencePlan `json:"sequences,omitempty"`
	ThinkTime load.Duration  `json:"think_time_ms"`
	Scaling   ScalingPlan    `json:"scaling"`
	// Workers is the resolved worker count; Assignments has one entry per
	// worker, by WORKER_GROUP_ID.
	Workers     int64              `json:"workers"`
	Assignments []WorkerAssignment `json:"assignments"`
	// ExpectedOperations is rate × duration for open phases (ramp: the
	// average rate over the ramp, then the final rate); null for closed and
	// find_max phases, whose counts depend on latency
	// (ExpectedOperationsNote says so).
	ExpectedOperations     *int64 `json:"expected_operations"`
	ExpectedOperationsNote string `json:"expected_operations_note,omitempty"`
	// SampleRate is the fraction of measurement operations stored, null
	// when it is decided at run time (sampling "auto" with a closed-model
	// phase: at the end of warmup).
	SampleRate *float64 `json:"sample_rate"`
	// ExpectedStoredRows is ExpectedOperations × SampleRate when both are
	// known, else null.
	ExpectedStoredRows *int64 `json:"expected_stored_rows"`
}

// RampPlan is a rate moving linearly from From to To over Over, then
// holding To until the phase ends.
type RampPlan struct {
	From float64       `json:"from"`
	To   float64       `json:"to"`
	Over load.Duration `json:"over_ms"`
}

// FindMaxPlan is a step load: concurrency Start, Start+Step, ... up to Max,
// each step lasting StepDuration, stopping early when a limit is crossed.
type FindMaxPlan struct {
	Start        int64         `json:"start"`
	Step         int64         `json:"step"`
	Max          int64         `json:"max"`
	StepDuration load.Duration `json:"step_duration_ms"`
	// Steps is the number of steps if no limit stops the search earlier.
	Steps          int64   `json:"steps"`
	MaxErrorRate   float64 `json:"max_error_rate"`
	MaxP95Increase float64 `json:"max_p95_increase"`
	MaxQPSDrop     float64 `json:"max_qps_drop"`
}

// ScaleWorkers is the resolution reported in ScalingPlan.Mode besides the
// dsl's scaling modes (auto, bounded, fixed): a fixed `workers = N` (or
// the default 1). It is not a mode of the language's scaling block.
const ScaleWorkers dsl.ScalingMode = "workers"

// ScalingPlan says how the worker count was resolved.
type ScalingPlan struct {
	// Mode is "workers" (explicit or default count), "auto", "bounded" or
	// "fixed".
	Mode                    dsl.ScalingMode `json:"mode"`
	MinWorkers              int64           `json:"min_workers,omitempty"`
	MaxWorkers              int64           `json:"max_workers,omitempty"`
	MaxConnectionsPerWorker int64           `json:"max_connections_per_worker,omitempty"`
}

// WorkerAssignment is one worker's share of a node: the load it runs,
// fully resolved (executor.FromSpec builds its executor from Load alone).
// Shares are exact: the workers' sessions sum to the node's, and their
// rates to its rate (see assign.go for the rule).
type WorkerAssignment struct {
	WorkerID      string    `json:"worker_id"`       // "worker-<group id>"
	WorkerGroupID int64     `json:"worker_group_id"` // 0-based
	Load          load.Spec `json:"load"`
}

// Idle reports whether the worker has nothing to run in the node (a share
// of zero sessions).
func (a WorkerAssignment) Idle() bool { return a.Load.Sessions == 0 }

// SamplingMode is how a run's sample rate of measurement operations is
// decided.
type SamplingMode string

// Sampling modes.
const (
	// SampleAll: no sampling block, every operation is stored.
	SampleAll SamplingMode = "all"
	// SampleFixed: a rate given in the sampling block (or one the plan
	// could derive from an auto block's budget).
	SampleFixed SamplingMode = "fixed"
	// SampleAuto: the rate follows from max_rows_per_second and the
	// measured throughput, at plan time or at the end of warmup.
	SampleAuto SamplingMode = "auto"
)

// SamplingPlan is the run's sampling decision.
type SamplingPlan struct {
	Mode SamplingMode `json:"mode"`
	// Rate is the run's sample rate when known at plan time (fixed, all,
	// or auto with only open phases: the smallest phase rate); null when
	// decided at the end of warmup.
	Rate *float64 `json:"rate"`
	// MaxRowsPerSecond is the budget of stored measurement rows per
	// second (auto, or a fixed rate capped by max_rows_per_second; 0:
	// none).
	MaxRowsPerSecond int64 `json:"max_rows_per_second,omitempty"`
	// MaxRate, when Rate is decided at the end of warmup, bounds it: the
	// fixed rate, or what the open phases' rates allow (0: 1).
	MaxRate float64 `json:"max_rate,omitempty"`
	// Note explains a null Rate.
	Note string `json:"note,omitempty"`
	// ExpectedStoredRows sums the phases' expected stored rows; null when
	// any is unknown.
	ExpectedStoredRows *int64 `json:"expected_stored_rows"`
}

// ThresholdPlan is a pass/fail rule. Exactly one of Below and Above is set;
// latency metrics are in milliseconds.
type ThresholdPlan struct {
	Name   string     `json:"name"`
	Metric dsl.Metric `json:"metric"`
	Query  string     `json:"query,omitempty"` // "": all queries
	Phase  string     `json:"phase,omitempty"` // "": all measurement phases
	Below  *float64   `json:"below,omitempty"`
	Above  *float64   `json:"above,omitempty"`
	// Source is "scenario" for a threshold block, "slo" for a template SLO
	// ("template.<name>" is in Template).
	Source   string `json:"source"`
	Template string `json:"template,omitempty"`
}

// QPSTargetPlan is what a qps_target phase holds: the total rate, and the
// bounds of the sessions the orchestrator may set (across workers; each
// worker's share is in its load.Spec).
type QPSTargetPlan struct {
	Target         float64 `json:"target"`
	MinConnections int64   `json:"min_connections"`
	MaxConnections int64   `json:"max_connections"`
}

// SequencePlan is the key range one sequence column takes in a phase:
// connection g of Stride connections (every worker's) hands out
// start+g, start+g+Stride, ..., start being the column's maximum (read
// just before the phase) plus one, or the literal start.
type SequencePlan struct {
	Column string `json:"column,omitempty"` // "" for sequence(START)
	Start  *int64 `json:"start,omitempty"`  // sequence(START)
	Stride int64  `json:"stride"`
	// ExpectedKeys is how many keys the phase's expected operations draw
	// (null when the operations are latency-bound); the largest key is
	// then below start + ExpectedKeys + Stride.
	ExpectedKeys *int64 `json:"expected_keys"`
}
