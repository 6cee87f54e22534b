"""Rollups: the derived tables, folded incrementally from events.

``apply_events`` aggregates a batch of event rows in Python and upserts the sums, so the cost
per batch is a handful of statements, not one per event. Everything it writes is additive (or
order-independent: max, set membership, session merging), so applying events in any order or
grouping gives the same tables — which is what lets ``rebuild`` reproduce them exactly.

What counts as what:
- views: project_view; document_opens: document_access (both per project per day)
- project searches ("searches that led to it"): project_search/document_search carrying the project
- query searches / zero results: search events by normalised query; clicks: a search that landed
  on a project, or a view/open/recommendation click that carries the query it came from
- latency: events with response_time_ms, by operation (tool name, else event type)
- sessions: a user's events less than the inactivity gap apart
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from ..store import Connection
from . import histogram
from .db import get_meta, set_meta
from .events import CLICK_TYPES, SEARCH_TYPES, normalise_query

log = logging.getLogger(__name__)

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
SESSION_GAP_MS = 30 * 60 * 1000

EVENT_COLUMNS = (
    "seq, user_id, event_type, project_id, query, result_count, response_time_ms, operation, error, ts_ms"
)

# Tables derived from the log; `personal` ones hold user ids and are cleared by `forget`.
DERIVED_TABLES = (
    "an_project_day", "an_project_day_user", "an_query_day", "an_type_hour", "an_type_day",
    "an_latency_hour", "an_latency_day", "an_user_hour", "an_user_day", "an_sessions",
)
PERSONAL_TABLES = ("an_project_day_user", "an_user_hour", "an_user_day", "an_sessions")
# Time column and unit per table, for rebuilding from a compaction watermark.
TIME_KEYS = {
    "an_project_day": ("day", DAY_MS), "an_project_day_user": ("day", DAY_MS), "an_query_day": ("day", DAY_MS),
    "an_type_hour": ("hour", HOUR_MS), "an_type_day": ("day", DAY_MS), "an_latency_hour": ("hour", HOUR_MS),
    "an_latency_day": ("day", DAY_MS), "an_user_hour": ("hour", HOUR_MS), "an_user_day": ("day", DAY_MS),
    "an_sessions": ("end_ms", 1),
}


def _latency_upsert(table: str, key: str) -> tuple[str, str]:
    add = (
        f"INSERT INTO {table}({key}, operation, count, errors, sum_us, min_ms, max_ms, hist) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        f"ON CONFLICT({key}, operation) DO UPDATE SET count = count + excluded.count, "
        "errors = errors + excluded.errors, sum_us = sum_us + excluded.sum_us, "
        "min_ms = min(coalesce(min_ms, excluded.min_ms), excluded.min_ms), "
        "max_ms = max(coalesce(max_ms, excluded.max_ms), excluded.max_ms), "
        "hist = an_hist_add(hist, excluded.hist)"
    )
    # Subtraction (forget) cannot undo a min/max; those stay as bounds.
    sub = (
        f"UPDATE {table} SET count = count - ?, errors = errors - ?, sum_us = sum_us - ?, "
        f"hist = an_hist_sub(hist, ?) WHERE {key} = ? AND operation = ?"
    )
    return add, sub


_LAT_HOUR = _latency_upsert("an_latency_hour", "hour")
_LAT_DAY = _latency_upsert("an_latency_day", "day")


class _Agg:
    """Sums for one batch of events."""

    def __init__(self) -> None:
        self.project: dict[tuple[str, int], list[int]] = {}
        self.project_user: dict[tuple[str, int, str], int] = {}
        self.query: dict[tuple[str, int], list[int]] = {}
        self.type_hour: dict[tuple[int, str], list[int]] = {}
        self.type_day: dict[tuple[int, str], list[int]] = {}
        self.lat_hour: dict[tuple[int, str], list[Any]] = {}
        self.lat_day: dict[tuple[int, str], list[Any]] = {}
        self.user_hour: dict[tuple[str, int], list[int]] = {}
        self.user_day: dict[tuple[str, int], list[int]] = {}
        self.user_times: dict[str, list[int]] = {}
        self.max_seq = 0

    def add(self, rows: Iterable[Sequence[Any]]) -> None:
        project, project_user, query = self.project, self.project_user, self.query
        type_hour, type_day, user_hour, user_day = self.type_hour, self.type_day, self.user_hour, self.user_day
        for seq, user, etype, pid, q, results, rt, op, err, ts in rows:
            if seq > self.max_seq:
                self.max_seq = seq
            day = ts // DAY_MS
            hour = ts // HOUR_MS
            is_search = etype in SEARCH_TYPES
            zero = 1 if is_search and results == 0 else 0
            is_view = etype == "project_view"

            k = (hour, etype)
            t = type_hour.get(k)
            if t is None:
                type_hour[k] = [1, zero, err]
            else:
                t[0] += 1
                t[1] += zero
                t[2] += err
            k2 = (day, etype)
            t = type_day.get(k2)
            if t is None:
                type_day[k2] = [1, zero, err]
            else:
                t[0] += 1
                t[1] += zero
                t[2] += err

            s = 1 if is_search else 0
            uk = (user, hour)
            u = user_hour.get(uk)
            if u is None:
                user_hour[uk] = [1, s]
            else:
                u[0] += 1
                u[1] += s
            uk2 = (user, day)
            u = user_day.get(uk2)
            if u is None:
                user_day[uk2] = [1, s, 1 if is_view else 0]
            else:
                u[0] += 1
                u[1] += s
                u[2] += 1 if is_view else 0
            times = self.user_times.get(user)
            if times is None:
                self.user_times[user] = [ts]
            else:
                times.append(ts)

            if pid is not None:
                pk = (pid, day)
                p = project.get(pk)
                if p is None:
                    p = project[pk] = [0, 0, 0, 0, ts]
                p[0] += 1 if is_view else 0
                p[1] += 1 if etype == "document_access" else 0
                p[2] += s
                p[3] += 1
                if ts > p[4]:
                    p[4] = ts
                puk = (pid, day, user)
                project_user[puk] = project_user.get(puk, 0) + 1

            if q is not None and (is_search or etype in CLICK_TYPES):
                nq = normalise_query(q)
                if nq:
                    qk = (nq, day)
                    r = query.get(qk)
                    if r is None:
                        r = query[qk] = [0, 0, 0, ts]
                    if is_search:
                        r[0] += 1
                        r[1] += zero
                        # A search that resolved to one project landed: it counts as followed.
                        if etype == "project_search" and pid is not None and results:
                            r[2] += 1
                    else:
                        r[2] += 1
                    if ts > r[3]:
                        r[3] = ts

            if rt is not None:
                opname = op or etype
                for table, key in ((self.lat_hour, (hour, opname)), (self.lat_day, (day, opname))):
                    a = table.get(key)
                    if a is None:
                        table[key] = [1, err, round(rt * 1000), rt, rt, {histogram.bin_of(rt): 1}]
                    else:
                        a[0] += 1
                        a[1] += err
                        a[2] += round(rt * 1000)  # integer microseconds: sums are exact in any order
                        if rt < a[3]:
                            a[3] = rt
                        if rt > a[4]:
                            a[4] = rt
                        b = histogram.bin_of(rt)
                        a[5][b] = a[5].get(b, 0) + 1


def apply_events(conn: Connection, rows: Sequence[Sequence[Any]], *, sessions: bool = True) -> int:
    """Fold event rows (``EVENT_COLUMNS`` order) into the rollups, inside the caller's transaction."""
    if not rows:
        return 0
    agg = _Agg()
    agg.add(rows)
    ex = conn.executemany
    ex(
        "INSERT INTO an_type_hour(hour, event_type, events, zero_results, errors) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(hour, event_type) DO UPDATE SET events = events + excluded.events, "
        "zero_results = zero_results + excluded.zero_results, errors = errors + excluded.errors",
        [(k[0], k[1], *v) for k, v in agg.type_hour.items()],
    )
    ex(
        "INSERT INTO an_type_day(day, event_type, events, zero_results, errors) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(day, event_type) DO UPDATE SET events = events + excluded.events, "
        "zero_results = zero_results + excluded.zero_results, errors = errors + excluded.errors",
        [(k[0], k[1], *v) for k, v in agg.type_day.items()],
    )
    ex(
        "INSERT INTO an_user_hour(user_id, hour, events, searches) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(user_id, hour) DO UPDATE SET events = events + excluded.events, "
        "searches = searches + excluded.searches",
        [(k[0], k[1], *v) for k, v in agg.user_hour.items()],
    )
    ex(
        "INSERT INTO an_user_day(user_id, day, events, searches, views) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(user_id, day) DO UPDATE SET events = events + excluded.events, "
        "searches = searches + excluded.searches, views = views + excluded.views",
        [(k[0], k[1], *v) for k, v in agg.user_day.items()],
    )
    ex(
        "INSERT INTO an_project_day(project_id, day, views, document_opens, searches, events, last_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(project_id, day) DO UPDATE SET "
        "views = views + excluded.views, document_opens = document_opens + excluded.document_opens, "
        "searches = searches + excluded.searches, events = events + excluded.events, "
        "last_ms = max(last_ms, excluded.last_ms)",
        [(k[0], k[1], *v) for k, v in agg.project.items()],
    )
    ex(
        "INSERT INTO an_project_day_user(project_id, day, user_id, events) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(project_id, day, user_id) DO UPDATE SET events = events + excluded.events",
        [(*k, v) for k, v in agg.project_user.items()],
    )
    ex(
        "INSERT INTO an_query_day(query, day, searches, zero_results, clicks, last_ms) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(query, day) DO UPDATE SET searches = searches + excluded.searches, "
        "zero_results = zero_results + excluded.zero_results, clicks = clicks + excluded.clicks, "
        "last_ms = max(last_ms, excluded.last_ms)",
        [(k[0], k[1], *v) for k, v in agg.query.items()],
    )
    for sql, table in ((_LAT_HOUR[0], agg.lat_hour), (_LAT_DAY[0], agg.lat_day)):
        ex(sql, [(k[0], k[1], a[0], a[1], a[2], a[3], a[4], histogram.encode(a[5])) for k, a in table.items()])
    if sessions:
        for user, times in agg.user_times.items():
            _merge_sessions(conn, user, times)
    if agg.max_seq > get_meta(conn, "applied_seq"):
        set_meta(conn, "applied_seq", agg.max_seq)
    return len(rows)


