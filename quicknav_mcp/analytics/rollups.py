"""Rollups: the derived tables, folded incrementally from events.

Each fold is a handful of ``INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE`` statements
over a slice of the log (a range of ``seq``). The aggregation runs inside SQLite, in C, without
Python's GIL, so folding runs truly beside ingestion on a second core. Everything written is
additive (or order-independent: max, set membership, session merging), so folding events in any
order or grouping gives the same tables — which is what lets ``rebuild`` reproduce them exactly.

What counts as what:
- views: project_view; document_opens: document_access (both per project per day)
- project searches ("searches that led to it"): project_search/document_search carrying the project
- query searches / zero results: search events by normalised query; clicks: a search that landed
  on a project, or a view/open/recommendation click that carries the query it came from
- latency: events with response_time_ms, by operation (tool name, else event type)
- sessions: a user's events less than the inactivity gap apart

Days and hours are local (see localtime.py): the zone the rollups were built in is recorded in
an_meta, and each fold buckets by it, so several processes always agree. ``rebuild`` re-buckets.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from ..store import Connection
from . import histogram
from .db import get_meta, get_text, set_meta, set_text
from .events import CLICK_TYPES, SEARCH_TYPES
from .localtime import DAY_MS, HOUR_MS, LocalTime, local_time

log = logging.getLogger(__name__)

SESSION_GAP_MS = 30 * 60 * 1000


# Tables derived from the log; `personal` ones hold user ids and are cleared by `forget`.
DERIVED_TABLES = (
    "an_project_day",
    "an_project_day_user",
    "an_query_day",
    "an_type_hour",
    "an_type_day",
    "an_latency_hour",
    "an_latency_day",
    "an_user_hour",
    "an_user_day",
    "an_sessions",
    "an_session_day",
)
PERSONAL_TABLES = ("an_project_day_user", "an_user_hour", "an_user_day", "an_sessions")
# Time column and unit per table, for rebuilding from a compaction watermark.
TIME_KEYS = {
    "an_project_day": ("day", DAY_MS),
    "an_project_day_user": ("day", DAY_MS),
    "an_query_day": ("day", DAY_MS),
    "an_type_hour": ("hour", HOUR_MS),
    "an_type_day": ("day", DAY_MS),
    "an_latency_hour": ("hour", HOUR_MS),
    "an_latency_day": ("day", DAY_MS),
    "an_user_hour": ("hour", HOUR_MS),
    "an_user_day": ("day", DAY_MS),
    "an_sessions": ("end_ms", 1),
    "an_session_day": ("day", DAY_MS),
}
ZONE_KEY = "timezone"  # an_meta: the IANA zone the day/hour buckets were built in

_S = "('" + "','".join(sorted(SEARCH_TYPES)) + "')"
_SC = "('" + "','".join(sorted(SEARCH_TYPES | CLICK_TYPES)) + "')"
_IS_SEARCH = f"CASE WHEN event_type IN {_S} THEN 1 ELSE 0 END"
_IS_ZERO = f"CASE WHEN event_type IN {_S} AND result_count = 0 THEN 1 ELSE 0 END"
# histogram.bin_of in SQL (the same libm log, truncation toward zero)
_BIN = (
    f"CASE WHEN response_time_ms < {histogram.MIN_MS} THEN 0 ELSE min({histogram.NBINS - 1}, "
    f"1 + CAST(ln(response_time_ms / {histogram.MIN_MS}) * {histogram.STEPS_PER_DOUBLING / math.log(2)!r} "
    "AS INTEGER)) END"
)


@dataclass(frozen=True)
class Fold:
    """One derived table: its key and summed columns, and the SELECT that aggregates a slice."""

    table: str
    keys: tuple[str, ...]
    sums: tuple[str, ...]
    maxes: tuple[str, ...]
    select: str  # with {w}: the slice's WHERE clause; {lt}: SQL for the event's local wall time
    personal: bool = False

    def query(self, where: str, lt: str) -> str:
        return self.select.format(w=where, lt=lt)

    def upsert(self, where: str, lt: str) -> str:
        cols = ", ".join((*self.keys, *self.sums, *self.maxes))
        sets = [f"{c} = {c} + excluded.{c}" for c in self.sums] + [f"{c} = max({c}, excluded.{c})" for c in self.maxes]
        return (
            f"INSERT INTO {self.table}({cols}) {self.query(where, lt)} "
            f"ON CONFLICT({', '.join(self.keys)}) DO UPDATE SET {', '.join(sets)}"
        )


FOLDS = (
    Fold(
        "an_type_hour",
        ("hour", "event_type"),
        ("events", "zero_results", "errors"),
        (),
        f"SELECT {{lt}} / {HOUR_MS}, event_type, count(*), sum({_IS_ZERO}), sum(error) "
        "FROM events WHERE {w} GROUP BY 1, 2",
    ),
    Fold(
        "an_type_day",
        ("day", "event_type"),
        ("events", "zero_results", "errors"),
        (),
        f"SELECT {{lt}} / {DAY_MS}, event_type, count(*), sum({_IS_ZERO}), sum(error) "
        "FROM events WHERE {w} GROUP BY 1, 2",
    ),
    Fold(
        "an_project_day",
        ("day", "project_id"),
        ("views", "document_opens", "searches", "events"),
        ("last_ms",),
        f"SELECT {{lt}} / {DAY_MS}, project_id, sum(CASE WHEN event_type = 'project_view' THEN 1 ELSE 0 END), "
        f"sum(CASE WHEN event_type = 'document_access' THEN 1 ELSE 0 END), sum({_IS_SEARCH}), count(*), max(ts_ms) "
        "FROM events WHERE {w} AND project_id IS NOT NULL GROUP BY 1, 2",
    ),
    Fold(
        "an_query_day",
        ("day", "query"),
        ("searches", "zero_results", "clicks"),
        ("last_ms",),
        f"SELECT {{lt}} / {DAY_MS}, an_normq(query) AS q, sum({_IS_SEARCH}), sum({_IS_ZERO}), "
        # A search that resolved to one project landed; a view/open/click carrying a query followed it.
        f"sum(CASE WHEN event_type NOT IN {_S} THEN 1 WHEN event_type = 'project_search' "
        "AND project_id IS NOT NULL AND result_count > 0 THEN 1 ELSE 0 END), max(ts_ms) "
        f"FROM events WHERE {{w}} AND query IS NOT NULL AND event_type IN {_SC} GROUP BY 1, 2 HAVING q IS NOT NULL",
    ),
    Fold(
        "an_user_hour",
        ("hour", "user_id"),
        ("events", "searches"),
        (),
        f"SELECT {{lt}} / {HOUR_MS}, user_id, count(*), sum({_IS_SEARCH}) FROM events WHERE {{w}} GROUP BY 1, 2",
        personal=True,
    ),
    Fold(
        "an_user_day",
        ("day", "user_id"),
        ("events", "searches", "views"),
        (),
        f"SELECT {{lt}} / {DAY_MS}, user_id, count(*), sum({_IS_SEARCH}), "
        "sum(CASE WHEN event_type = 'project_view' THEN 1 ELSE 0 END) FROM events WHERE {w} GROUP BY 1, 2",
        personal=True,
    ),
    Fold(
        "an_project_day_user",
        ("project_id", "day", "user_id"),
        ("events",),
        (),
        f"SELECT project_id, {{lt}} / {DAY_MS}, user_id, count(*) FROM events "
        "WHERE {w} AND project_id IS NOT NULL GROUP BY 1, 2, 3",
        personal=True,
    ),
)

_LATENCY_SELECT = (
    f"SELECT coalesce(operation, event_type), {{lt}} / {HOUR_MS}, {_BIN}, count(*), sum(error), "
    "sum(CAST(round(response_time_ms * 1000) AS INTEGER)), min(response_time_ms), max(response_time_ms) "
    "FROM events WHERE {w} AND response_time_ms IS NOT NULL GROUP BY 1, 2, 3"
)


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


# ---- the zone the rollups are bucketed in ---------------------------------------------------
def rollup_zone(conn: Connection, default: str = "UTC") -> LocalTime:
    """The zone recorded with the rollups; ``default`` while none is recorded and nothing was folded.

    Rollups folded before zones were recorded were bucketed in UTC.
    """
    name = get_text(conn, ZONE_KEY)
    if name is None:
        name = default if get_meta(conn, "applied_seq") == 0 else "UTC"
    return local_time(name)


def record_zone(conn: Connection, zone: LocalTime) -> None:
    set_text(conn, ZONE_KEY, zone.name)


def ensure_zone(conn: Connection, default: str) -> LocalTime:
    """The recorded zone, recording it first if missing (inside a write transaction)."""
    tz = rollup_zone(conn, default)
    if get_text(conn, ZONE_KEY) is None:
        record_zone(conn, tz)
    return tz


def _wall_sql(conn: Connection, tz: LocalTime, table: str, column: str, where: str, params: tuple[Any, ...]) -> str:
    """SQL for ``column``'s local wall time over the rows ``where`` selects (exact for their span)."""
    if tz.name == "UTC":
        return column
    lo, hi = conn.execute(f"SELECT min({column}), max({column}) FROM {table} WHERE {where}", params).fetchone()
    return tz.wall_sql(column, lo, hi)


