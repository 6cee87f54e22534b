"""Live views of the event log: activity per minute (the terminal dashboard's first chart) and the
events a bus announcement covers (the gateway's live feed).

The rollups stop at hours, so minutes come from the tail of the event log. ``seq`` is arrival order
and ``received_ms`` is stamped at arrival, so a binary search over ``seq`` finds the first event
received in the window and only the events after it are counted: the read is bounded by the
events of the window, not the log's size. An event received in the window but dated before it (an
import) is skipped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

from ..store import Connection
from .bus import Message
from .db import Conn
from .events import EventRow

MINUTE_MS = 60_000
MAX_ROWS = 500_000  # a runaway window (a bulk import just now) stops here rather than scanning on


def per_minute(c: Connection, since_ms: int, until_ms: int) -> list[int]:
    """Events per minute in ``[since_ms, until_ms)``, oldest minute first (zeros included)."""
    start = since_ms  # minutes counted back from ``until_ms``, so the last bucket ends now
    n = max(0, -(-(until_ms - start) // MINUTE_MS))
    counts = [0] * n
    first = first_received(c, since_ms)
    if first is None:
        return counts
    # Counted in SQL: after a bulk import the window's arrivals are up to MAX_ROWS rows.
    rows = c.execute(
        "SELECT (ts_ms - ?1) / ?4, count(*) FROM events WHERE seq >= ?3 AND ts_ms >= ?1 AND ts_ms < ?2 GROUP BY 1",
        (start, until_ms, first, MINUTE_MS),
    )
    for minute, count in rows:
        counts[minute] += count
    return counts


def first_received(c: Connection, since_ms: int) -> int | None:
    """The first ``seq`` received at or after ``since_ms`` among the newest :data:`MAX_ROWS`, or None.

    ``received_ms`` grows with ``seq`` (both are stamped at arrival), so a binary search over
    ``seq`` finds it in ~20 index lookups however many events the window holds.
    """
    top = c.execute("SELECT seq, received_ms FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    if top is None or top[1] < since_ms:
        return None
    lo, hi = max(0, top[0] - MAX_ROWS + 1), top[0]
    while lo < hi:
        mid = (lo + hi) // 2
        seq, received = c.execute(
            "SELECT seq, received_ms FROM events WHERE seq >= ? ORDER BY seq LIMIT 1", (mid,)
        ).fetchone()
        if received >= since_ms:
            hi = mid
        else:  # that event and every one before it arrived before the window
            lo = seq + 1
    return lo


# The columns a live view shows of an event, in table order: ``operation`` and ``flags`` stay internal.
EVENT_COLUMNS = ("seq", *(f for f in EventRow._fields if f not in ("operation", "flags")))
_RANGE_SQL = f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq"
RETRIES = 20
RETRY_SECONDS = 0.05


def announced(conn: Conn, messages: Iterable[Message]) -> list[dict[str, Any]]:
    """The events a batch of ``analytics.events`` messages announces, oldest first, as dicts."""
    spans = [(int(m.payload.get("from", 0)), int(m.payload.get("to", -1))) for m in messages]
    spans = [(lo, hi) for lo, hi in spans if hi >= lo]
    if not spans:
        return []
    lo, hi = min(lo for lo, _ in spans), max(hi for _, hi in spans)
    rows = conn.query(_RANGE_SQL, (lo, hi))
    for _ in range(RETRIES):
        if rows and rows[-1][0] >= hi:
            break
        # The announcement came from another connection: a read that raced its commit sees the
        # range only partly. Read again briefly rather than acknowledge events never delivered.
        time.sleep(RETRY_SECONDS)
        rows = conn.query(_RANGE_SQL, (lo, hi))
    return [_event(r) for r in rows]


def _event(row: Any) -> dict[str, Any]:
    out = dict(zip(EVENT_COLUMNS, row, strict=True))
    out["error"] = bool(out["error"])
    if out["metadata"]:
        try:
            out["metadata"] = json.loads(out["metadata"])
        except ValueError:
            out["metadata"] = None
    return out
