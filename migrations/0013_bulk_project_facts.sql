-- 0013: project facts written set-based.
--
-- A scan recomputes its projects' facts (doc_count, client_names) in batches of up to 500 projects.
-- Row by row, each changed project ran search_projects_au, whose six statements on the two project
-- full-text tables each flush their pending data (FTS5 flushes at every statement savepoint): ~160 µs
-- a project, 0.8 CPU-s of a 5,000-project first scan. While a writer holds a row in `bulk_write`
-- (migration 0009) the trigger stands aside and that writer rewrites the batch's search rows at once
-- from the same view, in the same transaction (quicknav_mcp/repo/bulk.py: update_projects).

DROP TRIGGER search_projects_au;
CREATE TRIGGER search_projects_au AFTER UPDATE ON projects
WHEN NOT EXISTS (SELECT 1 FROM bulk_write)
     AND (old.code IS NOT new.code OR old.folder_name IS NOT new.folder_name OR old.client IS NOT new.client
          OR old.client_names IS NOT new.client_names OR old.description IS NOT new.description
          OR old.id IS NOT new.id)
BEGIN
    DELETE FROM search_projects WHERE rowid = old.id;
    DELETE FROM search_projects_tri WHERE rowid = old.id;
    DELETE FROM search_projects WHERE rowid = new.id;
    DELETE FROM search_projects_tri WHERE rowid = new.id;
    INSERT INTO search_projects (rowid, code, name, client, description)
        SELECT id, code, name, client, description FROM search_project_rows WHERE id = new.id;
    INSERT INTO search_projects_tri (rowid, text) SELECT id, text FROM search_project_rows WHERE id = new.id;
END;
