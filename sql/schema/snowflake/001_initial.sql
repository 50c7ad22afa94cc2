-- FlakeBench results store, Snowflake dialect, migration 001.
-- Rerunnable: every statement is CREATE ... IF NOT EXISTS. Applied only by
-- `fbctl schema apply`; the store never runs DDL at run time on Snowflake.
--
-- Control-plane tables (TEST_TEMPLATES, RUN_STATUS, RUN_CONTROL_EVENTS,
-- WORKER_HEARTBEATS, FLAKEBENCH_LOCKS, SCHEMA_VERSION) are hybrid tables with
-- enforced primary keys: they take row locks and serve single-row reads fast.
-- Results tables are standard tables clustered by run.
--
-- Timestamps are TIMESTAMP_NTZ holding UTC wall-clock time (the store binds
-- time.Time in UTC, which the driver sends as TIMESTAMP_NTZ). JSON payloads
-- are VARIANT.
-- QPS, ERROR_RATE, SAMPLE_RATE and SAMPLE_WEIGHT are exact NUMBERs bound as
-- decimal text, never float64; latencies and timings are integer microseconds.

CREATE HYBRID TABLE IF NOT EXISTS SCHEMA_VERSION (
    VERSION                NUMBER(38,0)    NOT NULL PRIMARY KEY,
    APPLIED_AT             TIMESTAMP_NTZ   NOT NULL,
    DESCRIPTION            VARCHAR         NOT NULL
);

CREATE HYBRID TABLE IF NOT EXISTS TEST_TEMPLATES (
    TEMPLATE_ID            VARCHAR         NOT NULL PRIMARY KEY,
    TEMPLATE_NAME          VARCHAR         NOT NULL UNIQUE,
    DESCRIPTION            VARCHAR         NOT NULL DEFAULT '',
    CONFIG                 VARIANT         NOT NULL,
    CONFIG_HASH            VARCHAR         NOT NULL,
    VERSION                NUMBER(38,0)    NOT NULL DEFAULT 1,
    CREATED_AT             TIMESTAMP_NTZ   NOT NULL,
    CREATED_BY             VARCHAR         NOT NULL DEFAULT '',
    UPDATED_AT             TIMESTAMP_NTZ   NOT NULL,
    UPDATED_BY             VARCHAR         NOT NULL DEFAULT '',
    TAGS                   VARIANT,
    USAGE_COUNT            NUMBER(38,0)    NOT NULL DEFAULT 0,
    LAST_USED_AT           TIMESTAMP_NTZ
);

CREATE HYBRID TABLE IF NOT EXISTS RUN_STATUS (
    RUN_ID                 VARCHAR         NOT NULL PRIMARY KEY,
    SCENARIO_NAME          VARCHAR         NOT NULL,
    TEMPLATE_ID            VARCHAR,
    TEMPLATE_NAME          VARCHAR,
    STATUS                 VARCHAR         NOT NULL,
    PHASE                  VARCHAR         NOT NULL DEFAULT '',
    PHASE_KIND             VARCHAR,
    TOTAL_WORKERS_EXPECTED NUMBER(38,0)    NOT NULL DEFAULT 0,
    WORKERS_REGISTERED     NUMBER(38,0)    NOT NULL DEFAULT 0,
    WORKERS_ACTIVE         NUMBER(38,0)    NOT NULL DEFAULT 0,
    WORKERS_COMPLETED      NUMBER(38,0)    NOT NULL DEFAULT 0,
    CREATED_AT             TIMESTAMP_NTZ   NOT NULL,
    START_TIME             TIMESTAMP_NTZ,
    END_TIME               TIMESTAMP_NTZ,
    WARMUP_START_TIME      TIMESTAMP_NTZ,
    WARMUP_END_TIME        TIMESTAMP_NTZ,
    MEASUREMENT_START_TIME TIMESTAMP_NTZ,
    MEASUREMENT_END_TIME   TIMESTAMP_NTZ,
    FAILURE_REASON         VARCHAR,
    PLAN                   VARIANT,
    SEED                   NUMBER(38,0)    NOT NULL DEFAULT 0,
    SAMPLE_RATE            NUMBER(20,12)   NOT NULL DEFAULT 1,
    NEXT_SEQUENCE_ID       NUMBER(38,0)    NOT NULL DEFAULT 1,
    UPDATED_AT             TIMESTAMP_NTZ   NOT NULL,
    INDEX RUN_STATUS_CREATED_AT (CREATED_AT)
);

