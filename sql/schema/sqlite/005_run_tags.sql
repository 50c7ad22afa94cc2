-- FlakeBench results store, SQLite dialect, migration 005: run tags.
-- RUN_TAGS holds the KEY=VALUE tags of a run (`fbctl apply -tag
-- branch=main`), so `fbctl compare -baseline tag=branch=main` finds the
-- latest run of the same scenario with that tag. Keys starting "fbctl."
-- are written by fbctl itself (the facts compare's comparability gates
-- read: a template's table type, target connection and warehouse).

CREATE TABLE IF NOT EXISTS RUN_TAGS (
    RUN_ID                 TEXT            NOT NULL,
    TAG_KEY                TEXT            NOT NULL,
    TAG_VALUE              TEXT            NOT NULL,
    CREATED_AT             TEXT            NOT NULL,
    PRIMARY KEY (RUN_ID, TAG_KEY)
);

CREATE INDEX IF NOT EXISTS RUN_TAGS_BY_TAG ON RUN_TAGS (TAG_KEY, TAG_VALUE);
