-- 0005: rows derived from documents, each defined once and kept right across crashes.
--
-- Project facts (`projects.doc_count`, `projects.client_names`) are computed from a project's
-- documents by Python (domain/clients.py), so no trigger can keep them current. Instead a trigger
-- marks the project dirty in the same transaction as the change to its documents, and
-- indexers/project_facts.py recomputes every marked project and clears the mark in the transaction
-- that writes the facts. A scan killed at any moment leaves its marks behind for the next scan,
-- which recomputes them at its start and its end. (Before, the scanner remembered the projects it
-- had touched in memory only: a killed first index left thousands of projects at 0 documents.)

CREATE TABLE project_facts_dirty (
    -- No foreign key: a project deleted with its documents would be marked by the documents'
    -- delete triggers while it is going away. The recompute drops marks of vanished projects.
    project_id  INTEGER PRIMARY KEY
);

CREATE TRIGGER project_facts_documents_ai AFTER INSERT ON documents
BEGIN
    INSERT OR IGNORE INTO project_facts_dirty (project_id) VALUES (new.project_id);
END;

-- The facts read only the names of a project's documents (and their number): the scanner
-- rewrites every column of a changed file, and most updates change neither.
CREATE TRIGGER project_facts_documents_au AFTER UPDATE OF name, project_id ON documents
WHEN old.name IS NOT new.name OR old.project_id IS NOT new.project_id
BEGIN
    INSERT OR IGNORE INTO project_facts_dirty (project_id) VALUES (old.project_id);
    INSERT OR IGNORE INTO project_facts_dirty (project_id) VALUES (new.project_id);
END;

CREATE TRIGGER project_facts_documents_ad AFTER DELETE ON documents
BEGIN
    INSERT OR IGNORE INTO project_facts_dirty (project_id) VALUES (old.project_id);
END;

-- Client names are read against the folder name (code, abbreviation): a new or renamed folder
-- needs them again, even with no document changed.
CREATE TRIGGER project_facts_projects_ai AFTER INSERT ON projects
BEGIN
    INSERT OR IGNORE INTO project_facts_dirty (project_id) VALUES (new.id);
END;

CREATE TRIGGER project_facts_projects_au AFTER UPDATE OF code, folder_name, client ON projects
WHEN old.code IS NOT new.code OR old.folder_name IS NOT new.folder_name OR old.client IS NOT new.client
BEGIN
    INSERT OR IGNORE INTO project_facts_dirty (project_id) VALUES (new.id);
END;

-- Databases indexed before 0005 may hold facts a killed scan never computed: recompute them all once.
INSERT INTO project_facts_dirty (project_id) SELECT id FROM projects;

-- ---------------------------------------------------------------- search rows, defined once
-- What FTS5 indexes for a document and for a project is defined by one view each. Every sync
-- trigger copies rows from the view (as sqlite-utils generates its FTS triggers from one list of
-- columns), so a new column or a changed rule is written once, here or in a later migration that
-- replaces the view. 0003/0004 repeated the SELECT in every trigger and in the backfills.
-- The FTS tables themselves are unchanged: their contents stay as 0004 wrote them.

CREATE VIEW search_doc_rows AS
SELECT d.id AS id,
       d.name AS name,
       substr(d.project_rel_path, 1, length(d.project_rel_path) - length(d.name)) AS folders,
       p.folder_name AS project,
       (SELECT words FROM search_family_words WHERE doc_type = d.doc_type) AS family,
       (SELECT text FROM document_content WHERE doc_id = d.id) AS content,
       p.code AS code
FROM documents d JOIN projects p ON p.id = d.project_id;

CREATE VIEW search_project_rows AS
SELECT id,
       code,
       name,
       trim(coalesce(client, '') || ' ' || client_names) AS client,
       description,
       name || ' ' || client_names AS text
FROM (
    SELECT id, code, folder_name AS name, client, description,
           CASE WHEN json_valid(client_names)
                THEN coalesce((SELECT group_concat(value, ' ') FROM json_each(client_names)), '')
                ELSE '' END AS client_names
    FROM projects
);

DROP TRIGGER search_documents_ai;
DROP TRIGGER search_documents_au;
DROP TRIGGER search_documents_ad;
DROP TRIGGER search_content_ai;
DROP TRIGGER search_content_au;
DROP TRIGGER search_projects_ai;
DROP TRIGGER search_projects_au;
DROP TRIGGER search_projects_ad;
DROP TRIGGER search_projects_rename;

-- Triggers always DELETE before INSERT: inside a trigger, INSERT OR REPLACE takes the outer
-- statement's conflict policy (the indexer's upserts), which would leave old words in the index.

-- ---- documents: a row in search_docs (all columns) and in search_docs_tri (the name)
CREATE TRIGGER search_documents_ai AFTER INSERT ON documents
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

-- New or re-extracted text changes the `content` column of the document's row.
CREATE TRIGGER search_content_ai AFTER INSERT ON document_content
BEGIN
    DELETE FROM search_docs WHERE rowid = new.doc_id;
    INSERT INTO search_docs (rowid, name, folders, project, family, content, code)
        SELECT id, name, folders, project, family, content, code FROM search_doc_rows WHERE id = new.doc_id;
END;

CREATE TRIGGER search_content_au AFTER UPDATE OF text ON document_content
WHEN old.text IS NOT new.text
BEGIN
    DELETE FROM search_docs WHERE rowid = new.doc_id;
    INSERT INTO search_docs (rowid, name, folders, project, family, content, code)
        SELECT id, name, folders, project, family, content, code FROM search_doc_rows WHERE id = new.doc_id;
END;

-- ---- projects: a row in search_projects and in search_projects_tri
CREATE TRIGGER search_projects_ai AFTER INSERT ON projects
BEGIN
    DELETE FROM search_projects WHERE rowid = new.id;
    DELETE FROM search_projects_tri WHERE rowid = new.id;
    INSERT INTO search_projects (rowid, code, name, client, description)
        SELECT id, code, name, client, description FROM search_project_rows WHERE id = new.id;
    INSERT INTO search_projects_tri (rowid, text) SELECT id, text FROM search_project_rows WHERE id = new.id;
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
    INSERT INTO search_projects (rowid, code, name, client, description)
        SELECT id, code, name, client, description FROM search_project_rows WHERE id = new.id;
    INSERT INTO search_projects_tri (rowid, text) SELECT id, text FROM search_project_rows WHERE id = new.id;
END;

CREATE TRIGGER search_projects_ad AFTER DELETE ON projects
BEGIN
    DELETE FROM search_projects WHERE rowid = old.id;
    DELETE FROM search_projects_tri WHERE rowid = old.id;
END;

-- A renamed project folder (or a new code) changes the `project`/`code` columns of its documents.
CREATE TRIGGER search_projects_rename AFTER UPDATE OF folder_name, code ON projects
WHEN old.folder_name IS NOT new.folder_name OR old.code IS NOT new.code
BEGIN
    DELETE FROM search_docs WHERE rowid IN (SELECT id FROM documents WHERE project_id = new.id);
    INSERT INTO search_docs (rowid, name, folders, project, family, content, code)
        SELECT id, name, folders, project, family, content, code FROM search_doc_rows
        WHERE id IN (SELECT id FROM documents WHERE project_id = new.id);
END;
