-- FlakeBench results store, Postgres dialect, migration 001.
-- Rerunnable: every statement is CREATE ... IF NOT EXISTS. Applied only by
-- `fbctl schema apply`; the store never runs DDL at run time on Postgres.
--
-- Identifiers are unquoted, so Postgres folds them to lower case and users may
-- write TEST_RESULTS or test_results alike. Timestamps are TIMESTAMPTZ (UTC),
-- JSON payloads JSONB, latencies and timings integer microseconds.

CREATE TABLE IF NOT EXISTS SCHEMA_VERSION (
    VERSION                INTEGER         NOT NULL PRIMARY KEY,
    APPLIED_AT             TIMESTAMPTZ     NOT NULL,
    DESCRIPTION            TEXT            NOT NULL
);

CREATE TABLE IF NOT EXISTS TEST_TEMPLATES (
    TEMPLATE_ID            TEXT            NOT NULL PRIMARY KEY,
    TEMPLATE_NAME          TEXT            NOT NULL UNIQUE,
    DESCRIPTION            TEXT            NOT NULL DEFAULT '',
    CONFIG                 JSONB           NOT NULL,
    CONFIG_HASH            TEXT            NOT NULL,
    VERSION                INTEGER         NOT NULL DEFAULT 1,
    CREATED_AT             TIMESTAMPTZ     NOT NULL,
    CREATED_BY             TEXT            NOT NULL DEFAULT '',
    UPDATED_AT             TIMESTAMPTZ     NOT NULL,
    UPDATED_BY             TEXT            NOT NULL DEFAULT '',
    TAGS                   JSONB,
    USAGE_COUNT            BIGINT          NOT NULL DEFAULT 0,
    LAST_USED_AT           TIMESTAMPTZ
);

CREATE TABLE IF NOT EXISTS RUN_STATUS (
    RUN_ID                 TEXT            NOT NULL PRIMARY KEY,
    SCENARIO_NAME          TEXT            NOT NULL,
    TEMPLATE_ID            TEXT,
    TEMPLATE_NAME          TEXT,
    STATUS                 TEXT            NOT NULL CHECK (STATUS IN ('PREPARED','STARTING','RUNNING','STOPPING','COMPLETED','FAILED','CANCELLED')),
    PHASE                  TEXT            NOT NULL DEFAULT '',
    PHASE_KIND             TEXT            CHECK (PHASE_KIND IS NULL OR PHASE_KIND IN ('WARMUP','MEASUREMENT')),
    TOTAL_WORKERS_EXPECTED BIGINT          NOT NULL DEFAULT 0,
    WORKERS_REGISTERED     BIGINT          NOT NULL DEFAULT 0,
    WORKERS_ACTIVE         BIGINT          NOT NULL DEFAULT 0,
    WORKERS_COMPLETED      BIGINT          NOT NULL DEFAULT 0,
    CREATED_AT             TIMESTAMPTZ     NOT NULL,
    START_TIME             TIMESTAMPTZ,
    END_TIME               TIMESTAMPTZ,
    WARMUP_START_TIME      TIMESTAMPTZ,
    WARMUP_END_TIME        TIMESTAMPTZ,
    MEASUREMENT_START_TIME TIMESTAMPTZ,
    MEASUREMENT_END_TIME   TIMESTAMPTZ,
    FAILURE_REASON         TEXT,
    PLAN                   JSONB,
    SEED                   BIGINT          NOT NULL DEFAULT 0,
    SAMPLE_RATE            DOUBLE PRECISION NOT NULL DEFAULT 1,
    NEXT_SEQUENCE_ID       BIGINT          NOT NULL DEFAULT 1,
    UPDATED_AT             TIMESTAMPTZ     NOT NULL
);
CREATE INDEX IF NOT EXISTS RUN_STATUS_CREATED_AT ON RUN_STATUS (CREATED_AT);

CREATE TABLE IF NOT EXISTS RUN_CONTROL_EVENTS (
    RUN_ID                 TEXT            NOT NULL,
    SEQUENCE_ID            BIGINT          NOT NULL,
    EVENT_TYPE             TEXT            NOT NULL,
    PAYLOAD                JSONB,
    CREATED_AT             TIMESTAMPTZ     NOT NULL,
    PRIMARY KEY (RUN_ID, SEQUENCE_ID)
);

