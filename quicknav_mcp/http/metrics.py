"""Prometheus metrics for the gateway: ``GET /metrics`` in the text exposition format.

Each Starlette app has its own :class:`CollectorRegistry` (two apps in one test process never
share counters). Requests are counted by route *template* (``/api/v1/projects/{number}``, never
the raw path: the label set stays bounded) and status; latencies go in a histogram per route.
Cache, WebSocket, bus and index figures are read when scraped, from the :class:`~.edge.Edge`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from .edge import Edge

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
UNMATCHED = "<unmatched>"
BREAKER_STATES = {"closed": 0, "half_open": 1, "open": 2}


class Metrics:
    """The registry and the metrics the middleware and the event feed update."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "quicknav_http_requests", "HTTP requests answered", ["route", "method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "quicknav_http_request_duration_seconds",
            "Time to answer an HTTP request",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.events_ingested = Counter(
            "quicknav_events_ingested", "Analytics events stored (seen by the gateway's feed)", registry=self.registry
        )
        self.ws_messages = Counter(
            "quicknav_ws_messages", "WebSocket messages queued for clients", ["type"], registry=self.registry
        )
        self.ws_dropped = Counter(
            "quicknav_ws_clients_dropped", "WebSocket clients dropped for not keeping up", registry=self.registry
        )
        self._edge: Edge | None = None

    def bind(self, edge: Edge) -> None:
        """Read scrape-time figures from ``edge`` (once)."""
        if self._edge is None:
            self._edge = edge
            self.registry.register(_EdgeCollector(edge))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class _EdgeCollector(Collector):
    """Figures that are states rather than counts, read at scrape time."""

    def __init__(self, edge: Edge) -> None:
        self.edge = edge

    def collect(self) -> Iterator[Metric]:
        edge = self.edge
        stats = edge.cache.stats()
        for name, key, text in (
            ("quicknav_cache_hits", "hits", "Response cache hits"),
            ("quicknav_cache_misses", "misses", "Response cache misses"),
            ("quicknav_cache_entries", "entries", "Entries in the response cache"),
            ("quicknav_cache_bytes", "bytes", "Bytes held by the response cache"),
            ("quicknav_cache_hit_ratio", "hit_ratio", "Response cache hits / lookups"),
        ):
            yield GaugeMetricFamily(name, text, value=stats[key])
        yield GaugeMetricFamily(
            "quicknav_ws_clients", "Connected WebSocket clients", value=edge.hub.client_count if edge.hub else 0
        )
        breakers = GaugeMetricFamily(
            "quicknav_breaker_state", "Circuit breaker state (0 closed, 1 half-open, 2 open)", labels=["breaker"]
        )
        for name, breaker in edge.breakers.items():
            breakers.add_metric([name], BREAKER_STATES[breaker.state])
        yield breakers
        try:
            yield from _store_figures(edge)
        except Exception as exc:  # a scrape during shutdown: the HTTP figures are still worth having
            log.debug("metrics: store figures unavailable: %s", exc)


def _store_figures(edge: Edge) -> Iterator[Metric]:
    from ..analytics.bus import subscriber_lag

    app = edge.app
    lag = GaugeMetricFamily("quicknav_bus_lag", "Outbox messages a bus subscriber has still to handle", labels=["sub"])
    for name, behind in sorted(subscriber_lag(app.store).items()):
        lag.add_metric([name], behind)
    yield lag
    size = GaugeMetricFamily("quicknav_index_size", "Rows in the index", labels=["kind"])
    for kind, sql in (("projects", "SELECT count(*) FROM projects"), ("documents", "SELECT count(*) FROM documents")):
        size.add_metric([kind], app.store.query_one(sql)[0])
    yield size


def route_template(scope: Scope) -> str:
    """The matched route's path template, found from the endpoint the router put in the scope."""
    app = scope.get("app")
    if app is None:
        return UNMATCHED
    endpoint = scope.get("endpoint")
    if endpoint is None:  # answered before routing (401, 429): match the path ourselves
        return _match(getattr(app, "routes", []), scope)
    table: dict[int, str] | None = getattr(app.state, "_route_templates", None)
    if table is None:
        table = {}
        _walk(getattr(app, "routes", []), "", table)
        app.state._route_templates = table
    return table.get(id(endpoint), UNMATCHED)


def _match(routes: list[BaseRoute], scope: Scope) -> str:
    for route in routes:
        try:
            match, _ = route.matches(scope)
        except Exception:  # a route that cannot judge this scope (another protocol)
            continue
        if match == Match.FULL:
            return getattr(route, "path", UNMATCHED)  # a Mount counts as its prefix
    return UNMATCHED


def _walk(routes: list[BaseRoute], prefix: str, table: dict[int, str]) -> None:
    for route in routes:
        if isinstance(route, Mount):
            table.setdefault(id(route.app), prefix + route.path)
            _walk(route.routes, prefix + route.path, table)
        elif isinstance(route, Route):
            table.setdefault(id(route.endpoint), prefix + route.path)
        else:
            path, endpoint = getattr(route, "path", None), getattr(route, "endpoint", None)
            if path is not None and endpoint is not None:
                table.setdefault(id(endpoint), prefix + path)


class MetricsMiddleware:
    """Counts every HTTP request by route template, method and status, and times it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception before the response started is a 500 to the client

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            edge = getattr(scope["app"].state, "edge", None) if "app" in scope else None
            if edge is not None:
                route = route_template(scope)
                edge.metrics.requests.labels(route, scope["method"], str(status)).inc()
                edge.metrics.latency.labels(route).observe(time.perf_counter() - started)


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text format (auth applies as on every route except /health)."""
    metrics: Any = request.app.state.edge.metrics
    return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


metrics_route = Route("/metrics", metrics_endpoint, methods=["GET"], name="metrics")
