"""Recent activity at minute resolution, for live views (the terminal dashboard's first chart).

The rollups stop at hours, so minutes come from the tail of the event log. ``seq`` is arrival order
and ``received_ms`` is stamped at arrival, so walking ``seq`` backwards can stop at the first event
received before the window: the read is bounded by the events of the window, not the log's size.
An event received in the window but dated before it (an import) is skipped.
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
    rows = c.execute(
        "SELECT ts_ms, received_ms FROM events ORDER BY seq DESC LIMIT ?",
        (MAX_ROWS,),
    )
    for ts, received in rows:
        if received < since_ms:
            break
        if start <= ts < until_ms:
            counts[(ts - start) // MINUTE_MS] += 1
    return counts
