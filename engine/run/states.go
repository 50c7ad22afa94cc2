package run

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/flakebench/fbctl/engine/histogram"
	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/stream"
)

// Defaults of Options and WorkerOptions.
const (
	DefaultHeartbeatEvery = time.Second
	DefaultStaleAfter     = 30 * time.Second
	DefaultDeadAfter      = 60 * time.Second
	DefaultJoinTimeout    = 2 * time.Minute
	DefaultPollEvery      = 100 * time.Millisecond
	DefaultDrainTimeout   = 30 * time.Second
)

// LaunchMode is how a run's workers are started (Options.Launch).
type LaunchMode string

// Launch modes.
const (
	LaunchInProcess LaunchMode = "in-process"
	LaunchExternal  LaunchMode = "external"
)

// NodeWarmupPhase is the phase name warmup operations are recorded under
// (with warmup=true); it is excluded from every result.
const NodeWarmupPhase = "warmup"

// startPayload is the START event: what every worker needs beyond the
// stored plan. Pools holds the values sampled from the target after setup,
// by template then pool name.
type startPayload struct {
	Pools map[string]map[string][]any `json:"pools,omitempty"`
}

// phasePayload is a SET_PHASE event: prepare node Node (open its
// sessions) and report it prepared; START_PHASE then starts it.
type phasePayload struct {
	Node   string `json:"node"`             // "warmup" or "phase.<name>"
	Phase  string `json:"phase"`            // the phase name results are recorded under
	Warmup bool   `json:"warmup,omitempty"` // operations excluded from results
	// SequenceMax holds, by template then column, the column's maximum
	// read just before the node: sequences start after it.
	SequenceMax map[string]map[string]int64 `json:"sequence_max,omitempty"`
	// SampleRate is the run's sample rate of measurement operations when
	// it was decided at the end of warmup (sampling "auto"); 0: unchanged.
	SampleRate float64 `json:"sample_rate,omitempty"`
}

// startPayload of a START_PHASE event: every worker starts node Node at
// the instant StartUS (microseconds since the Unix epoch on the control
// plane's clock), converted to its own clock.
type startPhasePayload struct {
	Node    string `json:"node"`
	StartUS int64  `json:"start_us"`
}

// Node states a worker reports in WORKER_HEARTBEATS.NODE_STATES.
const (
	nodePreparing = "preparing"
	nodePrepared  = "prepared" // sessions open, waiting for the start
	nodeRunning   = "running"
	nodeDone      = "done"
	nodeSkipped   = "skipped" // the worker has no share of the node
	nodeFailed    = "failed"
)

// nodeState is one entry of NODE_STATES.
type nodeState struct {
	State string `json:"state"`
	Error string `json:"error,omitempty"`
	// Rows written and pending, for the streamDrainKey entry (drain.go).
	Written int64 `json:"rows_written,omitempty"`
	Pending int64 `json:"rows_pending,omitempty"`
}

func nodeStatesOf(hb store.Heartbeat) map[string]nodeState {
	var m map[string]nodeState
	_ = json.Unmarshal(hb.NodeStates, &m)
	return m
}

// STOP reasons.
const (
	stopDone      = "done"
	stopCancelled = "cancelled"
	stopFailed    = "failed"
	stopLost      = "orchestrator_lost" // the run's orchestrator was lost
)

// stopPayload is a STOP event.
type stopPayload struct {
	Reason string `json:"reason"`         // "done", "cancelled" or "failed"
	Hard   bool   `json:"hard,omitempty"` // stop now, no drain
}

func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("run: encode %T: %v", v, err)) // only plain structs are encoded
	}
	return b
}

// decodeValues turns JSON numbers back into int64 where they are whole
// (pool keys must keep their type: a float64 key never equals an integer
// column on some backends).
func decodeValues(in []any) []any {
	out := make([]any, len(in))
	for i, v := range in {
		if n, ok := v.(json.Number); ok {
			if x, err := strconv.ParseInt(string(n), 10, 64); err == nil {
				out[i] = x
				continue
			}
			if f, err := n.Float64(); err == nil {
				out[i] = f
				continue
			}
		}
		out[i] = v
	}
	return out
}

