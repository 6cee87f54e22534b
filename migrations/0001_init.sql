-- 0001: projects, documents and the scans that fill them.
CREATE TABLE roots (
    id          INTEGER PRIMARY KEY,
    path        TEXT NOT NULL UNIQUE,          -- absolute, resolved
    added_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE projects (
    id            INTEGER PRIMARY KEY,
    root_id       INTEGER NOT NULL REFERENCES roots(id) ON DELETE CASCADE,
    code          TEXT NOT NULL,               -- 5-digit project number
    folder_name   TEXT NOT NULL,               -- '21614 - PLWRX  TR L1 Upgrades'
    rel_path      TEXT NOT NULL,               -- relative to the root, '/' separated
    range_folder  TEXT,                        -- '21000 - 21999' when the project sits in one
    client        TEXT,                        -- abbreviation from the folder name
    description   TEXT NOT NULL DEFAULT '',
    client_names  TEXT NOT NULL DEFAULT '[]',  -- JSON list: fuller names seen in document names
    doc_count     INTEGER NOT NULL DEFAULT 0,
    mtime         REAL,
    indexed_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (root_id, rel_path)
);
CREATE INDEX projects_code ON projects(code);

CREATE TABLE documents (
    id                INTEGER PRIMARY KEY,     -- stable across rescans and moves
    project_id        INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    root_id           INTEGER NOT NULL REFERENCES roots(id) ON DELETE CASCADE,
    rel_path          TEXT NOT NULL,           -- relative to the root, '/' separated
    project_rel_path  TEXT NOT NULL,           -- relative to the project folder
    name              TEXT NOT NULL,
    ext               TEXT NOT NULL,           -- lower case, no dot
    size              INTEGER NOT NULL,
    mtime             REAL NOT NULL,
    doc_type          TEXT NOT NULL,
    phase             TEXT,
    revision          INTEGER,
    revision_raw      TEXT,
    revision_scheme   TEXT,
    status_tags       TEXT NOT NULL DEFAULT '[]',  -- JSON list
    is_as_built       INTEGER NOT NULL DEFAULT 0,
    doc_date          TEXT,                    -- ISO date
    room              INTEGER,
    change_order      INTEGER,
    sheet             TEXT,
    code_in_name      TEXT,
    series_key        TEXT NOT NULL,
    is_archive        INTEGER NOT NULL DEFAULT 0,
    is_handover_copy  INTEGER NOT NULL DEFAULT 0,
    duplicate_counter INTEGER,
    indexed_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (root_id, rel_path)
);
CREATE INDEX documents_project_type ON documents(project_id, doc_type);
CREATE INDEX documents_series ON documents(project_id, series_key);
CREATE INDEX documents_move ON documents(root_id, name, size, mtime);

CREATE TABLE scans (
    id           INTEGER PRIMARY KEY,
    root_id      INTEGER NOT NULL REFERENCES roots(id) ON DELETE CASCADE,
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    status       TEXT NOT NULL DEFAULT 'running',   -- running | done | failed
    files_seen   INTEGER NOT NULL DEFAULT 0,
    added        INTEGER NOT NULL DEFAULT 0,
    updated      INTEGER NOT NULL DEFAULT 0,
    moved        INTEGER NOT NULL DEFAULT 0,
    deleted      INTEGER NOT NULL DEFAULT 0,
    unchanged    INTEGER NOT NULL DEFAULT 0,
    problems     INTEGER NOT NULL DEFAULT 0,
    seconds      REAL
);

CREATE TABLE scan_problems (
    id       INTEGER PRIMARY KEY,
    scan_id  INTEGER NOT NULL REFERENCES scans(id) ON DELETE CASCADE,
    path     TEXT NOT NULL,          -- relative to the root where possible
    kind     TEXT NOT NULL,          -- permission | loop | vanished | too_long | encoding | error
    message  TEXT NOT NULL
);
CREATE INDEX scan_problems_scan ON scan_problems(scan_id);
