-- FlakeBench results store, Postgres dialect, migration 004: scenarios in the
-- stored state (see sql/schema/sqlite/004_*.sql). Rerunnable.

CREATE TABLE IF NOT EXISTS TEST_SCENARIOS (
    SCENARIO_ID            TEXT            NOT NULL PRIMARY KEY,
    SCENARIO_NAME          TEXT            NOT NULL UNIQUE,
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
