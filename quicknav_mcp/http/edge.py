"""The gateway's shared operational state: response cache, breakers, metrics, event feed, WebSocket hub.

Built once per Starlette app by :meth:`Edge.open` (in the lifespan, after the QuickNav
:class:`~quicknav_mcp.app.App` is open) and kept at ``app.state.edge``; /health, /metrics, the
WebSocket hub and the cached routes read it from there.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import HTTPConnection

from ..analytics.bus import cursor_position
from ..indexers.onedrive_graph import graph_breaker
from .breaker import CircuitBreaker, guard_embedder
from .cache import EVENTS, INDEX, ResponseCache
from .metrics import Metrics

if TYPE_CHECKING:
    from ..app import App
    from .feed import EventFeed
    from .ws import Hub

log = logging.getLogger(__name__)


@dataclass
class Edge:
    """What the cross-cutting parts of the gateway share."""

    app: App
    cache: ResponseCache
    metrics: Metrics
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)
    hub: Hub | None = None
    feed: EventFeed | None = None

    @classmethod
    def open(
        cls,
        app: App,
        *,
        cache_ttl: float = 30.0,
        cache_entries: int = 2048,
        dashboard_interval: float = 10.0,
        feed: bool = True,
    ) -> Edge:
        """Build the pieces; with ``feed`` the event feed and WebSocket hub start (they need a running loop)."""
        from .feed import EventFeed
        from .ws import Hub

        edge = cls(
            app=app,
            cache=ResponseCache(
                ttl=cache_ttl,
                max_entries=cache_entries,
                # Analytics answers change when the rollups fold new events in, not when events are stored.
                watch={INDEX: app.search.versions.get, EVENTS: lambda: rollups_position(app)},
            ),
            metrics=Metrics(),
        )
        edge.breakers["embedder"] = guard_embedder(app.search, CircuitBreaker("embedder"))
        edge.breakers["onedrive"] = graph_breaker()  # the process's one Graph breaker (poller and syncs)
        edge.metrics.bind(edge)
        if feed:
            edge.hub = Hub(edge, dashboard_interval=dashboard_interval)
            edge.feed = EventFeed(app)
            edge.feed.listen(edge._on_events)
            edge.feed.listen(edge.hub.on_events_threadsafe)
        return edge

    async def start(self) -> None:
        if self.hub is not None:
            await self.hub.start()
        if self.feed is not None:
            self.feed.start()

    async def close(self) -> None:
        if self.feed is not None:
            self.feed.close()
        if self.hub is not None:
            await self.hub.close()

    def _on_events(self, events: list[dict[str, Any]]) -> None:
        # Analytics answers change with every event; recommendations with their user's.
        from .cache import user_tag

        self.metrics.events_ingested.inc(len(events))
        self.cache.invalidate(EVENTS)
        for user in {e["user_id"] for e in events}:
            self.cache.invalidate(user_tag(user))


def rollups_position(app: App) -> int:
    """How far the analytics rollups have folded (their bus cursor): it moves when the figures do."""
    return cursor_position(app.store, "rollups")


def edge_of(conn: HTTPConnection) -> Edge:
    """The request's :class:`Edge` (``app.state.edge``)."""
    return conn.app.state.edge