def _merge_sessions(conn: Connection, user: str, times: list[int], gap: int = SESSION_GAP_MS) -> None:
    """Merge a user's new event times into their sessions.

    Sessions are the clusters of event times with gaps under ``gap``; merging existing clusters
    with new points by a sweep gives the same clusters whatever order events arrive in.
    """
    times.sort()
    lo, hi = times[0] - gap, times[-1] + gap
    existing = conn.execute(
        "SELECT start_ms, end_ms, events FROM an_sessions WHERE user_id = ? AND end_ms >= ? AND start_ms <= ?",
        (user, lo, hi),
    ).fetchall()
    spans = [(r[0], r[1], r[2]) for r in existing] + [(t, t, 1) for t in times]
    spans.sort()
    merged: list[list[int]] = []
    for start, end, n in spans:
        if merged and start - merged[-1][1] < gap:
            last = merged[-1]
            if end > last[1]:
                last[1] = end
            last[2] += n
        else:
            merged.append([start, end, n])
    if existing:
        conn.executemany(
            "DELETE FROM an_sessions WHERE user_id = ? AND start_ms = ?", [(user, r[0]) for r in existing]
        )
    conn.executemany(
        "INSERT INTO an_sessions(user_id, start_ms, end_ms, events) VALUES (?, ?, ?, ?)",
        [(user, s, e, n) for s, e, n in merged],
    )


