-- 0003: search. Full-text indexes over projects and documents kept in sync by triggers (the
-- filesystem indexer writes `projects`/`documents` and knows nothing of search), extracted
-- document text, and the bookkeeping of the background embedding worker.
--
-- The FTS5 tables are contentless (content=''), so they cost only their index; snippets are
-- made from `documents.name` and `document_content.text`. contentless_delete=1 lets the
-- triggers delete rows by rowid (= documents.id / projects.id). Triggers always DELETE before
-- INSERT: inside a trigger, INSERT OR REPLACE takes the outer statement's conflict policy
-- (the indexer's upserts), which would leave the old row's words in the index.

-- Words that describe each document family, so "drawing" or "variation" finds lld and
-- change_order documents even when the file name does not say so.
CREATE TABLE search_family_words (
    doc_type  TEXT PRIMARY KEY,
    words     TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO search_family_words (doc_type, words) VALUES
    ('lld', 'lld low level design system design designs drawing drawings'),
    ('hld', 'hld high level design concept schematic schematics'),
    ('change_order', 'change order orders co variation variations'),
    ('sales_po', 'sales po report sales & po'),
    ('floor_plans', 'floor plan plans floorplan layout layouts'),
    ('scope', 'scope of works sow'),
    ('qa_itp', 'qa itp inspection test plan report commissioning'),
    ('swms', 'swms safe work method statement safety'),
    ('supplier_quotes', 'supplier quote quotes quotation'),
    ('photos', 'photo photos picture pictures image images'),
    ('handover', 'handover document'),
    ('purchase_order', 'purchase order orders po'),
    ('proposal', 'proposal proposals'),
    ('invoice', 'invoice invoices'),
    ('manual', 'manual manuals datasheet data sheet user guide specification'),
    ('report', 'report reports schedule register audit'),
    ('cad', 'cad dwg drawing'),
    ('other', '');

-- Text extracted from each document by the background extraction worker (indexers/extract).
-- A row says what was last processed: the file is read again only when size or mtime differ.
CREATE TABLE document_content (
    doc_id        INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    size          INTEGER NOT NULL,
    mtime         REAL NOT NULL,
    status        TEXT NOT NULL,           -- ok | empty | failed | timeout | too_large | unsupported | missing
    error         TEXT,                    -- why it failed, for index_status
    text          TEXT,                    -- capped (see indexers/extract.py MAX_CHARS)
    chars         INTEGER NOT NULL DEFAULT 0,
    truncated     INTEGER NOT NULL DEFAULT 0,
    seconds       REAL,
    extracted_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX document_content_status ON document_content(status);

-- What the embedding worker last embedded per document (the vectors live in a sqlite-vec vec0
-- table created at run time, because the extension may be missing: see search/vectors.py).
-- `sig` is a hash of the embedded text: a document is re-embedded only when it changes.
CREATE TABLE embedding_state (
    doc_id       INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
    sig          TEXT NOT NULL,
    model        TEXT NOT NULL,
    seq          INTEGER NOT NULL,        -- batch number, increasing: readers load only what is new
    embedded_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX embedding_state_seq ON embedding_state(seq);

CREATE TABLE project_embedding_state (
    project_id   INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    sig          TEXT NOT NULL,
    model        TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    embedded_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Family-wide candidate lists ("swms", "floor plans" across the firm), newest first.
CREATE INDEX search_documents_family ON documents(doc_type, is_archive, mtime);

CREATE TABLE search_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;

-- ---------------------------------------------------------------- full-text tables
-- Documents: file name, the folders between project and file, the project folder name,
-- family words, extracted content. BM25 weights are given at query time (search/lexical.py).
CREATE VIRTUAL TABLE search_docs USING fts5(
    name, folders, project, family, content,
    content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
-- Substrings of file names ("SFP-DTACC", glued codes "PAVS20699", partial codes).
CREATE VIRTUAL TABLE search_docs_tri USING fts5(
    name, content='', contentless_delete=1, tokenize='trigram remove_diacritics 1'
);
-- Projects: code, folder name, client abbreviation + fuller client names, description.
CREATE VIRTUAL TABLE search_projects USING fts5(
    code, name, client, description,
    content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE search_projects_tri USING fts5(
    text, content='', contentless_delete=1, tokenize='trigram remove_diacritics 1'
);

-- ---------------------------------------------------------------- triggers: documents
CREATE TRIGGER search_documents_ai AFTER INSERT ON documents
BEGIN
    DELETE FROM search_docs WHERE rowid = new.id;
    DELETE FROM search_docs_tri WHERE rowid = new.id;
    INSERT INTO search_docs (rowid, name, folders, project, family, content) VALUES (
        new.id,
        new.name,
        substr(new.project_rel_path, 1, length(new.project_rel_path) - length(new.name)),
        (SELECT folder_name FROM projects WHERE id = new.project_id),
        (SELECT words FROM search_family_words WHERE doc_type = new.doc_type),
        (SELECT text FROM document_content WHERE doc_id = new.id)
    );
    INSERT INTO search_docs_tri (rowid, name) VALUES (new.id, new.name);
END;

-- The indexer rewrites every column on update; only name/folder/family/project changes matter.
CREATE TRIGGER search_documents_au AFTER UPDATE ON documents
WHEN old.name IS NOT new.name OR old.project_rel_path IS NOT new.project_rel_path
     OR old.doc_type IS NOT new.doc_type OR old.project_id IS NOT new.project_id OR old.id IS NOT new.id
BEGIN
    DELETE FROM search_docs WHERE rowid = old.id;
    DELETE FROM search_docs_tri WHERE rowid = old.id;
    DELETE FROM search_docs WHERE rowid = new.id;
    DELETE FROM search_docs_tri WHERE rowid = new.id;
    INSERT INTO search_docs (rowid, name, folders, project, family, content) VALUES (
        new.id,
        new.name,
        substr(new.project_rel_path, 1, length(new.project_rel_path) - length(new.name)),
        (SELECT folder_name FROM projects WHERE id = new.project_id),
        (SELECT words FROM search_family_words WHERE doc_type = new.doc_type),
        (SELECT text FROM document_content WHERE doc_id = new.id)
    );
    INSERT INTO search_docs_tri (rowid, name) VALUES (new.id, new.name);
END;

CREATE TRIGGER search_documents_ad AFTER DELETE ON documents
BEGIN
    DELETE FROM search_docs WHERE rowid = old.id;
    DELETE FROM search_docs_tri WHERE rowid = old.id;
END;

-- New or re-extracted text: replace the document's row with the new content.
CREATE TRIGGER search_content_ai AFTER INSERT ON document_content
BEGIN
    DELETE FROM search_docs WHERE rowid = new.doc_id;
    INSERT INTO search_docs (rowid, name, folders, project, family, content)
    SELECT d.id, d.name,
           substr(d.project_rel_path, 1, length(d.project_rel_path) - length(d.name)),
           p.folder_name,
           (SELECT words FROM search_family_words WHERE doc_type = d.doc_type),
           new.text
    FROM documents d JOIN projects p ON p.id = d.project_id
    WHERE d.id = new.doc_id;
END;

CREATE TRIGGER search_content_au AFTER UPDATE OF text ON document_content
WHEN old.text IS NOT new.text
BEGIN
    DELETE FROM search_docs WHERE rowid = new.doc_id;
    INSERT INTO search_docs (rowid, name, folders, project, family, content)
    SELECT d.id, d.name,
           substr(d.project_rel_path, 1, length(d.project_rel_path) - length(d.name)),
           p.folder_name,
           (SELECT words FROM search_family_words WHERE doc_type = d.doc_type),
           new.text
    FROM documents d JOIN projects p ON p.id = d.project_id
    WHERE d.id = new.doc_id;
END;

-- ---------------------------------------------------------------- triggers: projects
CREATE TRIGGER search_projects_ai AFTER INSERT ON projects
BEGIN
    DELETE FROM search_projects WHERE rowid = new.id;
    DELETE FROM search_projects_tri WHERE rowid = new.id;
    INSERT INTO search_projects (rowid, code, name, client, description) VALUES (
        new.id, new.code, new.folder_name,
        trim(coalesce(new.client, '') || ' ' || CASE WHEN json_valid(new.client_names)
            THEN coalesce((SELECT group_concat(value, ' ') FROM json_each(new.client_names)), '') ELSE '' END),
        new.description
    );
    INSERT INTO search_projects_tri (rowid, text) VALUES (
        new.id,
        new.folder_name || ' ' || CASE WHEN json_valid(new.client_names)
            THEN coalesce((SELECT group_concat(value, ' ') FROM json_each(new.client_names)), '') ELSE '' END
    );
END;

CREATE TRIGGER search_projects_au AFTER UPDATE ON projects
WHEN old.code IS NOT new.code OR old.folder_name IS NOT new.folder_name OR old.client IS NOT new.client
     OR old.client_names IS NOT new.client_names OR old.description IS NOT new.description
     OR old.id IS NOT new.id
BEGIN
    DELETE FROM search_projects WHERE rowid = old.id;
    DELETE FROM search_projects_tri WHERE rowid = old.id;
    DELETE FROM search_projects WHERE rowid = new.id;
    DELETE FROM search_projects_tri WHERE rowid = new.id;
    INSERT INTO search_projects (rowid, code, name, client, description) VALUES (
        new.id, new.code, new.folder_name,
        trim(coalesce(new.client, '') || ' ' || CASE WHEN json_valid(new.client_names)
            THEN coalesce((SELECT group_concat(value, ' ') FROM json_each(new.client_names)), '') ELSE '' END),
        new.description
    );
    INSERT INTO search_projects_tri (rowid, text) VALUES (
        new.id,
        new.folder_name || ' ' || CASE WHEN json_valid(new.client_names)
            THEN coalesce((SELECT group_concat(value, ' ') FROM json_each(new.client_names)), '') ELSE '' END
    );
END;

-- A renamed project folder changes the `project` column of all its documents.
CREATE TRIGGER search_projects_rename AFTER UPDATE OF folder_name ON projects
WHEN old.folder_name IS NOT new.folder_name
BEGIN
    DELETE FROM search_docs WHERE rowid IN (SELECT id FROM documents WHERE project_id = new.id);
    INSERT INTO search_docs (rowid, name, folders, project, family, content)
    SELECT d.id, d.name,
           substr(d.project_rel_path, 1, length(d.project_rel_path) - length(d.name)),
           new.folder_name,
           (SELECT words FROM search_family_words WHERE doc_type = d.doc_type),
           (SELECT text FROM document_content WHERE doc_id = d.id)
    FROM documents d WHERE d.project_id = new.id;
END;

CREATE TRIGGER search_projects_ad AFTER DELETE ON projects
BEGIN
    DELETE FROM search_projects WHERE rowid = old.id;
    DELETE FROM search_projects_tri WHERE rowid = old.id;
END;

-- ---------------------------------------------------------------- backfill (databases indexed before 0003)
INSERT INTO search_projects (rowid, code, name, client, description)
SELECT id, code, folder_name,
       trim(coalesce(client, '') || ' ' || CASE WHEN json_valid(client_names)
           THEN coalesce((SELECT group_concat(value, ' ') FROM json_each(client_names)), '') ELSE '' END),
       description
FROM projects;
INSERT INTO search_projects_tri (rowid, text)
SELECT id, folder_name || ' ' || CASE WHEN json_valid(client_names)
           THEN coalesce((SELECT group_concat(value, ' ') FROM json_each(client_names)), '') ELSE '' END
FROM projects;
INSERT INTO search_docs (rowid, name, folders, project, family, content)
SELECT d.id, d.name, substr(d.project_rel_path, 1, length(d.project_rel_path) - length(d.name)),
       p.folder_name, (SELECT words FROM search_family_words WHERE doc_type = d.doc_type), NULL
FROM documents d JOIN projects p ON p.id = d.project_id;
INSERT INTO search_docs_tri (rowid, name) SELECT id, name FROM documents;
