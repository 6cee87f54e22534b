-- 0002: analytics. The immutable event log, the event bus outbox, and the rollups derived
-- from the log (every an_* table can be rebuilt from `events`: `quicknav analytics rebuild`).
-- Times are UTC: *_ms = milliseconds since the epoch, hour = ms // 3600000, day = ms // 86400000.
-- Rollups are clustered by time (time first in the primary key): dashboards read time ranges;
-- per-project and per-user lookups go through the secondary indexes.

CREATE TABLE events (
    -- AUTOINCREMENT: ids are never reused after compaction, so cursors and ranges stay valid.
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,  -- arrival order; bus messages point at ranges of it
    event_id          TEXT NOT NULL,
    user_id           TEXT NOT NULL,
    session_id        TEXT,                         -- as sent; derived sessions live in an_sessions
    event_type        TEXT NOT NULL,
    project_id        TEXT,                         -- 5-digit project number
    document_id       TEXT,                         -- stable document id or path relative to its root
    query             TEXT,
    result_count      INTEGER,
    response_time_ms  REAL,
    operation         TEXT,                         -- what was timed: tool name, or the event type
    error             INTEGER NOT NULL DEFAULT 0,
    flags             INTEGER NOT NULL DEFAULT 0,   -- 1 unknown project, 2 metadata capped, 4 imported, 8 automatic
    metadata          TEXT,                         -- JSON object (capped), NULL when empty
    ts_ms             INTEGER NOT NULL,             -- when it happened
    received_ms       INTEGER NOT NULL              -- when it was stored
);
CREATE UNIQUE INDEX events_event_id ON events(event_id);
CREATE INDEX events_user_ts ON events(user_id, ts_ms);

-- Event sourcing: the log is appended to and compacted, never edited.
CREATE TRIGGER events_immutable BEFORE UPDATE ON events
BEGIN
    SELECT RAISE(ABORT, 'events are immutable: append a new event instead');
END;

-- The durable side of the in-process bus. Subscribers keep their position in bus_cursors and
-- move it in the same transaction as their own writes (rollups), so a restart resumes exactly.
CREATE TABLE bus_outbox (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused once pruned: cursors compare ids
    topic       TEXT NOT NULL,
    payload     TEXT NOT NULL,                      -- JSON
    created_ms  INTEGER NOT NULL
);

CREATE TABLE bus_cursors (
    subscriber  TEXT PRIMARY KEY,
    position    INTEGER NOT NULL,                   -- last outbox id handled
    updated_ms  INTEGER NOT NULL,
    failures    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT
) WITHOUT ROWID;

CREATE TABLE bus_dead_letters (
    id          INTEGER PRIMARY KEY,
    subscriber  TEXT NOT NULL,
    message_id  INTEGER NOT NULL,
    topic       TEXT NOT NULL,
    payload     TEXT NOT NULL,
    error       TEXT NOT NULL,
    at_ms       INTEGER NOT NULL
);

-- Bookkeeping: applied_seq (last event folded into the rollups), compacted_before_ms.
CREATE TABLE an_meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE an_project_day (
    project_id      TEXT NOT NULL,
    day             INTEGER NOT NULL,
    views           INTEGER NOT NULL DEFAULT 0,     -- project_view
    document_opens  INTEGER NOT NULL DEFAULT 0,     -- document_access
    searches        INTEGER NOT NULL DEFAULT 0,     -- searches that led to / were scoped to it
    events          INTEGER NOT NULL DEFAULT 0,
    last_ms         INTEGER NOT NULL,
    PRIMARY KEY (day, project_id)
) WITHOUT ROWID;
CREATE INDEX an_project_day_project ON an_project_day(project_id, day);

-- Personal: who touched which project on which day (unique users; deleted by `forget`).
CREATE TABLE an_project_day_user (
    project_id  TEXT NOT NULL,
    day         INTEGER NOT NULL,
    user_id     TEXT NOT NULL,
    events      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (project_id, day, user_id)
) WITHOUT ROWID;
CREATE INDEX an_project_day_user_user ON an_project_day_user(user_id, day);

