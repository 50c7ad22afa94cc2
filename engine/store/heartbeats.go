package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
)

// WorkerStatus is WORKER_HEARTBEATS.STATUS.
type WorkerStatus string

const (
	WorkerStarting  WorkerStatus = "STARTING"
	WorkerReady     WorkerStatus = "READY"
	WorkerRunning   WorkerStatus = "RUNNING"
	WorkerDraining  WorkerStatus = "DRAINING"
	WorkerCompleted WorkerStatus = "COMPLETED"
	WorkerDead      WorkerStatus = "DEAD"
)

// Heartbeat is a row of WORKER_HEARTBEATS: a worker's latest liveness report.
type Heartbeat struct {
	RunID             string
	WorkerID          string // "worker-0"
	WorkerGroupID     int    // 0-based shard
	Status            WorkerStatus
	Phase             string
	LastHeartbeat     time.Time // zero: now
	HeartbeatCount    int64     // maintained by the store
	ActiveConnections int64
	TargetConnections int64
	Operations        int64
	Errors            int64
	LastError         string // truncated to 1000 bytes
	Host              string
	PID               int
	// NodeStates is a JSON object: the worker's state in each load node
	// (the run engine's format).
	NodeStates json.RawMessage
	// ClockOffsetUS and ClockUncertaintyUS are the worker's clock against
	// the control plane's (control plane = local + offset).
	ClockOffsetUS      int64
	ClockUncertaintyUS int64
}

var colsHeartbeat = append(dialect.Cols("RUN_ID", "WORKER_ID", "WORKER_GROUP_ID", "STATUS", "PHASE", "LAST_HEARTBEAT",
	"HEARTBEAT_COUNT", "ACTIVE_CONNECTIONS", "TARGET_CONNECTIONS", "OPERATIONS", "ERRORS", "LAST_ERROR", "HOST", "PID", "CREATED_AT"),
	dialect.JSONCol("NODE_STATES"), dialect.Column{Name: "CLOCK_OFFSET_US"}, dialect.Column{Name: "CLOCK_UNCERTAINTY_US"})

// UpsertHeartbeat records the worker's report: it updates the row (adding
// one to HEARTBEAT_COUNT) or creates it. A worker marked DEAD stays DEAD.
func (s *Store) UpsertHeartbeat(ctx context.Context, hb Heartbeat) error {
	at := hb.LastHeartbeat
	if at.IsZero() {
		at = s.nowUTC()
	}
	lastErr := nullString(truncate(hb.LastError, maxMessage))
	for attempt := 0; attempt < 3; attempt++ {
		// DEAD is final: a worker declared dead that comes back cannot
		// report itself alive over the orchestrator's verdict.
		res, err := s.exec(ctx, s.db, `UPDATE WORKER_HEARTBEATS SET WORKER_GROUP_ID = ?, STATUS = CASE WHEN STATUS = 'DEAD' THEN STATUS ELSE ? END, PHASE = ?, LAST_HEARTBEAT = ?,
HEARTBEAT_COUNT = HEARTBEAT_COUNT + 1, ACTIVE_CONNECTIONS = ?, TARGET_CONNECTIONS = ?, OPERATIONS = ?, ERRORS = ?,
LAST_ERROR = ?, HOST = ?, PID = ?, NODE_STATES = `+s.d.Param(dialect.JSONCol("NODE_STATES"))+`, CLOCK_OFFSET_US = ?,
CLOCK_UNCERTAINTY_US = ? WHERE RUN_ID = ? AND WORKER_ID = ?`,
			int64(hb.WorkerGroupID), string(hb.Status), hb.Phase, s.d.Time(at), hb.ActiveConnections, hb.TargetConnections,
			hb.Operations, hb.Errors, lastErr, hb.Host, int64(hb.PID), s.d.JSON(hb.NodeStates), hb.ClockOffsetUS,
			hb.ClockUncertaintyUS, hb.RunID, hb.WorkerID)
		if err != nil {
			return fmt.Errorf("heartbeat %s/%s: %w", hb.RunID, hb.WorkerID, err)
		}
		if affected(res) == 1 {
			return nil
		}
		res, err = s.exec(ctx, s.db, s.d.InsertIgnore("WORKER_HEARTBEATS", colsHeartbeat, []string{"RUN_ID", "WORKER_ID"}),
			hb.RunID, hb.WorkerID, int64(hb.WorkerGroupID), string(hb.Status), hb.Phase, s.d.Time(at), int64(1),
			hb.ActiveConnections, hb.TargetConnections, hb.Operations, hb.Errors, lastErr, hb.Host, int64(hb.PID), s.d.Time(s.nowUTC()),
			s.d.JSON(hb.NodeStates), hb.ClockOffsetUS, hb.ClockUncertaintyUS)
		if err != nil {
			return fmt.Errorf("heartbeat %s/%s: %w", hb.RunID, hb.WorkerID, err)
		}
		if affected(res) == 1 {
			return nil
		}
	}
	return fmt.Errorf("heartbeat %s/%s: row keeps appearing and vanishing", hb.RunID, hb.WorkerID)
}

