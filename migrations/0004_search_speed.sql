-- 0004: search speed at 100k documents.
--
-- 1. `search_docs` gains a `code` column holding the project code of each document. It is given
--    weight 0 at query time, so it never changes a score, and lets a project-scoped query restrict
--    inside FTS5 (`{code}: ("21614" OR "20699") AND (...)`): only the scope's rows are ranked,
--    instead of BM25 over every match in the firm followed by a join that throws most away
--    (87 ms -> 5 ms for a client-scoped query at 116k documents). Document frequencies of words
--    do not change: every document already holds its project code in the `project` column.
--    The table is contentless, so it is rebuilt (all triggers that write it are recreated).
-- 2. `search_versions`: counters bumped by triggers whenever documents, extracted content,
--    projects or embeddings change. Search caches (current revisions per project, the vector
--    matrix, the vocabulary) compare them instead of the store's generation, which moves on
--    every commit, including the analytics events written all the time.
-- 3. Partial indexes for firm-wide fact lookups ("CO5", "rev 102", "room 12" without a project):
--    newest documents holding a change order / revision / room, instead of a full scan and sort.

DROP TRIGGER IF EXISTS search_documents_ai;
DROP TRIGGER IF EXISTS search_documents_au;
DROP TRIGGER IF EXISTS search_documents_ad;
DROP TRIGGER IF EXISTS search_content_ai;
DROP TRIGGER IF EXISTS search_content_au;
DROP TRIGGER IF EXISTS search_projects_rename;
DROP TABLE search_docs;

CREATE VIRTUAL TABLE search_docs USING fts5(
    name, folders, project, family, content, code,
    content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2'
);

CREATE TRIGGER search_documents_ai AFTER INSERT ON documents
BEGIN
    DELETE FROM search_docs WHERE rowid = new.id;
    DELETE FROM search_docs_tri WHERE rowid = new.id;
    INSERT INTO search_docs (rowid, name, folders, project, family, content, code) VALUES (
        new.id,
        new.name,
        substr(new.project_rel_path, 1, length(new.project_rel_path) - length(new.name)),
        (SELECT folder_name FROM projects WHERE id = new.project_id),
        (SELECT words FROM search_family_words WHERE doc_type = new.doc_type),
        (SELECT text FROM document_content WHERE doc_id = new.id),
        (SELECT code FROM projects WHERE id = new.project_id)
    );
    INSERT INTO search_docs_tri (rowid, name) VALUES (new.id, new.name);
END;

CREATE TRIGGER search_documents_au AFTER UPDATE ON documents
WHEN old.name IS NOT new.name OR old.project_rel_path IS NOT new.project_rel_path
     OR old.doc_type IS NOT new.doc_type OR old.project_id IS NOT new.project_id OR old.id IS NOT new.id
BEGIN
    DELETE FROM search_docs WHERE rowid = old.id;
    DELETE FROM search_docs_tri WHERE rowid = old.id;
    DELETE FROM search_docs WHERE rowid = new.id;
    DELETE FROM search_docs_tri WHERE rowid = new.id;
    INSERT INTO search_docs (rowid, name, folders, project, family, content, code) VALUES (
        new.id,
        new.name,
        substr(new.project_rel_path, 1, length(new.project_rel_path) - length(new.name)),
        (SELECT folder_name FROM projects WHERE id = new.project_id),
        (SELECT words FROM search_family_words WHERE doc_type = new.doc_type),
        (SELECT text FROM document_content WHERE doc_id = new.id),
        (SELECT code FROM projects WHERE id = new.project_id)
    );
    INSERT INTO search_docs_tri (rowid, name) VALUES (new.id, new.name);
END;

CREATE TRIGGER search_documents_ad AFTER DELETE ON documents
BEGIN
    DELETE FROM search_docs WHERE rowid = old.id;
    DELETE FROM search_docs_tri WHERE rowid = old.id;
END;

CREATE TRIGGER search_content_ai AFTER INSERT ON document_content
BEGIN
    DELETE FROM search_docs WHERE rowid = new.doc_id;
    INSERT INTO search_docs (rowid, name, folders, project, family, content, code)
    SELECT d.id, d.name,
           substr(d.project_rel_path, 1, length(d.project_rel_path) - length(d.name)),
           p.folder_name,
           (SELECT words FROM search_family_words WHERE doc_type = d.doc_type),
           new.text,
           p.code
    FROM documents d JOIN projects p ON p.id = d.project_id
    WHERE d.id = new.doc_id;
