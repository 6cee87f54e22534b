-- 0009: cheaper scans.
--
-- 1. Bulk inserts. The AFTER INSERT triggers on `documents` (its search rows, the change counter,
--    the project-facts mark) cost more than the insert itself when a first scan writes 100k rows one
--    trigger at a time. While a writer holds a row in `bulk_write` they stand aside, and that writer
--    does their work set-based for the rows it inserted, in the same transaction, copying from the
--    same view (quicknav_mcp/repo/bulk.py). The row is added and removed inside that one write
--    transaction, so no other connection ever sees it, and a crash rolls it back with the rows.
--    UPDATE and DELETE triggers are unchanged: moves, renames and deletes stay row by row.
-- 2. `documents_move` (root_id, name, size, mtime) is dropped: no query reads through it (the scanner
--    pairs moves in memory from one read of the root's rows), and it cost ~9 MB per 100k documents.

CREATE TABLE bulk_write (
    active  INTEGER PRIMARY KEY   -- a row only inside the write transaction of a bulk insert
);

DROP INDEX documents_move;

DROP TRIGGER search_documents_ai;
CREATE TRIGGER search_documents_ai AFTER INSERT ON documents
WHEN NOT EXISTS (SELECT 1 FROM bulk_write)
BEGIN
    DELETE FROM search_docs WHERE rowid = new.id;
    DELETE FROM search_docs_tri WHERE rowid = new.id;
    INSERT INTO search_docs (rowid, name, folders, project, family, content, code)
        SELECT id, name, folders, project, family, content, code FROM search_doc_rows WHERE id = new.id;
    INSERT INTO search_docs_tri (rowid, name) SELECT id, name FROM search_doc_rows WHERE id = new.id;
END;

DROP TRIGGER search_version_documents_ai;
CREATE TRIGGER search_version_documents_ai AFTER INSERT ON documents
WHEN NOT EXISTS (SELECT 1 FROM bulk_write)
BEGIN
    UPDATE search_versions SET n = n + 1 WHERE name = 'documents';
END;

DROP TRIGGER project_facts_documents_ai;
CREATE TRIGGER project_facts_documents_ai AFTER INSERT ON documents
WHEN NOT EXISTS (SELECT 1 FROM bulk_write)
BEGIN
    INSERT OR IGNORE INTO project_facts_dirty (project_id) VALUES (new.project_id);
END;