# ---- slices of the log ---------------------------------------------------------------------------
Slice = tuple[str, tuple[Any, ...]]


def seq_slice(lo: int, hi: int, since_ms: int | None = None) -> Slice:
    """Events with ``lo <= seq <= hi`` (and ``ts_ms >= since_ms``)."""
    if since_ms is None:
        return "seq BETWEEN ? AND ?", (lo, hi)
    return "seq BETWEEN ? AND ? AND ts_ms >= ?", (lo, hi, since_ms)


def user_slice(user: str, max_seq: int) -> Slice:
    """A user's events that the rollups already hold."""
    return "user_id = ? AND seq <= ?", (user, max_seq)


def _latency(conn: Connection, where: str, params: tuple[Any, ...], lt: str) -> tuple[dict, dict]:
    """Per (hour, operation) and (day, operation): [count, errors, sum_us, min, max, hist]."""
    hours: dict[tuple[int, str], list[Any]] = {}
    days: dict[tuple[int, str], list[Any]] = {}
    for op, hour, b, n, err, us, lo, hi in conn.execute(_LATENCY_SELECT.format(w=where, lt=lt), params):
        # Wall hours: the local day is exactly hour // 24, whatever the zone's offset.
        for table, key in ((hours, (hour, op)), (days, (hour // 24, op))):
            a = table.get(key)
            if a is None:
                table[key] = [n, err, us, lo, hi, {b: n}]
            else:
                a[0] += n
                a[1] += err
                a[2] += us
                a[3] = min(a[3], lo)
                a[4] = max(a[4], hi)
                a[5][b] = a[5].get(b, 0) + n
    return hours, days


def _session_days(conn: Connection, deltas: dict[int, list[int]]) -> None:
    """Apply per-start-day session deltas ([sessions, duration]) to an_session_day."""
    changed = [(d, n, ms) for d, (n, ms) in deltas.items() if n or ms]
    conn.executemany(
        "INSERT INTO an_session_day(day, sessions, duration_ms) VALUES (?, ?, ?) ON CONFLICT(day) DO UPDATE SET "
        "sessions = sessions + excluded.sessions, duration_ms = duration_ms + excluded.duration_ms",
        changed,
    )
    if changed:
        conn.execute("DELETE FROM an_session_day WHERE sessions <= 0")


def drop_sessions(conn: Connection, where: str, params: tuple[Any, ...]) -> int:
    """Delete sessions matching ``where`` and take them out of an_session_day."""
    lt = _wall_sql(conn, rollup_zone(conn), "an_sessions", "start_ms", where, params)
    deltas: dict[int, list[int]] = {}
    for day, n, ms in conn.execute(
        f"SELECT {lt} / {DAY_MS}, count(*), sum(end_ms - start_ms) FROM an_sessions WHERE {where} GROUP BY 1",
        params,
    ):
        deltas[day] = [-n, -ms]
    _session_days(conn, deltas)
    return conn.execute(f"DELETE FROM an_sessions WHERE {where}", params).rowcount


def fold(
    conn: Connection, where: str, params: tuple[Any, ...], *, sessions: bool = True, zone: LocalTime | None = None
) -> int:
    """Fold a slice of the log into the rollups, inside the caller's transaction.

    Buckets are local to ``zone`` (default: the zone recorded with the rollups).
    """
    sql = f"SELECT count(*), max(seq), min(ts_ms), max(ts_ms) FROM events WHERE {where}"
    top = conn.execute(sql, params).fetchone()
    if not top[0]:
        return 0
    tz = zone or rollup_zone(conn)
    lt = tz.wall_sql("ts_ms", top[2], top[3])
    for f in FOLDS:
        conn.execute(f.upsert(where, lt), params)
    hours, days = _latency(conn, where, params, lt)
    for sql, table in ((_LAT_HOUR[0], hours), (_LAT_DAY[0], days)):
        conn.executemany(
            sql, [(k[0], k[1], a[0], a[1], a[2], a[3], a[4], histogram.encode(a[5])) for k, a in table.items()]
        )
    if sessions:
        times: dict[str, list[int]] = {}
        for user, ts in conn.execute(f"SELECT user_id, ts_ms FROM events WHERE {where}", params):
            bucket = times.get(user)
            if bucket is None:
                times[user] = [ts]
            else:
                bucket.append(ts)
        deltas: dict[int, list[int]] = {}
        for user, ts_list in times.items():
            _merge_sessions(conn, user, ts_list, deltas, tz)
        _session_days(conn, deltas)
    if top[1] > get_meta(conn, "applied_seq"):
        set_meta(conn, "applied_seq", top[1])
    return int(top[0])


def _merge_sessions(
    conn: Connection,
    user: str,
    times: list[int],
    deltas: dict[int, list[int]],
    tz: LocalTime,
    gap: int = SESSION_GAP_MS,
) -> None:
    """Merge a user's new event times into their sessions (counted per local start day).

    Sessions are the clusters of event times with gaps under ``gap``; merging existing clusters
    with new points by a sweep gives the same clusters whatever order events arrive in.
    """
    times.sort()
    # Cluster the new points first: each cluster touches at most a few stored sessions.
    windows: list[list[int]] = []
    for t in times:
        if windows and t - windows[-1][1] < gap:
            windows[-1][1] = t
            windows[-1][2] += 1
        else:
            windows.append([t, t, 1])
    for a, b, n in windows:
        lo, hi = a - gap, b + gap
        # Stored sessions are disjoint and sorted by start: the ones within reach of [lo, hi] start
        # between the last start at or before lo and hi (an index range, however long the history).
        existing = [
            r
            for r in conn.execute(
                "SELECT start_ms, end_ms, events FROM an_sessions WHERE user_id = ?1 AND start_ms < ?3 AND start_ms >= "
                "coalesce((SELECT max(start_ms) FROM an_sessions WHERE user_id = ?1 AND start_ms <= ?2), ?2)",
                (user, lo, hi),
            )
            if r[1] > lo
        ]
        start, end, events = a, b, n
        for s, e, k in existing:
            start, end, events = min(start, s), max(end, e), events + k
            d = deltas.setdefault(tz.day(s), [0, 0])
            d[0] -= 1
            d[1] -= e - s
        d = deltas.setdefault(tz.day(start), [0, 0])
        d[0] += 1
        d[1] += end - start
        if existing:
            conn.executemany(
                "DELETE FROM an_sessions WHERE user_id = ? AND start_ms = ?", [(user, r[0]) for r in existing]
            )
        conn.execute(
            "INSERT INTO an_sessions(user_id, start_ms, end_ms, events) VALUES (?, ?, ?, ?)", (user, start, end, events)
        )


def unfold(conn: Connection, where: str, params: tuple[Any, ...]) -> None:
    """Take a slice back out of the shared (non-personal) rollups, for ``forget``.

    Counts, sums and histograms are exact; a min/max or last-seen time cannot be undone and stays.
    Rows left at zero are removed so the tables match a rebuild.
    """
    lt = _wall_sql(conn, rollup_zone(conn), "events", "ts_ms", where, params)
    for f in FOLDS:
        if f.personal:
            continue
        rows = conn.execute(f.query(where, lt), params).fetchall()
        n_keys, n_sums = len(f.keys), len(f.sums)
        sets = ", ".join(f"{c} = {c} - ?" for c in f.sums)
        cond = " AND ".join(f"{k} = ?" for k in f.keys)
        conn.executemany(
            f"UPDATE {f.table} SET {sets} WHERE {cond}",
            [(*r[n_keys : n_keys + n_sums], *r[:n_keys]) for r in rows],
        )
        conn.execute(f"DELETE FROM {f.table} WHERE {' AND '.join(f'{c} <= 0' for c in f.sums)}")
    hours, days = _latency(conn, where, params, lt)
    for (_, sub), table, name in ((_LAT_HOUR, hours, "an_latency_hour"), (_LAT_DAY, days, "an_latency_day")):
        conn.executemany(sub, [(a[0], a[1], a[2], histogram.encode(a[5]), k[0], k[1]) for k, a in table.items()])
        conn.execute(f"DELETE FROM {name} WHERE count <= 0")


def replay(conn: Connection, *, since_ms: int | None = None, chunk: int = 100_000) -> int:
    """Fold the whole log (from ``since_ms``) into empty rollups; returns the events folded."""
    total = 0
    tz = rollup_zone(conn)
    last = conn.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
    first = conn.execute("SELECT coalesce(min(seq), 1) FROM events").fetchone()[0]
    for lo in range(first, last + 1, chunk):
        total += fold(conn, *seq_slice(lo, min(last, lo + chunk - 1), since_ms), zone=tz)
    return total


def clear(conn: Connection, *, since_ms: int | None = None) -> None:
    """Empty the derived tables (from ``since_ms`` on, when the log before it was compacted)."""
    if since_ms is not None:
        # Sessions reaching past the watermark are re-derived; take them out of the day counts first.
        drop_sessions(conn, "end_ms >= ?", (since_ms,))
    tz = rollup_zone(conn)
    for table in DERIVED_TABLES:
        if since_ms is None:
            conn.execute(f"DELETE FROM {table}")
        elif table not in ("an_sessions", "an_session_day"):
            column, unit = TIME_KEYS[table]
            conn.execute(f"DELETE FROM {table} WHERE {column} >= ?", (tz.wall(since_ms) // unit,))


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