CREATE TABLE an_query_day (
    query         TEXT NOT NULL,                    -- normalised
    day           INTEGER NOT NULL,
    searches      INTEGER NOT NULL DEFAULT 0,
    zero_results  INTEGER NOT NULL DEFAULT 0,
    clicks        INTEGER NOT NULL DEFAULT 0,
    last_ms       INTEGER NOT NULL,
    PRIMARY KEY (day, query)
) WITHOUT ROWID;
CREATE INDEX an_query_day_query ON an_query_day(query, day);

CREATE TABLE an_type_hour (
    hour          INTEGER NOT NULL,
    event_type    TEXT NOT NULL,
    events        INTEGER NOT NULL DEFAULT 0,
    zero_results  INTEGER NOT NULL DEFAULT 0,
    errors        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, event_type)
) WITHOUT ROWID;

CREATE TABLE an_type_day (
    day           INTEGER NOT NULL,
    event_type    TEXT NOT NULL,
    events        INTEGER NOT NULL DEFAULT 0,
    zero_results  INTEGER NOT NULL DEFAULT 0,
    errors        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, event_type)
) WITHOUT ROWID;

-- Latency per operation: a fixed log-scale histogram per bucket (see analytics/histogram.py),
-- so percentiles over any range are computed by merging histograms.
CREATE TABLE an_latency_hour (
    hour       INTEGER NOT NULL,
    operation  TEXT NOT NULL,
    count      INTEGER NOT NULL DEFAULT 0,
    errors     INTEGER NOT NULL DEFAULT 0,
    sum_us     INTEGER NOT NULL DEFAULT 0,           -- total latency in microseconds
    min_ms     REAL,
    max_ms     REAL,
    hist       BLOB NOT NULL,
    PRIMARY KEY (hour, operation)
) WITHOUT ROWID;

CREATE TABLE an_latency_day (
    day        INTEGER NOT NULL,
    operation  TEXT NOT NULL,
    count      INTEGER NOT NULL DEFAULT 0,
    errors     INTEGER NOT NULL DEFAULT 0,
    sum_us     INTEGER NOT NULL DEFAULT 0,           -- total latency in microseconds
    min_ms     REAL,
    max_ms     REAL,
    hist       BLOB NOT NULL,
    PRIMARY KEY (day, operation)
) WITHOUT ROWID;

-- Personal activity (hour-of-week heatmaps, active users).
CREATE TABLE an_user_hour (
    user_id   TEXT NOT NULL,
    hour      INTEGER NOT NULL,
    events    INTEGER NOT NULL DEFAULT 0,
    searches  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, user_id)
) WITHOUT ROWID;
CREATE INDEX an_user_hour_user ON an_user_hour(user_id, hour);

CREATE TABLE an_user_day (
    user_id   TEXT NOT NULL,
    day       INTEGER NOT NULL,
    events    INTEGER NOT NULL DEFAULT 0,
    searches  INTEGER NOT NULL DEFAULT 0,
    views     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, user_id)
) WITHOUT ROWID;
CREATE INDEX an_user_day_user ON an_user_day(user_id, day);

-- Sessions derived by inactivity: events of one user less than the gap apart.
CREATE TABLE an_sessions (
    user_id   TEXT NOT NULL,
    start_ms  INTEGER NOT NULL,
    end_ms    INTEGER NOT NULL,
    events    INTEGER NOT NULL,
    PRIMARY KEY (user_id, start_ms)
) WITHOUT ROWID;
CREATE INDEX an_sessions_start ON an_sessions(start_ms);

-- Sessions per start day, kept in step with an_sessions as sessions merge.
CREATE TABLE an_session_day (
    day          INTEGER PRIMARY KEY,
    sessions     INTEGER NOT NULL DEFAULT 0,
    duration_ms  INTEGER NOT NULL DEFAULT 0
);

-- Preferences (imported from the legacy ~/.quicknav_userdata.json, later set by clients).
CREATE TABLE user_preferences (
    user_id     TEXT NOT NULL,
    key         TEXT NOT NULL,
    value       TEXT NOT NULL,                      -- JSON
    source      TEXT NOT NULL DEFAULT 'user',
    updated_ms  INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
