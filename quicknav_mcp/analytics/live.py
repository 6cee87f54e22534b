"""Recent activity at minute resolution, for live views (the terminal dashboard's first chart).

The rollups stop at hours, so minutes come from the tail of the event log. ``seq`` is arrival order
and ``received_ms`` is stamped at arrival, so a binary search over ``seq`` finds the first event
received in the window and only the events after it are counted: the read is bounded by the
events of the window, not the log's size. An event received in the window but dated before it (an
import) is skipped.
"""

from __future__ import annotations

from ..store import Connection

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
