"""A real uvicorn server on 127.0.0.1 (random port) around the gateway's edge pieces, for their tests.

The app holds only what these tests exercise (health, metrics, WebSocket, rate limit, one echo
route) over a real :class:`~quicknav_mcp.app.App`, so they do not depend on the REST routes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from quicknav_mcp.app import App
from quicknav_mcp.http.auth import Auth, AuthMiddleware
from quicknav_mcp.http.edge import Edge
from quicknav_mcp.http.health import health_route
from quicknav_mcp.http.metrics import MetricsMiddleware, metrics_route
from quicknav_mcp.http.ratelimit import RateLimitMiddleware
from quicknav_mcp.http.ws import websocket_route

SECRET = "s" * 40


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"path": request.url.path, "user": request.state.principal.user})


def edge_app(
    qn: App,
    *,
    secrets: tuple[str, ...] = (),
    rate_limit: int = 0,
    burst: int | None = None,
    hub: dict[str, Any] | None = None,
) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        edge = Edge.open(qn)
        for name, value in (hub or {}).items():
            setattr(edge.hub, name, value)
        app.state.edge = edge
        await edge.start()
        try:
            yield
        finally:
            await edge.close()

    routes = [
        health_route,
        metrics_route,
        websocket_route,
        Route("/api/v1/projects/{number}", echo),
        Route("/api/v1/search/x", echo),
    ]
    middleware = [
        Middleware(MetricsMiddleware),
        Middleware(AuthMiddleware),
        Middleware(RateLimitMiddleware, per_minute=rate_limit, burst=burst),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.auth = Auth(secrets=secrets, local_user=qn.config.user)
    return app


@contextmanager
def serve(app: Starlette) -> Iterator[str]:
    """Run ``app`` under uvicorn in a thread; yields its base URL (``http://127.0.0.1:PORT``)."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on", ws="websockets-sansio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)


def wait_for(predicate: Any, timeout: float = 10.0) -> bool:
    """Poll ``predicate`` until true or ``timeout`` s pass; its last value."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
