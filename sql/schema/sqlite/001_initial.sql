-- FlakeBench results store, SQLite dialect, migration 001.
-- Rerunnable: every statement is CREATE ... IF NOT EXISTS. The embedded store
-- applies these files itself on first use.
--
-- Timestamps are ISO-8601 UTC text with exactly six fractional digits and a
-- trailing Z ('2026-11-28T04:05:59.123456Z'): the format sorts correctly as
-- text and reads well in the sqlite3 shell. JSON payloads are TEXT holding
-- JSON. Booleans are INTEGER 0/1. Latencies and timings are integer
-- microseconds; QPS and rates are REAL.

CREATE TABLE IF NOT EXISTS SCHEMA_VERSION (
    VERSION                INTEGER         NOT NULL PRIMARY KEY,
    APPLIED_AT             TEXT            NOT NULL,
    DESCRIPTION            TEXT            NOT NULL
);

CREATE TABLE IF NOT EXISTS TEST_TEMPLATES (
    TEMPLATE_ID            TEXT            NOT NULL PRIMARY KEY,
    TEMPLATE_NAME          TEXT            NOT NULL UNIQUE,
    DESCRIPTION            TEXT            NOT NULL DEFAULT '',
    CONFIG                 TEXT            NOT NULL,
    CONFIG_HASH            TEXT            NOT NULL,
    VERSION                INTEGER         NOT NULL DEFAULT 1,
    CREATED_AT             TEXT            NOT NULL,
    CREATED_BY             TEXT            NOT NULL DEFAULT '',
    UPDATED_AT             TEXT            NOT NULL,
    UPDATED_BY             TEXT            NOT NULL DEFAULT '',
    TAGS                   TEXT,
    USAGE_COUNT            INTEGER         NOT NULL DEFAULT 0,
    LAST_USED_AT           TEXT
);

CREATE TABLE IF NOT EXISTS RUN_STATUS (
    RUN_ID                 TEXT            NOT NULL PRIMARY KEY,
    SCENARIO_NAME          TEXT            NOT NULL,
    TEMPLATE_ID            TEXT,
    TEMPLATE_NAME          TEXT,
    STATUS                 TEXT            NOT NULL CHECK (STATUS IN ('PREPARED','STARTING','RUNNING','STOPPING','COMPLETED','FAILED','CANCELLED')),
    PHASE                  TEXT            NOT NULL DEFAULT '',
    PHASE_KIND             TEXT            CHECK (PHASE_KIND IS NULL OR PHASE_KIND IN ('WARMUP','MEASUREMENT')),
    TOTAL_WORKERS_EXPECTED INTEGER         NOT NULL DEFAULT 0,
    WORKERS_REGISTERED     INTEGER         NOT NULL DEFAULT 0,
    WORKERS_ACTIVE         INTEGER         NOT NULL DEFAULT 0,
    WORKERS_COMPLETED      INTEGER         NOT NULL DEFAULT 0,
    CREATED_AT             TEXT            NOT NULL,
    START_TIME             TEXT,
    END_TIME               TEXT,
    WARMUP_START_TIME      TEXT,
    WARMUP_END_TIME        TEXT,
    MEASUREMENT_START_TIME TEXT,
    MEASUREMENT_END_TIME   TEXT,
    FAILURE_REASON         TEXT,
    PLAN                   TEXT,
    SEED                   INTEGER         NOT NULL DEFAULT 0,
    SAMPLE_RATE            REAL            NOT NULL DEFAULT 1,
    NEXT_SEQUENCE_ID       INTEGER         NOT NULL DEFAULT 1,
    UPDATED_AT             TEXT            NOT NULL
);
CREATE INDEX IF NOT EXISTS RUN_STATUS_CREATED_AT ON RUN_STATUS (CREATED_AT);

CREATE TABLE IF NOT EXISTS RUN_CONTROL_EVENTS (
    RUN_ID                 TEXT            NOT NULL,
    SEQUENCE_ID            INTEGER         NOT NULL,
    EVENT_TYPE             TEXT            NOT NULL,
    PAYLOAD                TEXT,
    CREATED_AT             TEXT            NOT NULL,
    PRIMARY KEY (RUN_ID, SEQUENCE_ID)
);

CREATE TABLE IF NOT EXISTS WORKER_HEARTBEATS (
    RUN_ID                 TEXT            NOT NULL,
    WORKER_ID              TEXT            NOT NULL,
    WORKER_GROUP_ID        INTEGER         NOT NULL,
    STATUS                 TEXT            NOT NULL CHECK (STATUS IN ('STARTING','READY','RUNNING','DRAINING','COMPLETED','DEAD')),
    PHASE                  TEXT            NOT NULL DEFAULT '',
    LAST_HEARTBEAT         TEXT            NOT NULL,
    HEARTBEAT_COUNT        INTEGER         NOT NULL DEFAULT 0,
    ACTIVE_CONNECTIONS     INTEGER         NOT NULL DEFAULT 0,
    TARGET_CONNECTIONS     INTEGER         NOT NULL DEFAULT 0,
    OPERATIONS             INTEGER         NOT NULL DEFAULT 0,
    ERRORS                 INTEGER         NOT NULL DEFAULT 0,
    LAST_ERROR             TEXT,
    HOST                   TEXT            NOT NULL DEFAULT '',
    PID                    INTEGER         NOT NULL DEFAULT 0,
    CREATED_AT             TEXT            NOT NULL,
    PRIMARY KEY (RUN_ID, WORKER_ID),
    UNIQUE (RUN_ID, WORKER_GROUP_ID)
);

