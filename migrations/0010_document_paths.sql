-- 0010: a smaller documents table (the index of a 116k-document firm: 131 MB -> ~85 MB).
--
-- 1. `rel_path` (the path relative to the root) is dropped: it repeated the project folder's path
--    (`projects.rel_path`) before `project_rel_path` in every row, and its UNIQUE (root_id, rel_path)
--    index held all of it again (~40 MB per 100k documents together). Readers join the project and
--    compute it (quicknav_mcp/repo/documents.py REL_PATH).
-- 2. A path is unique within its project: UNIQUE (project_id, path_key), `path_key` being a 64-bit
--    hash of `project_rel_path` (quicknav_mcp/pathkey.py; the store registers it as `path_key()`).
--    A project's path is unique within its root, so this is the old constraint, and the scanner's
--    upsert takes over a row another process indexed meanwhile exactly as before.
-- 3. `name` is the end of `project_rel_path` (from `name_at`), a virtual column: not stored twice.
--
-- The table is rebuilt by copy (ids kept; foreign keys are off while migrations run), so its
-- indexes and triggers are created again below as 0004/0005/0009 left them.

-- The rename below must not rewrite (or check) the views and triggers that name `documents`.
PRAGMA legacy_alter_table = ON;

CREATE TABLE documents_new (
    id                INTEGER PRIMARY KEY,     -- stable across rescans and moves
    project_id        INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    root_id           INTEGER NOT NULL REFERENCES roots(id) ON DELETE CASCADE,
    project_rel_path  TEXT NOT NULL,           -- relative to the project folder, '/' separated
    path_key          INTEGER NOT NULL,        -- path_key(project_rel_path)
    name_at           INTEGER NOT NULL,        -- where the name starts in project_rel_path (1-based)
    name              TEXT GENERATED ALWAYS AS (substr(project_rel_path, name_at)) VIRTUAL,
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
    UNIQUE (project_id, path_key)
);

INSERT INTO documents_new (
    id, project_id, root_id, project_rel_path, path_key, name_at, ext, size, mtime, doc_type, phase, revision,
    revision_raw, revision_scheme, status_tags, is_as_built, doc_date, room, change_order, sheet, code_in_name,
    series_key, is_archive, is_handover_copy, duplicate_counter, indexed_at
)
SELECT id, project_id, root_id, project_rel_path, path_key(project_rel_path),
       length(project_rel_path) - length(name) + 1, ext, size, mtime, doc_type, phase, revision,
       revision_raw, revision_scheme, status_tags, is_as_built, doc_date, room, change_order, sheet, code_in_name,
       series_key, is_archive, is_handover_copy, duplicate_counter, indexed_at
FROM documents ORDER BY id;

DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;
PRAGMA legacy_alter_table = OFF;

CREATE INDEX documents_project_type ON documents(project_id, doc_type);
CREATE INDEX documents_series ON documents(project_id, series_key);
CREATE INDEX search_documents_family ON documents(doc_type, is_archive, mtime);
CREATE INDEX search_documents_change_order ON documents(change_order, is_archive, mtime)
    WHERE change_order IS NOT NULL;
CREATE INDEX search_documents_revision ON documents(revision, is_archive, mtime) WHERE revision IS NOT NULL;
CREATE INDEX search_documents_room ON documents(room, is_archive, mtime) WHERE room IS NOT NULL;

-- ---- search rows (0005, 0009)
CREATE TRIGGER search_documents_ai AFTER INSERT ON documents
WHEN NOT EXISTS (SELECT 1 FROM bulk_write)
BEGIN
    DELETE FROM search_docs WHERE rowid = new.id;
    DELETE FROM search_docs_tri WHERE rowid = new.id;
    INSERT INTO search_docs (rowid, name, folders, project, family, content, code)
        SELECT id, name, folders, project, family, content, code FROM search_doc_rows WHERE id = new.id;
    INSERT INTO search_docs_tri (rowid, name) SELECT id, name FROM search_doc_rows WHERE id = new.id;
END;

-- The indexer rewrites every column on update; only the columns the view reads matter.
CREATE TRIGGER search_documents_au AFTER UPDATE ON documents
WHEN old.name IS NOT new.name OR old.project_rel_path IS NOT new.project_rel_path
     OR old.doc_type IS NOT new.doc_type OR old.project_id IS NOT new.project_id OR old.id IS NOT new.id
BEGIN
    DELETE FROM search_docs WHERE rowid = old.id;
    DELETE FROM search_docs_tri WHERE rowid = old.id;
    DELETE FROM search_docs WHERE rowid = new.id;
    DELETE FROM search_docs_tri WHERE rowid = new.id;
    INSERT INTO search_docs (rowid, name, folders, project, family, content, code)
        SELECT id, name, folders, project, family, content, code FROM search_doc_rows WHERE id = new.id;
    INSERT INTO search_docs_tri (rowid, name) SELECT id, name FROM search_doc_rows WHERE id = new.id;
END;

CREATE TRIGGER search_documents_ad AFTER DELETE ON documents
BEGIN
    DELETE FROM search_docs WHERE rowid = old.id;
    DELETE FROM search_docs_tri WHERE rowid = old.id;
END;

-- ---- the change counter (0004, 0009)
CREATE TRIGGER search_version_documents_ai AFTER INSERT ON documents
WHEN NOT EXISTS (SELECT 1 FROM bulk_write)
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'documents';
END;

CREATE TRIGGER search_version_documents_au AFTER UPDATE ON documents
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'documents';
END;

CREATE TRIGGER search_version_documents_ad AFTER DELETE ON documents
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'documents';
END;

-- ---- project-facts marks (0005, 0009); `name` is generated from these two columns
CREATE TRIGGER project_facts_documents_ai AFTER INSERT ON documents
WHEN NOT EXISTS (SELECT 1 FROM bulk_write)
BEGIN
    INSERT OR IGNORE INTO project_facts_dirty (project_id) VALUES (new.project_id);
END;

CREATE TRIGGER project_facts_documents_au AFTER UPDATE OF project_rel_path, name_at, project_id ON documents
WHEN old.name IS NOT new.name OR old.project_id IS NOT new.project_id
BEGIN
    INSERT OR IGNORE INTO project_facts_dirty (project_id) VALUES (old.project_id);
    INSERT OR IGNORE INTO project_facts_dirty (project_id) VALUES (new.project_id);
END;

CREATE TRIGGER project_facts_documents_ad AFTER DELETE ON documents
BEGIN
    INSERT OR IGNORE INTO project_facts_dirty (project_id) VALUES (old.project_id);
END;
