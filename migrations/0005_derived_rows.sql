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
