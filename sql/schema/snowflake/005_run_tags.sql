-- FlakeBench results store, Snowflake dialect, migration 005: run tags (see
-- sql/schema/sqlite/005_*.sql). Rerunnable; a hybrid table (small rows
-- written once per run and looked up by key).

CREATE HYBRID TABLE IF NOT EXISTS RUN_TAGS (
    RUN_ID                 VARCHAR         NOT NULL,
    TAG_KEY                VARCHAR         NOT NULL,
    TAG_VALUE              VARCHAR         NOT NULL,
    CREATED_AT             TIMESTAMP_NTZ   NOT NULL,
    PRIMARY KEY (RUN_ID, TAG_KEY),
    INDEX RUN_TAGS_BY_TAG (TAG_KEY, TAG_VALUE)
);
