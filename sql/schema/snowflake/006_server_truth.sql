-- FlakeBench results store, Snowflake dialect, migration 006: what the server
-- said about a run (see sql/schema/sqlite/005_*.sql). Standard tables, like
-- QUERY_EXECUTIONS: written in batches after or during a run. Rerunnable.

CREATE TABLE IF NOT EXISTS QUERY_AGGREGATES (
    RUN_ID                 VARCHAR         NOT NULL,
    INTERVAL_START         TIMESTAMP_NTZ   NOT NULL,
    INTERVAL_END           TIMESTAMP_NTZ   NOT NULL,
    QUERY_HASH             VARCHAR         NOT NULL,
    QUERY_TAG              VARCHAR         NOT NULL DEFAULT '',
    WAREHOUSE_NAME         VARCHAR         NOT NULL DEFAULT '',
    QUERY_NAME             VARCHAR,
    QUERY_TEXT             VARCHAR,
    CALLS                  NUMBER(38,0)    NOT NULL,
    ERRORS                 NUMBER(38,0)    NOT NULL DEFAULT 0,
    ELAPSED_AVG_US         NUMBER(38,0),
    ELAPSED_MEDIAN_US      NUMBER(38,0),
    ELAPSED_P90_US         NUMBER(38,0),
    ELAPSED_P99_US         NUMBER(38,0),
    ELAPSED_MAX_US         NUMBER(38,0),
    COMPILE_AVG_US         NUMBER(38,0),
    EXECUTION_AVG_US       NUMBER(38,0),
    QUEUED_AVG_US          NUMBER(38,0),
    ERRORS_JSON            VARIANT,
    COLLECTED_AT           TIMESTAMP_NTZ   NOT NULL
);

CREATE TABLE IF NOT EXISTS SERVER_SAMPLES (
    RUN_ID                 VARCHAR         NOT NULL,
    SAMPLED_AT             TIMESTAMP_NTZ   NOT NULL,
    PHASE                  VARCHAR         NOT NULL DEFAULT '',
    TARGET                 VARCHAR         NOT NULL DEFAULT '',
    STATE                  VARCHAR         NOT NULL,
    KIND                   VARCHAR         NOT NULL DEFAULT '',
    SESSIONS               NUMBER(38,0)    NOT NULL
);

CREATE TABLE IF NOT EXISTS LOCK_WAITS (
    RUN_ID                 VARCHAR         NOT NULL,
    OBSERVED_AT            TIMESTAMP_NTZ   NOT NULL,
    PHASE                  VARCHAR         NOT NULL DEFAULT '',
    TARGET                 VARCHAR         NOT NULL DEFAULT '',
    WAITER                 VARCHAR         NOT NULL DEFAULT '',
    WAITER_QUERY           VARCHAR,
    BLOCKER                VARCHAR,
    LOCK_TYPE              VARCHAR,
    LOCK_OBJECT            VARCHAR,
    WAIT_US                NUMBER(38,0)    NOT NULL
);

CREATE TABLE IF NOT EXISTS RUN_FINGERPRINTS (
    RUN_ID                 VARCHAR         NOT NULL,
    TARGET                 VARCHAR         NOT NULL,
    BACKEND                VARCHAR         NOT NULL,
    SETTINGS               VARIANT         NOT NULL,
    ACTIONS                VARIANT,
    COLLECTED_AT           TIMESTAMP_NTZ   NOT NULL,
    PRIMARY KEY (RUN_ID, TARGET)
);
