-- 0012: the folders of each project as the last complete scan listed them, for quick rescans.
--
-- A folder's mtime changes whenever an entry is added to it, removed from it or renamed in it, so a
-- folder whose mtime is what it was when it was listed still holds what was indexed from it: a quick
-- rescan (scan_root(quick=True)) stats such a folder instead of listing it and stat-ing its files.
-- One row per project: `folders` is zlib-compressed JSON, [[path within the project, mtime], ...]
-- ('' is the project folder itself); a folder changed within seconds of its listing (an mtime tick may
-- hide a change) or whose mtime could not be read has null, so it is always listed again.

CREATE TABLE scan_folders (
    project_id INTEGER PRIMARY KEY REFERENCES projects(id) ON DELETE CASCADE,
    folders    BLOB NOT NULL
);
