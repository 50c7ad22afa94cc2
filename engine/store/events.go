package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/flakebench/fbctl/engine/dialect"
)

// EventType is the type of a control event (RUN_CONTROL_EVENTS.EVENT_TYPE).
type EventType string

// Control event types written by the orchestrator.
const (
	EventStart           EventType = "START"
	EventSetPhase        EventType = "SET_PHASE"   // prepare a load node: open its sessions
	EventStartPhase      EventType = "START_PHASE" // start a prepared node at an instant
	EventSetWorkerTarget EventType = "SET_WORKER_TARGET"
	EventStop            EventType = "STOP"
)

// Event is a row of RUN_CONTROL_EVENTS. Sequence numbers start at 1 and are
// dense per run: no duplicates and no gaps, whatever the concurrency.
type Event struct {
	RunID     string
	Seq       int64
	Type      EventType
	Payload   json.RawMessage
	CreatedAt time.Time
	// Epoch is the writer's lease epoch (0: not fenced); workers ignore
	// events of an epoch older than one they have seen.
	Epoch int64
}

var colsEvent = []dialect.Column{{Name: "RUN_ID"}, {Name: "SEQUENCE_ID"}, {Name: "EVENT_TYPE"}, dialect.JSONCol("PAYLOAD"), {Name: "CREATED_AT"}, {Name: "EPOCH"}}

// AppendEvent appends an event to the run's log and returns it with its
// SEQUENCE_ID. The number comes from RUN_STATUS.NEXT_SEQUENCE_ID, taken under
// the run row's lock in the same transaction as the insert, so concurrent
// appenders (even on other hosts) serialise on the run row. An epoch above
// 0 fences the append: it is refused with ErrFenced when a newer
// orchestrator holds the run.
func (s *Store) AppendEvent(ctx context.Context, runID string, epoch int64, eventType EventType, payload json.RawMessage) (Event, error) {
	ev := Event{RunID: runID, Type: eventType, Payload: payload, CreatedAt: s.nowUTC(), Epoch: epoch}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		cond, fargs := fence(epoch)
		res, err := s.exec(ctx, tx, "UPDATE RUN_STATUS SET NEXT_SEQUENCE_ID = NEXT_SEQUENCE_ID + 1 WHERE RUN_ID = ?"+cond, append([]any{runID}, fargs...)...)
		if err != nil {
			return err
		}
		if affected(res) == 0 {
			return errNoRow
		}
		if err := s.queryRow(ctx, tx, "SELECT NEXT_SEQUENCE_ID - 1 FROM RUN_STATUS WHERE RUN_ID = ?", runID).Scan(&ev.Seq); err != nil {
			return err
		}
		_, err = s.exec(ctx, tx, s.d.Insert("RUN_CONTROL_EVENTS", colsEvent, 1),
			runID, ev.Seq, string(eventType), s.d.JSON(payload), s.d.Time(ev.CreatedAt), epoch)
		return err
	})
	if errors.Is(err, errNoRow) {
		err = s.whyNoRow(ctx, runID, epoch)
	}
	if err != nil {
		return Event{}, fmt.Errorf("append %s event to run %s: %w", eventType, runID, err)
	}
	return ev, nil
}

// EventsAfter returns up to limit events with SEQUENCE_ID > after, in order
// (limit 0: 1000).
func (s *Store) EventsAfter(ctx context.Context, runID string, after int64, limit int) ([]Event, error) {
	if limit <= 0 {
		limit = 1000
	}
	rows, err := s.query(ctx, s.db, fmt.Sprintf(`SELECT RUN_ID, SEQUENCE_ID, EVENT_TYPE, PAYLOAD, CREATED_AT, EPOCH FROM RUN_CONTROL_EVENTS
WHERE RUN_ID = ? AND SEQUENCE_ID > ? ORDER BY SEQUENCE_ID LIMIT %d`, limit), runID, after)
	if err != nil {
		return nil, fmt.Errorf("events of run %s: %w", runID, err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var (
			ev      Event
			payload dialect.JSON
			at      dialect.Time
		)
		if err := rows.Scan(&ev.RunID, &ev.Seq, &ev.Type, &payload, &at, &ev.Epoch); err != nil {
			return nil, fmt.Errorf("events of run %s: %w", runID, err)
		}
		ev.Payload, ev.CreatedAt = payload.Raw, at.Time
		out = append(out, ev)
	}
	return out, rows.Err()
}

// errNoRow marks, inside a transaction, a fenced update that changed no
// row; the caller explains it with whyNoRow after the rollback.
var errNoRow = errors.New("no row")