CREATE TABLE IF NOT EXISTS WORKER_HEARTBEATS (
    RUN_ID                 TEXT            NOT NULL,
    WORKER_ID              TEXT            NOT NULL,
    WORKER_GROUP_ID        INTEGER         NOT NULL,
    STATUS                 TEXT            NOT NULL CHECK (STATUS IN ('STARTING','READY','RUNNING','DRAINING','COMPLETED','DEAD')),
    PHASE                  TEXT            NOT NULL DEFAULT '',
    LAST_HEARTBEAT         TIMESTAMPTZ     NOT NULL,
    HEARTBEAT_COUNT        BIGINT          NOT NULL DEFAULT 0,
    ACTIVE_CONNECTIONS     BIGINT          NOT NULL DEFAULT 0,
    TARGET_CONNECTIONS     BIGINT          NOT NULL DEFAULT 0,
    OPERATIONS             BIGINT          NOT NULL DEFAULT 0,
    ERRORS                 BIGINT          NOT NULL DEFAULT 0,
    LAST_ERROR             TEXT,
    HOST                   TEXT            NOT NULL DEFAULT '',
    PID                    INTEGER         NOT NULL DEFAULT 0,
    CREATED_AT             TIMESTAMPTZ     NOT NULL,
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
    START_TIME             TIMESTAMPTZ,
    END_TIME               TIMESTAMPTZ,
    MEASUREMENT_START_TIME TIMESTAMPTZ,
    MEASUREMENT_END_TIME   TIMESTAMPTZ,
    TOTAL_OPERATIONS       BIGINT          NOT NULL DEFAULT 0,
    OK_OPERATIONS          BIGINT          NOT NULL DEFAULT 0,
    ERROR_OPERATIONS       BIGINT          NOT NULL DEFAULT 0,
    READ_OPERATIONS        BIGINT          NOT NULL DEFAULT 0,
    WRITE_OPERATIONS       BIGINT          NOT NULL DEFAULT 0,
    DROPPED_OPERATIONS     BIGINT          NOT NULL DEFAULT 0,
    QPS                    DOUBLE PRECISION NOT NULL DEFAULT 0,
    P50_US                 BIGINT,
    P90_US                 BIGINT,
    P95_US                 BIGINT,
    P99_US                 BIGINT,
    P999_US                BIGINT,
    MAX_US                 BIGINT,
    MEAN_US                BIGINT,
    ERROR_RATE             DOUBLE PRECISION NOT NULL DEFAULT 0,
    SAMPLE_RATE            DOUBLE PRECISION NOT NULL DEFAULT 1,
    OPS_ISSUED             BIGINT          NOT NULL DEFAULT 0,
    ROWS_STORED            BIGINT          NOT NULL DEFAULT 0,
    QUERY_RESULTS          JSONB,
    PHASE_RESULTS          JSONB,
    ERRORS                 JSONB,
    HISTOGRAMS             JSONB,
    SCENARIO_SNAPSHOT      JSONB,
    CREATED_AT             TIMESTAMPTZ     NOT NULL,
    UPDATED_AT             TIMESTAMPTZ     NOT NULL
);
CREATE INDEX IF NOT EXISTS TEST_RESULTS_RUN_ID ON TEST_RESULTS (RUN_ID);

CREATE TABLE IF NOT EXISTS QUERY_EXECUTIONS (
    EXECUTION_ID           TEXT            NOT NULL PRIMARY KEY,
    RUN_ID                 TEXT            NOT NULL,
    TEST_ID                TEXT            NOT NULL,
    WORKER_ID              TEXT            NOT NULL,
    WORKER_GROUP_ID        INTEGER         NOT NULL,
    PHASE                  TEXT            NOT NULL,
    WARMUP                 BOOLEAN         NOT NULL,
    QUERY_NAME             TEXT            NOT NULL,
    QUERY_KIND             TEXT            NOT NULL,
    INTENDED_START         TIMESTAMPTZ,
    ACTUAL_START           TIMESTAMPTZ     NOT NULL,
    LATENCY_US             BIGINT          NOT NULL,
    SERVICE_US             BIGINT          NOT NULL,
    SUCCESS                BOOLEAN         NOT NULL,
    ERROR_CODE             TEXT,
    SQLSTATE               TEXT,
    ERROR_MESSAGE          TEXT,
    ROWS_AFFECTED          BIGINT,
    TARGET_QUERY_ID        TEXT,
    SAMPLE_WEIGHT          DOUBLE PRECISION NOT NULL DEFAULT 1,
    COMPILE_US             BIGINT,
    QUEUED_US              BIGINT,
    EXECUTION_US           BIGINT,
    TOTAL_ELAPSED_US       BIGINT,
    BYTES_SCANNED          BIGINT,
    ROWS_PRODUCED          BIGINT
);
CREATE INDEX IF NOT EXISTS QUERY_EXECUTIONS_RUN_ID ON QUERY_EXECUTIONS (RUN_ID, TEST_ID);
-- Enrichment matches rows by the target's own query id within a run.
CREATE INDEX IF NOT EXISTS QUERY_EXECUTIONS_TARGET_QUERY_ID ON QUERY_EXECUTIONS (RUN_ID, TARGET_QUERY_ID);

CREATE TABLE IF NOT EXISTS WORKER_METRICS_SNAPSHOTS (
    RUN_ID                 TEXT            NOT NULL,
    TEST_ID                TEXT            NOT NULL,
    WORKER_ID              TEXT            NOT NULL,
    WORKER_GROUP_ID        INTEGER         NOT NULL,
    TS                     TIMESTAMPTZ     NOT NULL,
    ELAPSED_MS             BIGINT          NOT NULL,
    PHASE                  TEXT            NOT NULL,
    PHASE_KIND             TEXT,
    OPERATIONS             BIGINT          NOT NULL,
    ERRORS                 BIGINT          NOT NULL,
    DROPPED                BIGINT          NOT NULL DEFAULT 0,
    QPS                    DOUBLE PRECISION NOT NULL,
    P50_US                 BIGINT,
    P95_US                 BIGINT,
    P99_US                 BIGINT,
    ACTIVE_CONNECTIONS     BIGINT          NOT NULL DEFAULT 0,
    EXTRA                  JSONB
);
CREATE INDEX IF NOT EXISTS WORKER_METRICS_SNAPSHOTS_RUN ON WORKER_METRICS_SNAPSHOTS (RUN_ID, WORKER_ID, TS);

CREATE TABLE IF NOT EXISTS FLAKEBENCH_LOCKS (
    LOCK_NAME              TEXT            NOT NULL PRIMARY KEY,
    LOCK_ID                TEXT            NOT NULL UNIQUE,
    HOLDER                 TEXT            NOT NULL,
    ACQUIRED_AT            TIMESTAMPTZ     NOT NULL,
    EXPIRES_AT             TIMESTAMPTZ     NOT NULL
);