// SetWorkerStatus sets a worker's status (e.g. DEAD when its heartbeat is
// older than the threshold) and, when non-empty, its last error, without
// touching LAST_HEARTBEAT.
func (s *Store) SetWorkerStatus(ctx context.Context, runID, workerID string, st WorkerStatus, lastError string) error {
	q := "UPDATE WORKER_HEARTBEATS SET STATUS = ? WHERE RUN_ID = ? AND WORKER_ID = ?"
	args := []any{string(st), runID, workerID}
	if lastError != "" {
		q = "UPDATE WORKER_HEARTBEATS SET STATUS = ?, LAST_ERROR = ? WHERE RUN_ID = ? AND WORKER_ID = ?"
		args = []any{string(st), truncate(lastError, maxMessage), runID, workerID}
	}
	res, err := s.exec(ctx, s.db, q, args...)
	if err != nil {
		return fmt.Errorf("set worker %s/%s %s: %w", runID, workerID, st, err)
	}
	if affected(res) == 0 {
		return fmt.Errorf("worker %s/%s: %w", runID, workerID, ErrNotFound)
	}
	return nil
}

// ListHeartbeats returns the run's workers ordered by WORKER_GROUP_ID.
func (s *Store) ListHeartbeats(ctx context.Context, runID string) ([]Heartbeat, error) {
	rows, err := s.query(ctx, s.db, `SELECT RUN_ID, WORKER_ID, WORKER_GROUP_ID, STATUS, PHASE, LAST_HEARTBEAT, HEARTBEAT_COUNT,
ACTIVE_CONNECTIONS, TARGET_CONNECTIONS, OPERATIONS, ERRORS, LAST_ERROR, HOST, PID, NODE_STATES, CLOCK_OFFSET_US,
CLOCK_UNCERTAINTY_US FROM WORKER_HEARTBEATS WHERE RUN_ID = ? ORDER BY WORKER_GROUP_ID`, runID)
	if err != nil {
		return nil, fmt.Errorf("heartbeats of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []Heartbeat
	for rows.Next() {
		var (
			hb      Heartbeat
			st      string
			at      dialect.Time
			lastErr sql.NullString
			nodes   dialect.JSON
		)
		if err := rows.Scan(&hb.RunID, &hb.WorkerID, &hb.WorkerGroupID, &st, &hb.Phase, &at, &hb.HeartbeatCount,
			&hb.ActiveConnections, &hb.TargetConnections, &hb.Operations, &hb.Errors, &lastErr, &hb.Host, &hb.PID, &nodes,
			&hb.ClockOffsetUS, &hb.ClockUncertaintyUS); err != nil {
			return nil, fmt.Errorf("heartbeats of run %s: %w", runID, err)
		}
		hb.Status, hb.LastHeartbeat, hb.LastError, hb.NodeStates = WorkerStatus(st), at.Time, lastErr.String, nodes.Raw
		out = append(out, hb)
	}
	return out, rows.Err()
}

// ClaimWorkerGroup gives an external worker (`fbctl worker -run ID`) the
// lowest free WORKER_GROUP_ID below the run's TOTAL_WORKERS_EXPECTED (the
// preferred one when it is free: a scheduler's index hint, -1 for none)
// and records it as STARTING. Claims serialise on the run row, so two
// claimers never get the same group. A worker that claims again gets its
// own group back. When every group is taken it returns
// ErrNoFreeWorkerGroup.
func (s *Store) ClaimWorkerGroup(ctx context.Context, runID, workerID, host string, pid, preferred int) (int, error) {
	group := -1
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := s.nowUTC()
		res, err := s.exec(ctx, tx, "UPDATE RUN_STATUS SET UPDATED_AT = ? WHERE RUN_ID = ?", s.d.Time(now), runID)
		if err != nil {
			return err
		}
		if affected(res) == 0 {
			return fmt.Errorf("run %s: %w", runID, ErrNotFound)
		}
		var expected int
		var status string
		if err := s.queryRow(ctx, tx, "SELECT TOTAL_WORKERS_EXPECTED, STATUS FROM RUN_STATUS WHERE RUN_ID = ?", runID).Scan(&expected, &status); err != nil {
			return err
		}
		if RunStatus(status).Terminal() {
			return fmt.Errorf("run %s is %s", runID, status)
		}
		rows, err := s.query(ctx, tx, "SELECT WORKER_ID, WORKER_GROUP_ID FROM WORKER_HEARTBEATS WHERE RUN_ID = ?", runID)
		if err != nil {
			return err
		}
		taken := map[int]bool{}
		for rows.Next() {
			var id string
			var g int
			if err := rows.Scan(&id, &g); err != nil {
				rows.Close()
				return err
			}
			if id == workerID {
				group = g
			}
			taken[g] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if group >= 0 {
			return nil
		}
		if preferred >= 0 && preferred < expected && !taken[preferred] {
			group = preferred
		}
		for g := 0; g < expected && group < 0; g++ {
			if !taken[g] {
				group = g
			}
		}
		if group < 0 {
			return ErrNoFreeWorkerGroup
		}
		if _, err := s.exec(ctx, tx, s.d.Insert("WORKER_HEARTBEATS", colsHeartbeat, 1),
			runID, workerID, int64(group), string(WorkerStarting), "", s.d.Time(now), int64(1),
			int64(0), int64(0), int64(0), int64(0), nil, host, int64(pid), s.d.Time(now), nil, int64(0), int64(0)); err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, "UPDATE RUN_STATUS SET WORKERS_REGISTERED = WORKERS_REGISTERED + 1 WHERE RUN_ID = ?", runID)
		return err
	})
	if err != nil {
		return -1, fmt.Errorf("claim worker group in run %s: %w", runID, err)
	}
	return group, nil
}
