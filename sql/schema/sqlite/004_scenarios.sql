-- FlakeBench results store, SQLite dialect, migration 004: scenarios in the
-- stored state. TEST_SCENARIOS holds each applied scenario's canonical CONFIG
-- (everything that changes what a run does: phases, models, rates,
-- connections, workers, sampling, thresholds, setup and teardown SQL), so
-- `fbctl plan` diffs a scenario edit at attribute level like a template edit.
-- Same columns as TEST_TEMPLATES. Stores that predate it start empty: the
-- first plan shows every scenario as created.

CREATE TABLE IF NOT EXISTS TEST_SCENARIOS (
    SCENARIO_ID            TEXT            NOT NULL PRIMARY KEY,
    SCENARIO_NAME          TEXT            NOT NULL UNIQUE,
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
