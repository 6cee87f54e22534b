-- 0008: who writes a running scan, what kind of run each `scans` row is; OneDrive item versions.
--
-- `owner` ('host:pid:start' of the process writing a running row; NULL for rows written before
-- this migration) lets the next scan or watcher mark rows whose process is gone (killed, power
-- cut) `interrupted` instead of `running` forever. `kind` tells a scan (full or narrow) from a
-- watcher session (`watch`: one row per root and session, its change batches folded in and
-- counted in `batches`) and a OneDrive sync (`onedrive`).

ALTER TABLE scans ADD COLUMN kind TEXT NOT NULL DEFAULT 'scan';
ALTER TABLE scans ADD COLUMN owner TEXT;
ALTER TABLE scans ADD COLUMN batches INTEGER NOT NULL DEFAULT 0;
CREATE INDEX scans_running ON scans(status) WHERE status = 'running';

-- A OneDrive item's eTag (changes with any edit, rename or move) and cTag (changes with its
-- content only): the download cache is keyed by the cTag, and a resumed download is validated by
-- the eTag, so a file changed between attempts is fetched again from the start.
ALTER TABLE onedrive_items ADD COLUMN etag TEXT;
ALTER TABLE onedrive_items ADD COLUMN ctag TEXT;