END;

CREATE TRIGGER search_content_au AFTER UPDATE OF text ON document_content
WHEN old.text IS NOT new.text
BEGIN
    DELETE FROM search_docs WHERE rowid = new.doc_id;
    INSERT INTO search_docs (rowid, name, folders, project, family, content, code)
    SELECT d.id, d.name,
           substr(d.project_rel_path, 1, length(d.project_rel_path) - length(d.name)),
           p.folder_name,
           (SELECT words FROM search_family_words WHERE doc_type = d.doc_type),
           new.text,
           p.code
    FROM documents d JOIN projects p ON p.id = d.project_id
    WHERE d.id = new.doc_id;
END;

-- A renamed project folder (or a new code) changes the `project`/`code` columns of its documents.
CREATE TRIGGER search_projects_rename AFTER UPDATE OF folder_name, code ON projects
WHEN old.folder_name IS NOT new.folder_name OR old.code IS NOT new.code
BEGIN
    DELETE FROM search_docs WHERE rowid IN (SELECT id FROM documents WHERE project_id = new.id);
    INSERT INTO search_docs (rowid, name, folders, project, family, content, code)
    SELECT d.id, d.name,
           substr(d.project_rel_path, 1, length(d.project_rel_path) - length(d.name)),
           new.folder_name,
           (SELECT words FROM search_family_words WHERE doc_type = d.doc_type),
           (SELECT text FROM document_content WHERE doc_id = d.id),
           new.code
    FROM documents d WHERE d.project_id = new.id;
END;

INSERT INTO search_docs (rowid, name, folders, project, family, content, code)
SELECT d.id, d.name, substr(d.project_rel_path, 1, length(d.project_rel_path) - length(d.name)),
       p.folder_name, (SELECT words FROM search_family_words WHERE doc_type = d.doc_type),
       (SELECT text FROM document_content WHERE doc_id = d.id), p.code
FROM documents d JOIN projects p ON p.id = d.project_id;

-- ---------------------------------------------------------------- fact indexes
CREATE INDEX search_documents_change_order ON documents(change_order, is_archive, mtime)
    WHERE change_order IS NOT NULL;
CREATE INDEX search_documents_revision ON documents(revision, is_archive, mtime) WHERE revision IS NOT NULL;
CREATE INDEX search_documents_room ON documents(room, is_archive, mtime) WHERE room IS NOT NULL;

-- ---------------------------------------------------------------- change counters
CREATE TABLE search_versions (
    name  TEXT PRIMARY KEY,   -- documents | content | projects | embeddings
    n     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
INSERT INTO search_versions (name, n) VALUES ('documents', 0), ('content', 0), ('projects', 0), ('embeddings', 0);

CREATE TRIGGER search_version_documents_ai AFTER INSERT ON documents
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

CREATE TRIGGER search_version_content_ai AFTER INSERT ON document_content
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'content';
END;
CREATE TRIGGER search_version_content_au AFTER UPDATE OF text ON document_content
WHEN old.text IS NOT new.text
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'content';
END;
CREATE TRIGGER search_version_content_ad AFTER DELETE ON document_content
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'content';
END;

CREATE TRIGGER search_version_projects_ai AFTER INSERT ON projects
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'projects';
END;
CREATE TRIGGER search_version_projects_au AFTER UPDATE ON projects
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'projects';
END;
CREATE TRIGGER search_version_projects_ad AFTER DELETE ON projects
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'projects';
END;

CREATE TRIGGER search_version_embeddings_ai AFTER INSERT ON embedding_state
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'embeddings';
END;
CREATE TRIGGER search_version_embeddings_au AFTER UPDATE ON embedding_state
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'embeddings';
END;
CREATE TRIGGER search_version_embeddings_ad AFTER DELETE ON embedding_state
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'embeddings';
END;
CREATE TRIGGER search_version_project_embeddings_ai AFTER INSERT ON project_embedding_state
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'embeddings';
END;
CREATE TRIGGER search_version_project_embeddings_au AFTER UPDATE ON project_embedding_state
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'embeddings';
END;
CREATE TRIGGER search_version_project_embeddings_ad AFTER DELETE ON project_embedding_state
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'embeddings';
END;
