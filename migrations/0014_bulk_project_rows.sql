-- 0014: new project rows written set-based.
--
-- A root's first scan inserts every project folder at once (5,000 in the demo firm). Row by row, each
-- ran search_projects_ai, whose four statements on the two project full-text tables each flush their
-- pending data (as in 0013): ~0.3 CPU-s before the walk can start. While a writer holds a row in
-- `bulk_write` (migration 0009) the trigger stands aside and that writer adds the batch's search rows
-- at once from the same view, in the same transaction (quicknav_mcp/repo/bulk.py: insert_projects).
-- The change counter and the project-facts mark still run row by row (cheap; no full-text table).

DROP TRIGGER search_projects_ai;
CREATE TRIGGER search_projects_ai AFTER INSERT ON projects
WHEN NOT EXISTS (SELECT 1 FROM bulk_write)
BEGIN
    DELETE FROM search_projects WHERE rowid = new.id;
    DELETE FROM search_projects_tri WHERE rowid = new.id;
    INSERT INTO search_projects (rowid, code, name, client, description)
        SELECT id, code, name, client, description FROM search_project_rows WHERE id = new.id;
    INSERT INTO search_projects_tri (rowid, text) SELECT id, text FROM search_project_rows WHERE id = new.id;
END;