CREATE HYBRID TABLE IF NOT EXISTS RUN_CONTROL_EVENTS (
    RUN_ID                 VARCHAR         NOT NULL,
    SEQUENCE_ID            NUMBER(38,0)    NOT NULL,
    EVENT_TYPE             VARCHAR         NOT NULL,
    PAYLOAD                VARIANT,
    CREATED_AT             TIMESTAMP_NTZ   NOT NULL,
    PRIMARY KEY (RUN_ID, SEQUENCE_ID)
);

CREATE HYBRID TABLE IF NOT EXISTS WORKER_HEARTBEATS (
    RUN_ID                 VARCHAR         NOT NULL,
    WORKER_ID              VARCHAR         NOT NULL,
    WORKER_GROUP_ID        NUMBER(38,0)    NOT NULL,
    STATUS                 VARCHAR         NOT NULL,
    PHASE                  VARCHAR         NOT NULL DEFAULT '',
    LAST_HEARTBEAT         TIMESTAMP_NTZ   NOT NULL,
    HEARTBEAT_COUNT        NUMBER(38,0)    NOT NULL DEFAULT 0,
    ACTIVE_CONNECTIONS     NUMBER(38,0)    NOT NULL DEFAULT 0,
    TARGET_CONNECTIONS     NUMBER(38,0)    NOT NULL DEFAULT 0,
    OPERATIONS             NUMBER(38,0)    NOT NULL DEFAULT 0,
    ERRORS                 NUMBER(38,0)    NOT NULL DEFAULT 0,
    LAST_ERROR             VARCHAR,
    HOST                   VARCHAR         NOT NULL DEFAULT '',
    PID                    NUMBER(38,0)    NOT NULL DEFAULT 0,
    CREATED_AT             TIMESTAMP_NTZ   NOT NULL,
    PRIMARY KEY (RUN_ID, WORKER_ID),
    UNIQUE (RUN_ID, WORKER_GROUP_ID)
);

CREATE TABLE IF NOT EXISTS TEST_RESULTS (
    TEST_ID                VARCHAR         NOT NULL PRIMARY KEY,
    RUN_ID                 VARCHAR         NOT NULL,
    WORKER_ID              VARCHAR,
    WORKER_GROUP_ID        NUMBER(38,0),
    SCENARIO_NAME          VARCHAR         NOT NULL,
    TEMPLATE_ID            VARCHAR,
    TEMPLATE_NAME          VARCHAR,
    STATUS                 VARCHAR         NOT NULL,
    FAILURE_REASON         VARCHAR,
    START_TIME             TIMESTAMP_NTZ,
    END_TIME               TIMESTAMP_NTZ,
    MEASUREMENT_START_TIME TIMESTAMP_NTZ,
    MEASUREMENT_END_TIME   TIMESTAMP_NTZ,
    TOTAL_OPERATIONS       NUMBER(38,0)    NOT NULL DEFAULT 0,
    OK_OPERATIONS          NUMBER(38,0)    NOT NULL DEFAULT 0,
    ERROR_OPERATIONS       NUMBER(38,0)    NOT NULL DEFAULT 0,
    READ_OPERATIONS        NUMBER(38,0)    NOT NULL DEFAULT 0,
    WRITE_OPERATIONS       NUMBER(38,0)    NOT NULL DEFAULT 0,
    DROPPED_OPERATIONS     NUMBER(38,0)    NOT NULL DEFAULT 0,
    QPS                    NUMBER(24,6)    NOT NULL DEFAULT 0,
    P50_US                 NUMBER(38,0),
    P90_US                 NUMBER(38,0),
    P95_US                 NUMBER(38,0),
    P99_US                 NUMBER(38,0),
    P999_US                NUMBER(38,0),
    MAX_US                 NUMBER(38,0),
    MEAN_US                NUMBER(38,0),
    ERROR_RATE             NUMBER(20,12)   NOT NULL DEFAULT 0,
    SAMPLE_RATE            NUMBER(20,12)   NOT NULL DEFAULT 1,
    OPS_ISSUED             NUMBER(38,0)    NOT NULL DEFAULT 0,
    ROWS_STORED            NUMBER(38,0)    NOT NULL DEFAULT 0,
    QUERY_RESULTS          VARIANT,
    PHASE_RESULTS          VARIANT,
    ERRORS                 VARIANT,
    HISTOGRAMS             VARIANT,
    SCENARIO_SNAPSHOT      VARIANT,
    CREATED_AT             TIMESTAMP_NTZ   NOT NULL,
    UPDATED_AT             TIMESTAMP_NTZ   NOT NULL
);