def subtract_events(conn: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Take events back out of the shared (non-personal) rollups, for ``forget``.

    Counts, sums and histograms are exact; a min/max or last-seen time cannot be undone and stays.
    Rows left at zero are removed so the tables match a rebuild.
    """
    if not rows:
        return
    agg = _Agg()
    agg.add(rows)
    ex = conn.executemany
    for table, key, data in (("an_type_hour", "hour", agg.type_hour), ("an_type_day", "day", agg.type_day)):
        ex(
            f"UPDATE {table} SET events = events - ?, zero_results = zero_results - ?, errors = errors - ? "
            f"WHERE {key} = ? AND event_type = ?",
            [(*v, k[0], k[1]) for k, v in data.items()],
        )
        conn.execute(f"DELETE FROM {table} WHERE events <= 0")
    ex(
        "UPDATE an_project_day SET views = views - ?, document_opens = document_opens - ?, searches = searches - ?, "
        "events = events - ? WHERE project_id = ? AND day = ?",
        [(*v[:4], k[0], k[1]) for k, v in agg.project.items()],
    )
    conn.execute("DELETE FROM an_project_day WHERE events <= 0")
    ex(
        "UPDATE an_query_day SET searches = searches - ?, zero_results = zero_results - ?, clicks = clicks - ? "
        "WHERE query = ? AND day = ?",
        [(*v[:3], k[0], k[1]) for k, v in agg.query.items()],
    )
    conn.execute("DELETE FROM an_query_day WHERE searches <= 0 AND clicks <= 0")
    for (_, sub), table, name in ((_LAT_HOUR, agg.lat_hour, "an_latency_hour"), (_LAT_DAY, agg.lat_day,
                                                                              "an_latency_day")):
        ex(sub, [(a[0], a[1], a[2], histogram.encode(a[5]), k[0], k[1]) for k, a in table.items()])
        conn.execute(f"DELETE FROM {name} WHERE count <= 0")


def replay(conn: Connection, *, since_ms: int | None = None, chunk: int = 20_000) -> int:
    """Fold the whole log (from ``since_ms``) into empty rollups; returns the events applied.

    Sessions are merged per chunk, which is correct because merging is order-independent.
    """
    since = -(2**62) if since_ms is None else since_ms
    total = 0
    last = 0
    while True:
        rows = conn.execute(
            f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > ? AND ts_ms >= ? ORDER BY seq LIMIT ?",
            (last, since, chunk),
        ).fetchall()
        if not rows:
            break
        apply_events(conn, rows)
        total += len(rows)
        last = rows[-1][0]
    return total


def clear(conn: Connection, *, since_ms: int | None = None) -> None:
    """Empty the derived tables (from ``since_ms`` on, when the log before it was compacted)."""
    for table in DERIVED_TABLES:
        if since_ms is None:
            conn.execute(f"DELETE FROM {table}")
        else:
            column, unit = TIME_KEYS[table]
            conn.execute(f"DELETE FROM {table} WHERE {column} >= ?", (since_ms // unit,))


def snapshot(conn: Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every derived row, sorted — for comparing rollups with a rebuild."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    for table in DERIVED_TABLES:
        rows = conn.execute(f"SELECT * FROM {table}").fetchall()
        decoded = []
        for r in rows:
            values = []
            for v in tuple(r):
                if isinstance(v, bytes):
                    v = tuple(sorted(histogram.decode(v).items()))
                elif isinstance(v, float):
                    v = round(v, 6)
                values.append(v)
            decoded.append(tuple(values))
        out[table] = sorted(decoded)
    return out
