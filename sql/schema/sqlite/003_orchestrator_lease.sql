-- FlakeBench results store, SQLite dialect, migration 003: the orchestrator's
-- lease with fencing (docs/scale-out.md, "The orchestrator's lease").
--
-- RUN_LEASES: one row per run: who drives it, the epoch (fencing token,
--   incremented by every grant) and the times, all epoch milliseconds read
--   from the database's own clock.
-- RUN_STATUS.LEADER_EPOCH: the highest epoch that wrote the run; writes of
--   a lower epoch are refused. APPLY_LOCK_ID: the apply lease of the run,
--   released by whoever ends a run whose orchestrator was lost.
--   CANCEL_REQUESTED: set by `fbctl cancel`.
-- RUN_CONTROL_EVENTS.EPOCH: the epoch of the event's writer; workers ignore
--   events of an epoch older than one they have seen.

CREATE TABLE IF NOT EXISTS RUN_LEASES (
    RUN_ID                 TEXT            NOT NULL PRIMARY KEY,
    HOLDER                 TEXT            NOT NULL DEFAULT '',
    EPOCH                  INTEGER         NOT NULL DEFAULT 0,
    ACQUIRED_MS            INTEGER         NOT NULL DEFAULT 0,
    RENEWED_MS             INTEGER         NOT NULL DEFAULT 0,
    EXPIRES_MS             INTEGER         NOT NULL DEFAULT 0
);
ALTER TABLE RUN_STATUS ADD COLUMN LEADER_EPOCH INTEGER NOT NULL DEFAULT 0;
ALTER TABLE RUN_STATUS ADD COLUMN APPLY_LOCK_ID TEXT;
ALTER TABLE RUN_STATUS ADD COLUMN CANCEL_REQUESTED INTEGER NOT NULL DEFAULT 0;
ALTER TABLE RUN_CONTROL_EVENTS ADD COLUMN EPOCH INTEGER NOT NULL DEFAULT 0;
