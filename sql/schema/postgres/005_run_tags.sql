-- FlakeBench results store, Postgres dialect, migration 005: run tags (see
-- sql/schema/sqlite/005_*.sql). Rerunnable.

CREATE TABLE IF NOT EXISTS RUN_TAGS (
    RUN_ID                 TEXT            NOT NULL,
    TAG_KEY                TEXT            NOT NULL,
    TAG_VALUE              TEXT            NOT NULL,
    CREATED_AT             TIMESTAMPTZ     NOT NULL,
    PRIMARY KEY (RUN_ID, TAG_KEY)
);

CREATE INDEX IF NOT EXISTS RUN_TAGS_BY_TAG ON RUN_TAGS (TAG_KEY, TAG_VALUE);
