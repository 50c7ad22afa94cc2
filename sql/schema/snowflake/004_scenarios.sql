-- FlakeBench results store, Snowflake dialect, migration 004: scenarios in the
-- stored state (see sql/schema/sqlite/004_*.sql). Rerunnable; a hybrid table
-- like TEST_TEMPLATES.

CREATE HYBRID TABLE IF NOT EXISTS TEST_SCENARIOS (
    SCENARIO_ID            VARCHAR         NOT NULL PRIMARY KEY,
    SCENARIO_NAME          VARCHAR         NOT NULL UNIQUE,
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
