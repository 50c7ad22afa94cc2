package run

import (
	"context"
	"encoding/json"
	"time"

	"github.com/flakebench/fbctl/engine/store"
	"github.com/flakebench/fbctl/engine/stream"
)

// ControlPlane is what the run engine needs of the control plane and
// results store; *store.Store implements it (on SQLite, Postgres and
// Snowflake). The orchestrator and the workers talk only through it.
type ControlPlane interface {
	stream.Writer

	CreateRun(ctx context.Context, r store.Run) (store.Run, error)
	GetRun(ctx context.Context, runID string) (store.Run, error)
	UpdateRun(ctx context.Context, runID string, u store.RunUpdate) error
	TransitionRun(ctx context.Context, runID string, to store.RunStatus, u store.RunUpdate) (store.Run, error)

	AppendEvent(ctx context.Context, runID string, epoch int64, eventType store.EventType, payload json.RawMessage) (store.Event, error)
	EventsAfter(ctx context.Context, runID string, after int64, limit int) ([]store.Event, error)

	AcquireRunLease(ctx context.Context, runID, holder string, ttl time.Duration, takeOver bool) (*store.RunLease, error)
	RunLeaseState(ctx context.Context, runID string) (store.LeaseState, error)
	ReleaseApplyLock(ctx context.Context, lockID string) error

	ClaimWorkerGroup(ctx context.Context, runID, workerID, host string, pid, preferred int) (int, error)
	UpsertHeartbeat(ctx context.Context, hb store.Heartbeat) error
	SetWorkerStatus(ctx context.Context, runID, workerID string, st store.WorkerStatus, lastError string) error
	ListHeartbeats(ctx context.Context, runID string) ([]store.Heartbeat, error)

	WriteTestResult(ctx context.Context, r store.TestResult) error
	ListResults(ctx context.Context, runID string) ([]store.TestResult, error)
	WriteMetricsSnapshots(ctx context.Context, batch []store.MetricsSnapshot) error
	MetricsSnapshotsAfter(ctx context.Context, runID, phase string, after int64) ([]store.MetricsSnapshot, error)

	// SyncClock measures this host's clock against the control plane's
	// and applies the offset to every timestamp written from then on;
	// Clock returns it, Now is the control plane's time as this host
	// estimates it, and Local converts a control-plane instant to this
	// host's clock.
	SyncClock(ctx context.Context) (store.ClockOffset, error)
	Clock() store.ClockOffset
	Now() time.Time
	Local(t time.Time) time.Time
}

var _ ControlPlane = (*store.Store)(nil)
