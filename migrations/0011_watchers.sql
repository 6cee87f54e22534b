-- 0011: the file watcher's heartbeat, where other processes can read it.
--
-- A watcher (inside `quicknav serve`, or `quicknav watch`) keeps one row here, written on its own
-- connection every few seconds and after each batch of changes, so a dashboard or `quicknav status`
-- in another process can say "watching <root>, heartbeat 3 s ago, last change ..." or, when the
-- heartbeat is old or its process is gone, that nothing is watching. `owner` is the process
-- ('host:pid:start', as in `scans.owner`); a clean stop deletes its row, and a watcher starting
-- deletes the rows of processes that are gone.

CREATE TABLE watchers (
    owner             TEXT PRIMARY KEY,
    started_at        TEXT NOT NULL,
    heartbeat         TEXT NOT NULL,        -- ISO 8601 UTC
    state             TEXT NOT NULL,        -- starting | reconciling | watching | paused | restarting
    mode              TEXT,                 -- inotify | polling
    roots             TEXT NOT NULL DEFAULT '[]',   -- JSON list of the roots being watched
    paused_roots      TEXT NOT NULL DEFAULT '[]',
    last_change       TEXT,
    last_change_path  TEXT,
    changes           INTEGER NOT NULL DEFAULT 0,
    batches           INTEGER NOT NULL DEFAULT 0,
    restarts          INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT
) WITHOUT ROWID;
