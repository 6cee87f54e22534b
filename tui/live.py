"""How the dashboard learns that something changed.

Inside the server's process it follows the analytics bus (a subscriber woken right after each
commit). Beside a separate ``quicknav serve`` it polls the database's ``PRAGMA data_version``
through the App's read-only store: a read, so the write lock is never taken.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from quicknav_mcp.app import App

log = logging.getLogger(__name__)

Changed = Callable[[], None]
BUS_SUBSCRIBER = "tui-live"


class Live(Protocol):
    """Calls ``on_change`` (from any thread) when the database may show something new."""

    mode: str

    def start(self, on_change: Changed) -> None: ...

    def stop(self) -> None: ...


class PollLive:
    """Polls the store's generation (``PRAGMA data_version``) every ``interval`` seconds."""

    mode = "polling"

    def __init__(self, app: App, interval: float = 2.0) -> None:
        self.app = app
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, on_change: Changed) -> None:
        def run() -> None:
            seen = self._generation()
            while not self._stop.wait(self.interval):
                now = self._generation()
                if now is not None and now != seen:
                    seen = now
                    on_change()

        self._thread = threading.Thread(target=run, name="tui-poll", daemon=True)
        self._thread.start()

    def _generation(self) -> tuple[int, int] | None:
        try:
            return self.app.store.generation()
        except Exception as exc:  # a closed store at shutdown, a file swapped away: keep the screen
            log.debug("cannot read the database generation: %s", exc)
            return None

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.interval + 1)


class BusLive:
    """Follows the analytics bus of an App whose services run in this process (the server's)."""

    mode = "bus"

    def __init__(self, app: App) -> None:
        self.app = app
        self._on_change: Changed | None = None
        self._stopped = False

    def start(self, on_change: Changed) -> None:
        from quicknav_mcp.analytics.service import TOPIC_EVENTS

        self._on_change = on_change
        try:
            self.app.analytics.bus.subscribe(BUS_SUBSCRIBER, [TOPIC_EVENTS], self._handle, start="latest")
        except ValueError:  # already subscribed in this process (a second dashboard): share its wake-ups
            log.warning("a dashboard already follows the bus in this process")

    def _handle(self, _conn: Any, _messages: list[Any]) -> None:
        if not self._stopped and self._on_change is not None:
            self._on_change()

    def stop(self) -> None:
        self._stopped = True  # the bus has no unsubscribe; it stops with the App


def live_for(app: App) -> Live:
    """Bus when the App folds events in this process (it is the server's), polling otherwise."""
    return PollLive(app) if app.store.readonly else BusLive(app)
