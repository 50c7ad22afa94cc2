-- FlakeBench results store, SQLite dialect, migration 006: what the server
-- said about a run.
--   QUERY_AGGREGATES: per-interval, per-parameterized-query aggregates read
--     from Snowflake's AGGREGATE_QUERY_HISTORY (`fbctl enrich`), the only
--     server-side record of short hybrid-table statements. Times in integer
--     microseconds; QUERY_NAME is the template query whose text matched.
--   SERVER_SAMPLES: the target's statements of this run sampled every few
--     seconds during each phase, counted by state and kind (Snowflake) or
--     state and wait event (Postgres).
--   LOCK_WAITS: lock waits observed while sampling: who waited, on what,
--     for how long, blocked by whom.
--   RUN_FINGERPRINTS: what each target of the run was (versions, sizes,
--     settings) and what fbctl changed on it (warehouse resumed/suspended),
--     one JSON document per target.
-- Rerunnable.

CREATE TABLE IF NOT EXISTS QUERY_AGGREGATES (
    RUN_ID                 TEXT            NOT NULL,
    INTERVAL_START         TEXT            NOT NULL,
    INTERVAL_END           TEXT            NOT NULL,
    QUERY_HASH             TEXT            NOT NULL,
    QUERY_TAG              TEXT            NOT NULL DEFAULT '',
    WAREHOUSE_NAME         TEXT            NOT NULL DEFAULT '',
    QUERY_NAME             TEXT,
    QUERY_TEXT             TEXT,
    CALLS                  INTEGER         NOT NULL,
    ERRORS                 INTEGER         NOT NULL DEFAULT 0,
    ELAPSED_AVG_US         INTEGER,
    ELAPSED_MEDIAN_US      INTEGER,
    ELAPSED_P90_US         INTEGER,
    ELAPSED_P99_US         INTEGER,
    ELAPSED_MAX_US         INTEGER,
    COMPILE_AVG_US         INTEGER,
    EXECUTION_AVG_US       INTEGER,
    QUEUED_AVG_US          INTEGER,
    ERRORS_JSON            TEXT,
    COLLECTED_AT           TEXT            NOT NULL
);
CREATE INDEX IF NOT EXISTS QUERY_AGGREGATES_RUN ON QUERY_AGGREGATES (RUN_ID, INTERVAL_START);

CREATE TABLE IF NOT EXISTS SERVER_SAMPLES (
    RUN_ID                 TEXT            NOT NULL,
    SAMPLED_AT             TEXT            NOT NULL,
    PHASE                  TEXT            NOT NULL DEFAULT '',
    TARGET                 TEXT            NOT NULL DEFAULT '',
    STATE                  TEXT            NOT NULL,
    KIND                   TEXT            NOT NULL DEFAULT '',
    SESSIONS               INTEGER         NOT NULL
);
CREATE INDEX IF NOT EXISTS SERVER_SAMPLES_RUN ON SERVER_SAMPLES (RUN_ID, SAMPLED_AT);

CREATE TABLE IF NOT EXISTS LOCK_WAITS (
    RUN_ID                 TEXT            NOT NULL,
    OBSERVED_AT            TEXT            NOT NULL,
    PHASE                  TEXT            NOT NULL DEFAULT '',
    TARGET                 TEXT            NOT NULL DEFAULT '',
    WAITER                 TEXT            NOT NULL DEFAULT '',
    WAITER_QUERY           TEXT,
    BLOCKER                TEXT,
    LOCK_TYPE              TEXT,
    LOCK_OBJECT            TEXT,
    WAIT_US                INTEGER         NOT NULL
);
CREATE INDEX IF NOT EXISTS LOCK_WAITS_RUN ON LOCK_WAITS (RUN_ID, OBSERVED_AT);

CREATE TABLE IF NOT EXISTS RUN_FINGERPRINTS (
    RUN_ID                 TEXT            NOT NULL,
    TARGET                 TEXT            NOT NULL,
    BACKEND                TEXT            NOT NULL,
    SETTINGS               TEXT            NOT NULL,
    ACTIONS                TEXT,
    COLLECTED_AT           TEXT            NOT NULL,
    PRIMARY KEY (RUN_ID, TARGET)
);