// StateChange is a run status or phase change, as the hook sees it.
type StateChange struct {
	RunID     string
	Status    store.RunStatus
	Phase     string          // current phase ("" outside phases)
	PhaseKind store.PhaseKind // WARMUP or MEASUREMENT while a phase runs
	Reason    string          // failure or cancel reason, when terminal
	At        time.Time       // UTC
}

// Progress is the run's live view, about once a heartbeat interval while
// load nodes run, merged exactly from the workers' per-interval histograms
// (WORKER_METRICS_SNAPSHOTS): one entry per running node.
type Progress struct {
	RunID  string
	Phases []PhaseProgress
	// Stream sums the workers' QUERY_EXECUTIONS streams (zero when the
	// run does not stream).
	Stream          StreamStats
	WorkersAlive    int // heartbeat younger than StaleAfter
	WorkersStale    int // older than StaleAfter, not yet dead
	WorkersExpected int
	// Server is the latest sample of the run's statements on each sampled
	// target (sampler.go); empty when none is sampled.
	Server []store.ServerSample
}

// PhaseProgress is one running node's live numbers. Interval is the last
// interval every worker of the node reported, merged exactly; Cumulative
// every interval up to it. Operations, Errors and Dropped sum the workers'
// latest counters.
type PhaseProgress struct {
	Phase      string
	PhaseKind  store.PhaseKind
	Elapsed    time.Duration // since the node's start instant
	Planned    time.Duration // planned length (0: unknown)
	Operations int64
	Errors     int64
	Dropped    int64
	Sessions   int64
	// IntervalIndex is -1 until the first interval is complete.
	IntervalIndex int64
	OpsPerSec     float64
	Interval      histogram.Summary
	Cumulative    histogram.Summary
}

// Hook receives progress from Apply. Methods are called from the
// orchestrator's goroutine and must return quickly. Embed NopHook to
// implement only some of them.
type Hook interface {
	// NodeStarted, NodeFinished and NodeSkipped follow the run DAG nodes
	// ("setup", "warmup", "phase.<name>", "teardown").
	NodeStarted(run, node string)
	NodeFinished(run, node string, err error)
	NodeSkipped(run, node, reason string)
	// StateChanged reports every RUN_STATUS transition and phase change.
	StateChanged(StateChange)
	// Progress is called about once a heartbeat interval while load
	// nodes run.
	Progress(Progress)
}

// NopHook implements Hook by doing nothing.
type NopHook struct{}

var _ Hook = NopHook{}

func (NopHook) NodeStarted(string, string)         {}
func (NopHook) NodeFinished(string, string, error) {}
func (NopHook) NodeSkipped(string, string, string) {}
func (NopHook) StateChanged(StateChange)           {}
func (NopHook) Progress(Progress)                  {}

// StreamStats is the state of the workers' query-execution streams, as
// WORKER_METRICS_SNAPSHOTS.EXTRA carries it: rows waiting in memory, rows
// written, rows that went through the local spill journal (and are still
// waiting there), rows lost, and the slowest worker's flush latency p99.
type StreamStats struct {
	Buffered       int64 `json:"rows_buffered"`
	Written        int64 `json:"rows_written"`
	Spilled        int64 `json:"rows_spilled"`
	JournalPending int64 `json:"rows_journal_pending"`
	Dropped        int64 `json:"rows_dropped"`
	FlushP99US     int64 `json:"flush_p99_us"`
}

func streamStatsOf(s stream.Stats) StreamStats {
	return StreamStats{Buffered: s.Buffered, Written: s.Written, Spilled: s.Spilled, JournalPending: s.JournalPending,
		Dropped: s.Dropped, FlushP99US: s.FlushP99.Microseconds()}
}

// add sums o into s; flush latency keeps the worst.
func (s *StreamStats) add(o StreamStats) {
	s.Buffered += o.Buffered
	s.Written += o.Written
	s.Spilled += o.Spilled
	s.JournalPending += o.JournalPending
	s.Dropped += o.Dropped
	s.FlushP99US = max(s.FlushP99US, o.FlushP99US)
}
