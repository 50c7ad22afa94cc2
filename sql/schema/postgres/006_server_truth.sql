-- FlakeBench results store, Postgres dialect, migration 006: what the server
-- said about a run (see sql/schema/sqlite/005_*.sql). Rerunnable.

CREATE TABLE IF NOT EXISTS QUERY_AGGREGATES (
    RUN_ID                 TEXT            NOT NULL,
    INTERVAL_START         TIMESTAMPTZ     NOT NULL,
    INTERVAL_END           TIMESTAMPTZ     NOT NULL,
    QUERY_HASH             TEXT            NOT NULL,
    QUERY_TAG              TEXT            NOT NULL DEFAULT '',
    WAREHOUSE_NAME         TEXT            NOT NULL DEFAULT '',
    QUERY_NAME             TEXT,
    QUERY_TEXT             TEXT,
    CALLS                  BIGINT          NOT NULL,
    ERRORS                 BIGINT          NOT NULL DEFAULT 0,
    ELAPSED_AVG_US         BIGINT,
    ELAPSED_MEDIAN_US      BIGINT,
    ELAPSED_P90_US         BIGINT,
    ELAPSED_P99_US         BIGINT,
    ELAPSED_MAX_US         BIGINT,
    COMPILE_AVG_US         BIGINT,
    EXECUTION_AVG_US       BIGINT,
    QUEUED_AVG_US          BIGINT,
    ERRORS_JSON            JSONB,
    COLLECTED_AT           TIMESTAMPTZ     NOT NULL
);
CREATE INDEX IF NOT EXISTS QUERY_AGGREGATES_RUN ON QUERY_AGGREGATES (RUN_ID, INTERVAL_START);

CREATE TABLE IF NOT EXISTS SERVER_SAMPLES (
    RUN_ID                 TEXT            NOT NULL,
    SAMPLED_AT             TIMESTAMPTZ     NOT NULL,
    PHASE                  TEXT            NOT NULL DEFAULT '',
    TARGET                 TEXT            NOT NULL DEFAULT '',
    STATE                  TEXT            NOT NULL,
    KIND                   TEXT            NOT NULL DEFAULT '',
    SESSIONS               BIGINT          NOT NULL
);
CREATE INDEX IF NOT EXISTS SERVER_SAMPLES_RUN ON SERVER_SAMPLES (RUN_ID, SAMPLED_AT);

CREATE TABLE IF NOT EXISTS LOCK_WAITS (
    RUN_ID                 TEXT            NOT NULL,
    OBSERVED_AT            TIMESTAMPTZ     NOT NULL,
    PHASE                  TEXT            NOT NULL DEFAULT '',
    TARGET                 TEXT            NOT NULL DEFAULT '',
    WAITER                 TEXT            NOT NULL DEFAULT '',
    WAITER_QUERY           TEXT,
    BLOCKER                TEXT,
    LOCK_TYPE              TEXT,
    LOCK_OBJECT            TEXT,
    WAIT_US                BIGINT          NOT NULL
);
CREATE INDEX IF NOT EXISTS LOCK_WAITS_RUN ON LOCK_WAITS (RUN_ID, OBSERVED_AT);

CREATE TABLE IF NOT EXISTS RUN_FINGERPRINTS (
    RUN_ID                 TEXT            NOT NULL,
    TARGET                 TEXT            NOT NULL,
    BACKEND                TEXT            NOT NULL,
    SETTINGS               JSONB           NOT NULL,
    ACTIONS                JSONB,
    COLLECTED_AT           TIMESTAMPTZ     NOT NULL,
    PRIMARY KEY (RUN_ID, TARGET)
);
