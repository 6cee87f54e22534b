-- 0005: the model service. Trained models are rows, never files: parameters and metrics as JSON,
-- arrays as one npz blob (loaded with allow_pickle=False; nothing here is ever unpickled).
-- Written so it can be renumbered at merge without edits (IF NOT EXISTS everywhere).

CREATE TABLE IF NOT EXISTS ml_models (
    name          TEXT NOT NULL,                 -- "recommender", "next_project", "doc_classifier", ...
    version       INTEGER NOT NULL,              -- 1, 2, ... per name
    created_at    TEXT NOT NULL,                 -- ISO 8601 UTC
    status        TEXT NOT NULL CHECK (status IN ('candidate', 'active', 'retired')),
    params        TEXT NOT NULL,                 -- JSON object
    metrics       TEXT NOT NULL,                 -- JSON object: offline metrics from training
    artifact      BLOB,                          -- npz (numpy arrays only), NULL when the model has none
    checksum      TEXT NOT NULL,                 -- sha256 of params + artifact: a changed byte is noticed
    trained_from  TEXT,                          -- event range the model learned from (ISO 8601 UTC)
    trained_to    TEXT,
    promoted_at   TEXT,                          -- last time it became active: rollback returns to the latest
    PRIMARY KEY (name, version)
) WITHOUT ROWID;
-- At most one active version per model.
CREATE UNIQUE INDEX IF NOT EXISTS ml_models_active ON ml_models(name) WHERE status = 'active';

CREATE TABLE IF NOT EXISTS ml_ab_tests (
    name        TEXT PRIMARY KEY,
    model       TEXT NOT NULL,
    variants    TEXT NOT NULL,                   -- JSON object {"version": share}, shares sum to 1
    metric      TEXT NOT NULL,                   -- "ctr" (clicks per impression) or "hit_rate"
    status      TEXT NOT NULL CHECK (status IN ('running', 'stopped')),
    created_at  TEXT NOT NULL,
    stopped_at  TEXT,
    outcome     TEXT                             -- JSON: the final results when stopped
) WITHOUT ROWID;
-- At most one running test per model, so a user is never in two experiments on one model.
CREATE UNIQUE INDEX IF NOT EXISTS ml_ab_tests_running ON ml_ab_tests(model) WHERE status = 'running';
