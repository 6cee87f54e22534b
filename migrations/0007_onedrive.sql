-- 0007: OneDrive / SharePoint drives as a source next to folder roots.
--
-- A source is one drive (optionally one folder of it). Its projects and documents are ordinary
-- rows of `projects` / `documents` under a `roots` row whose path is the source's location
-- (`onedrive://<drive id>/<folder>`), so search, navigation and the facts triggers treat them like
-- scanned rows. `onedrive_items` mirrors the drive's tree (Graph delta responses carry no paths:
-- paths are rebuilt from parent ids) and links each item to the row it became. Syncs are `scans`
-- of the source's root, and their problems `scan_problems`, so `index_status` reports them too.
-- No secret is ever stored here: sign-in secrets come from the environment.

CREATE TABLE onedrive_sources (
    id            INTEGER PRIMARY KEY,
    root_id       INTEGER NOT NULL UNIQUE REFERENCES roots(id) ON DELETE CASCADE,
    drive_id      TEXT NOT NULL,               -- a drive id, or 'me' (the signed-in person's drive)
    folder        TEXT NOT NULL DEFAULT '',    -- path inside the drive, '/' separated, '' = whole drive
    tenant        TEXT,                        -- directory (tenant) id or domain; NULL = 'organizations'
    client_id     TEXT,                        -- application (client) id; NULL = the default public client
    delta_link    TEXT,                        -- where the next sync resumes; NULL = full sync next
    last_sync_at  TEXT,
    last_status   TEXT,                        -- done | failed | partial
    last_error    TEXT,
    -- Who signed in by device code: azure-identity's AuthenticationRecord (account, tenant and
    -- authority ids, no token). It lets later processes find the cached token without a prompt.
    auth_record   TEXT,
    added_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    UNIQUE (drive_id, folder)
);

CREATE TABLE onedrive_items (
    source_id    INTEGER NOT NULL REFERENCES onedrive_sources(id) ON DELETE CASCADE,
    item_id      TEXT NOT NULL,
    parent_id    TEXT,
    name         TEXT NOT NULL,
    is_folder    INTEGER NOT NULL DEFAULT 0,
    is_root      INTEGER NOT NULL DEFAULT 0,
    size         INTEGER NOT NULL DEFAULT 0,
    mtime        REAL NOT NULL DEFAULT 0,
    web_url      TEXT,
    -- The row this item became: a document (files) or a project (project folders). `local` = 1
    -- when that row is the locally synced copy under a configured folder root (owned by the
    -- scanner: a sync links it, never writes or deletes it).
    doc_id       INTEGER REFERENCES documents(id) ON DELETE SET NULL,
    project_id   INTEGER REFERENCES projects(id) ON DELETE SET NULL,
    local        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source_id, item_id)
) WITHOUT ROWID;
CREATE INDEX onedrive_items_doc ON onedrive_items(doc_id);
