"""The watcher's heartbeat in the database (``watchers``, migration 0011), for other processes.

The watcher beats every second in memory (:class:`~quicknav_mcp.indexers.watch.WatchStatus`); a
dashboard or ``quicknav status`` running beside ``quicknav serve`` has no access to that memory. So
the watcher also writes its status to its row here, at most every :data:`WRITE_EVERY_S` seconds and
right after each batch of changes or change of state: one small upsert on the watcher's own
connection. :func:`recorded` reads it back, saying whether it is fresh (a beat within
:data:`STALE_AFTER_S` and, on this host, its process alive).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

from quicknav_mcp.store import DatabaseError, Store
from quicknav_mcp.timestamps import iso_seconds

from . import scan_rows

log = logging.getLogger(__name__)

WRITE_EVERY_S = 5.0
STALE_AFTER_S = 30.0  # several missed writes: the watcher is stuck or gone
FORGET_AFTER_S = 7 * 24 * 3600.0  # rows of other hosts' watchers silent this long are dropped

_COLUMNS = (
    "owner, started_at, heartbeat, state, mode, roots, paused_roots, last_change, last_change_path, "
    "changes, batches, restarts, last_error"
)


class Heartbeat:
    """Writes one watcher's status to its ``watchers`` row (never raises: a beat is not worth a failure)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.owner = scan_rows.owner()
        self.started_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        self._written = 0.0
        self._last: tuple[Any, ...] | None = None
        self._available = True

    def beat(self, status: Any, *, force: bool = False) -> bool:
        """Record ``status`` (a ``WatchStatus``) if :data:`WRITE_EVERY_S` passed, its state or its changes
        moved, or ``force``; returns whether a row was written."""
        if not self._available or self.store.readonly:
            return False
        key = (status.state, status.mode, status.changes, tuple(status.watching), tuple(status.paused_roots))
        now = time.monotonic()
        if not force and key == self._last and now - self._written < WRITE_EVERY_S:
            return False
        row = (
            self.owner,
            self.started_at,
            status.heartbeat or datetime.now(UTC).isoformat(),
            status.state,
            status.mode,
            json.dumps(status.watching),
            json.dumps(status.paused_roots),
            status.last_change,
            status.last_change_path,
            status.changes,
            status.batches,
            status.restarts,
            status.last_error,
        )
        try:
            with self.store.transaction() as conn:
                if self._last is None:  # the first beat: forget watchers whose process is gone
                    _forget_gone(conn)
                conn.execute(f"INSERT OR REPLACE INTO watchers ({_COLUMNS}) VALUES ({', '.join('?' * 13)})", row)
        except DatabaseError as exc:
            if "no such table" in str(exc):  # a database this code has not migrated: nothing to record into
                self._available = False
            log.debug("watcher heartbeat not recorded: %s", exc)
            return False
        except Exception as exc:  # a store closing at shutdown, the lock held for long by another process
            log.debug("watcher heartbeat not recorded: %s", exc)
            return False
        self._written, self._last = now, key
        return True

    def clear(self) -> None:
        """A clean stop: the row goes, so readers see no watcher at once rather than after it goes stale."""
        if not self._available or self.store.readonly:
            return
        try:
            with self.store.transaction() as conn:
                conn.execute("DELETE FROM watchers WHERE owner = ?", (self.owner,))
        except Exception as exc:
            log.debug("watcher row not removed: %s", exc)


def _forget_gone(conn: Any) -> None:
    rows = conn.execute("SELECT owner, heartbeat FROM watchers").fetchall()
    now = time.time()
    gone = [
        (owner,)
        for owner, beat in rows
        if scan_rows.alive(owner) is False or now - (iso_seconds(beat) or 0.0) > FORGET_AFTER_S
    ]
    if gone:
        conn.executemany("DELETE FROM watchers WHERE owner = ?", gone)


def recorded(store: Store, now: float | None = None) -> dict[str, Any] | None:
    """The freshest watcher's recorded status, with ``heartbeat_age_s`` and ``fresh``; None when no
    watcher ever recorded one (or the database predates the table)."""
    try:
        row = store.query_one(f"SELECT {_COLUMNS} FROM watchers ORDER BY heartbeat DESC LIMIT 1")
    except DatabaseError:
        return None
    if row is None:
        return None
    now = time.time() if now is None else now
    beat = iso_seconds(row[2])
    age = round(max(0.0, now - beat), 1) if beat is not None else None
    alive = scan_rows.alive(row[0])
    return {
        "source": "recorded",  # by a watcher in another process (this one runs none)
        "owner": row[0],
        "started_at": row[1],
        "heartbeat": row[2],
        "heartbeat_age_s": age,
        "fresh": age is not None and age <= STALE_AFTER_S and alive is not False,
        "process_alive": alive,
        "state": row[3],
        "mode": row[4],
        "watching": json.loads(row[5] or "[]"),
        "paused_roots": json.loads(row[6] or "[]"),
        "last_change": row[7],
        "last_change_path": row[8],
        "changes": row[9],
        "batches": row[10],
        "restarts": row[11],
        "last_error": row[12],
    }


__all__ = ["STALE_AFTER_S", "WRITE_EVERY_S", "Heartbeat", "recorded"]