CREATE TABLE IF NOT EXISTS QUERY_EXECUTIONS (
    EXECUTION_ID           VARCHAR         NOT NULL PRIMARY KEY,
    RUN_ID                 VARCHAR         NOT NULL,
    TEST_ID                VARCHAR         NOT NULL,
    WORKER_ID              VARCHAR         NOT NULL,
    WORKER_GROUP_ID        NUMBER(38,0)    NOT NULL,
    PHASE                  VARCHAR         NOT NULL,
    WARMUP                 BOOLEAN         NOT NULL,
    QUERY_NAME             VARCHAR         NOT NULL,
    QUERY_KIND             VARCHAR         NOT NULL,
    INTENDED_START         TIMESTAMP_NTZ,
    ACTUAL_START           TIMESTAMP_NTZ   NOT NULL,
    LATENCY_US             NUMBER(38,0)    NOT NULL,
    SERVICE_US             NUMBER(38,0)    NOT NULL,
    SUCCESS                BOOLEAN         NOT NULL,
    ERROR_CODE             VARCHAR,
    SQLSTATE               VARCHAR,
    ERROR_MESSAGE          VARCHAR,
    ROWS_AFFECTED          NUMBER(38,0),
    TARGET_QUERY_ID        VARCHAR,
    SAMPLE_WEIGHT          NUMBER(20,12)   NOT NULL DEFAULT 1,
    COMPILE_US             NUMBER(38,0),
    QUEUED_US              NUMBER(38,0),
    EXECUTION_US           NUMBER(38,0),
    TOTAL_ELAPSED_US       NUMBER(38,0),
    BYTES_SCANNED          NUMBER(38,0),
    ROWS_PRODUCED          NUMBER(38,0)
)
CLUSTER BY (RUN_ID);

CREATE TABLE IF NOT EXISTS WORKER_METRICS_SNAPSHOTS (
    RUN_ID                 VARCHAR         NOT NULL,
    TEST_ID                VARCHAR         NOT NULL,
    WORKER_ID              VARCHAR         NOT NULL,
    WORKER_GROUP_ID        NUMBER(38,0)    NOT NULL,
    TS                     TIMESTAMP_NTZ   NOT NULL,
    ELAPSED_MS             NUMBER(38,0)    NOT NULL,
    PHASE                  VARCHAR         NOT NULL,
    PHASE_KIND             VARCHAR,
    OPERATIONS             NUMBER(38,0)    NOT NULL,
    ERRORS                 NUMBER(38,0)    NOT NULL,
    DROPPED                NUMBER(38,0)    NOT NULL DEFAULT 0,
    QPS                    NUMBER(24,6)    NOT NULL,
    P50_US                 NUMBER(38,0),
    P95_US                 NUMBER(38,0),
    P99_US                 NUMBER(38,0),
    ACTIVE_CONNECTIONS     NUMBER(38,0)    NOT NULL DEFAULT 0,
    EXTRA                  VARIANT
)
CLUSTER BY (RUN_ID);

CREATE HYBRID TABLE IF NOT EXISTS FLAKEBENCH_LOCKS (
    LOCK_NAME              VARCHAR         NOT NULL PRIMARY KEY,
    LOCK_ID                VARCHAR         NOT NULL UNIQUE,
    HOLDER                 VARCHAR         NOT NULL,
    ACQUIRED_AT            TIMESTAMP_NTZ   NOT NULL,
    EXPIRES_AT             TIMESTAMP_NTZ   NOT NULL
);
