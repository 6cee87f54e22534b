"""The gateway's live view of analytics events: one bus subscriber fanned out to in-process listeners.

The analytics bus announces each stored batch as a seq range of ``events``; the feed reads those
rows once and hands them, as dicts, to every listener (the WebSocket hub, the response cache's
invalidation, the events-ingested counter). Events stored by this process arrive within a few
milliseconds (the bus wakes its subscribers after the commit); events stored by another process
(``quicknav`` CLI, a second server) arrive at the bus's polling interval.

The subscriber is durable (the bus has no other kind); it starts at the outbox head as it is when
the feed starts (the bus's "now"): it serves live updates, and a backlog from before the start
would push stale events to clients. Starting writes nothing on the caller's thread, so a gateway
does not wait for the write lock (held by a rollup transaction) to come up.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..analytics.bus import Message
from ..analytics.service import TOPIC_EVENTS
from ..store import Connection

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger(__name__)

SUBSCRIBER = "gateway-feed"
RETRIES = 20
RETRY_SECONDS = 0.05
COLUMNS = (
    "seq, event_id, user_id, session_id, event_type, project_id, document_id, query, result_count, "
    "response_time_ms, error, metadata, ts_ms, received_ms"
)
Listener = Callable[[list[dict[str, Any]]], None]


class EventFeed:
    """Subscribes once per gateway; listeners are called on the bus thread and must not block."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._listeners: list[Listener] = []
        self._closed = threading.Event()
        self._started = False
        self.delivered = 0

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        bus = self.app.analytics.bus
        try:
            bus.subscribe(SUBSCRIBER, [TOPIC_EVENTS], self._handle, start="now")
        except ValueError:  # a second gateway over the same App: it is already subscribed
            log.warning("the event feed is already subscribed in this process; live events go to the first gateway")

    def close(self) -> None:
        # The bus has no unsubscribe; it stops with the App. Until then messages are acknowledged and ignored.
        self._closed.set()

    def _handle(self, _conn: Connection | None, messages: list[Message]) -> None:
        if self._closed.is_set():
            return
        spans = [(int(m.payload.get("from", 0)), int(m.payload.get("to", -1))) for m in messages]
        spans = [(lo, hi) for lo, hi in spans if hi >= lo]
        if not spans:
            return
        lo, hi = min(lo for lo, _ in spans), max(hi for _, hi in spans)
        rows = self.app.store.query(f"SELECT {COLUMNS} FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq", (lo, hi))
        for _ in range(RETRIES):
            if rows and rows[-1][0] >= hi:
                break
            # The announcement came from another connection: a read that raced its commit sees the
            # range only partly. Read again briefly rather than acknowledge events never delivered.
            time.sleep(RETRY_SECONDS)
            rows = self.app.store.query(
                f"SELECT {COLUMNS} FROM events WHERE seq BETWEEN ? AND ? ORDER BY seq", (lo, hi)
            )
        events = [_event(r) for r in rows]
        if not events:
            return
        self.delivered += len(events)
        for listener in self._listeners:
            try:
                listener(events)
            except Exception:  # one broken listener must not stop the others or stall the cursor
                log.exception("event feed listener failed")


def _event(row: Any) -> dict[str, Any]:
    out = dict(zip(COLUMNS.replace(" ", "").split(","), row, strict=True))
    out["error"] = bool(out["error"])
    if out["metadata"]:
        try:
            out["metadata"] = json.loads(out["metadata"])
        except ValueError:
            out["metadata"] = None
    return out
