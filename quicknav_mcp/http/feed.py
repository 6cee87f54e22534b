"""The gateway's live view of analytics events: one bus subscriber fanned out to in-process listeners.

The analytics service hands over each stored batch of events once (``AnalyticsService.follow``);
the feed passes them, as dicts, to every listener (the WebSocket hub, the response cache's
invalidation, the events-ingested counter). Events stored by this process arrive within a few
milliseconds (the bus wakes its subscribers after the commit); events stored by another process
(``quicknav`` CLI, a second server) arrive at the bus's polling interval.

The subscriber is durable (the bus has no other kind); it starts at the outbox head as it is when
the feed starts (the bus's "now"): it serves live updates, and a backlog from before the start
would push stale events to clients. Starting writes nothing on the caller's thread, so a gateway
does not wait for the write lock (held by a rollup transaction) to come up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger(__name__)

SUBSCRIBER = "gateway-feed"
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
        try:
            self.app.analytics.follow(SUBSCRIBER, self._handle, start="now")
        except ValueError:  # a second gateway over the same App: it is already subscribed
            log.warning("the event feed is already subscribed in this process; live events go to the first gateway")

    def close(self) -> None:
        # The bus has no unsubscribe; it stops with the App. Until then events are acknowledged and ignored.
        self._closed.set()

    def _handle(self, events: list[dict[str, Any]]) -> None:
        if self._closed.is_set():
            return
        self.delivered += len(events)
        for listener in self._listeners:
            try:
                listener(events)
            except Exception:  # one broken listener must not stop the others or stall the cursor
                log.exception("event feed listener failed")