CREATE TABLE IF NOT EXISTS TEST_RESULTS (
    TEST_ID                TEXT            NOT NULL PRIMARY KEY,
    RUN_ID                 TEXT            NOT NULL,
    WORKER_ID              TEXT,
    WORKER_GROUP_ID        INTEGER,
    SCENARIO_NAME          TEXT            NOT NULL,
    TEMPLATE_ID            TEXT,
    TEMPLATE_NAME          TEXT,
    STATUS                 TEXT            NOT NULL,
    FAILURE_REASON         TEXT,
    START_TIME             TEXT,
    END_TIME               TEXT,
    MEASUREMENT_START_TIME TEXT,
    MEASUREMENT_END_TIME   TEXT,
    TOTAL_OPERATIONS       INTEGER         NOT NULL DEFAULT 0,
    OK_OPERATIONS          INTEGER         NOT NULL DEFAULT 0,
    ERROR_OPERATIONS       INTEGER         NOT NULL DEFAULT 0,
    READ_OPERATIONS        INTEGER         NOT NULL DEFAULT 0,
    WRITE_OPERATIONS       INTEGER         NOT NULL DEFAULT 0,
    DROPPED_OPERATIONS     INTEGER         NOT NULL DEFAULT 0,
    QPS                    REAL            NOT NULL DEFAULT 0,
    P50_US                 INTEGER,
    P90_US                 INTEGER,
    P95_US                 INTEGER,
    P99_US                 INTEGER,
    P999_US                INTEGER,
    MAX_US                 INTEGER,
    MEAN_US                INTEGER,
    ERROR_RATE             REAL            NOT NULL DEFAULT 0,
    SAMPLE_RATE            REAL            NOT NULL DEFAULT 1,
    OPS_ISSUED             INTEGER         NOT NULL DEFAULT 0,
    ROWS_STORED            INTEGER         NOT NULL DEFAULT 0,
    QUERY_RESULTS          TEXT,
    PHASE_RESULTS          TEXT,
    ERRORS                 TEXT,
    HISTOGRAMS             TEXT,
    SCENARIO_SNAPSHOT      TEXT,
    CREATED_AT             TEXT            NOT NULL,
    UPDATED_AT             TEXT            NOT NULL
);
CREATE INDEX IF NOT EXISTS TEST_RESULTS_RUN_ID ON TEST_RESULTS (RUN_ID);

CREATE TABLE IF NOT EXISTS QUERY_EXECUTIONS (
    EXECUTION_ID           TEXT            NOT NULL PRIMARY KEY,
    RUN_ID                 TEXT            NOT NULL,
    TEST_ID                TEXT            NOT NULL,
    WORKER_ID              TEXT            NOT NULL,
    WORKER_GROUP_ID        INTEGER         NOT NULL,
    PHASE                  TEXT            NOT NULL,
    WARMUP                 INTEGER         NOT NULL,
    QUERY_NAME             TEXT            NOT NULL,
    QUERY_KIND             TEXT            NOT NULL,
    INTENDED_START         TEXT,
    ACTUAL_START           TEXT            NOT NULL,
    LATENCY_US             INTEGER         NOT NULL,
    SERVICE_US             INTEGER         NOT NULL,
    SUCCESS                INTEGER         NOT NULL,
    ERROR_CODE             TEXT,
    SQLSTATE               TEXT,
    ERROR_MESSAGE          TEXT,
    ROWS_AFFECTED          INTEGER,
    TARGET_QUERY_ID        TEXT,
    SAMPLE_WEIGHT          REAL            NOT NULL DEFAULT 1,
    COMPILE_US             INTEGER,
    QUEUED_US              INTEGER,
    EXECUTION_US           INTEGER,
    TOTAL_ELAPSED_US       INTEGER,
    BYTES_SCANNED          INTEGER,
    ROWS_PRODUCED          INTEGER
);
CREATE INDEX IF NOT EXISTS QUERY_EXECUTIONS_RUN_ID ON QUERY_EXECUTIONS (RUN_ID, TEST_ID);
-- Enrichment matches rows by the target's own query id within a run.
CREATE INDEX IF NOT EXISTS QUERY_EXECUTIONS_TARGET_QUERY_ID ON QUERY_EXECUTIONS (RUN_ID, TARGET_QUERY_ID);

CREATE TABLE IF NOT EXISTS WORKER_METRICS_SNAPSHOTS (
    RUN_ID                 TEXT            NOT NULL,
    TEST_ID                TEXT            NOT NULL,
    WORKER_ID              TEXT            NOT NULL,
    WORKER_GROUP_ID        INTEGER         NOT NULL,
    TS                     TEXT            NOT NULL,
    ELAPSED_MS             INTEGER         NOT NULL,
    PHASE                  TEXT            NOT NULL,
    PHASE_KIND             TEXT,
    OPERATIONS             INTEGER         NOT NULL,
    ERRORS                 INTEGER         NOT NULL,
    DROPPED                INTEGER         NOT NULL DEFAULT 0,
    QPS                    REAL            NOT NULL,
    P50_US                 INTEGER,
    P95_US                 INTEGER,
    P99_US                 INTEGER,
    ACTIVE_CONNECTIONS     INTEGER         NOT NULL DEFAULT 0,
    EXTRA                  TEXT
);
CREATE INDEX IF NOT EXISTS WORKER_METRICS_SNAPSHOTS_RUN ON WORKER_METRICS_SNAPSHOTS (RUN_ID, WORKER_ID, TS);

CREATE TABLE IF NOT EXISTS FLAKEBENCH_LOCKS (
    LOCK_NAME              TEXT            NOT NULL PRIMARY KEY,
    LOCK_ID                TEXT            NOT NULL UNIQUE,
    HOLDER                 TEXT            NOT NULL,
    ACQUIRED_AT            TEXT            NOT NULL,
    EXPIRES_AT             TEXT            NOT NULL
);
