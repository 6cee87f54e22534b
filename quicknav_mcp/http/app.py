"""The one Starlette app ``quicknav serve --http`` serves: MCP streamable HTTP at ``/mcp`` and the REST gateway.

Its lifespan runs the MCP session manager (which enters the MCP server's lifespan, closing the
:class:`~quicknav_mcp.app.App` on the way out) and opens the App once, before the first request.
Middleware, outermost first: request log (ids every request), metrics, Host/Origin guard, auth, rate limit.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import anyio.to_thread
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute

from .adapt import Gateway
from .auth import Auth, AuthMiddleware
from .edge import Edge
from .errors import EXCEPTION_HANDLERS
from .foreground import ForegroundMiddleware
from .health import health_route
from .hosts import HostGuard
from .metrics import MetricsMiddleware, metrics_route
from .openapi import openapi_routes
from .ratelimit import RateLimitMiddleware
from .requestlog import RequestLog
from .routes import analytics, index, legacy, ml, predict, projects, recommend, search, typeahead
from .ws import websocket_route

if TYPE_CHECKING:
    from ..config import Config
    from ..server import QuickNavServer

log = logging.getLogger(__name__)

ROUTE_GROUPS = (search, typeahead, projects, legacy, analytics, recommend, predict, ml, index)


def api_routes() -> list[BaseRoute]:
    """Every REST route, in the order /openapi.json lists them."""
    return [route for group in ROUTE_GROUPS for route in group.ROUTES]


def build_http_app(server: QuickNavServer, config: Config, *, host: str = "127.0.0.1") -> Starlette:
    """MCP at ``/mcp`` plus the gateway routes over the same :class:`~quicknav_mcp.server.AppHolder`."""
    # Host/Origin are checked by HostGuard for /mcp as for the rest (it knows QUICKNAV_ALLOWED_HOSTS).
    mcp_app = server.streamable_http_app(
        host=host, transport_security=TransportSecuritySettings(enable_dns_rebinding_protection=False)
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with mcp_app.router.lifespan_context(mcp_app):
            qn = await anyio.to_thread.run_sync(server.holder.get)  # open the App once, before the first request
            edge = Edge.open(qn, dashboard_interval=config.ws_dashboard_seconds, cache_ttl=config.cache_ttl)
            app.state.edge = edge
            app.state.gateway.cache = edge.cache
            await edge.start()
            try:
                yield
            finally:
                await edge.close()  # before the App closes: the hub reads it until then

    routes: list[BaseRoute] = [
        *api_routes(),
        *openapi_routes(),
        health_route,
        metrics_route,
        websocket_route,
        *mcp_app.routes,
    ]
    middleware = [
        Middleware(RequestLog),
        Middleware(MetricsMiddleware),
        Middleware(ForegroundMiddleware),  # background builds give way while a request runs
        Middleware(HostGuard, allowed_hosts=config.allowed_hosts, cors_origins=config.cors_origins),
        Middleware(AuthMiddleware),
        Middleware(RateLimitMiddleware, per_minute=config.rate_limit),  # after auth: buckets follow users
    ]
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan)
    app.state.gateway = Gateway(server, config)
    app.state.auth = Auth(secrets=config.jwt_secrets, local_user=config.user)
    return app
