"""One JSON log line per request on stderr: route, status, milliseconds, hashed user, request id.

The id comes from an ``X-Request-ID`` header when a client sends a sane one, else it is made
here; it is echoed in the response header and in every error body, so a user can quote it.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..logs import user_hash

log = logging.getLogger("quicknav_mcp.http.access")

_CLIENT_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def route_of(scope: Scope) -> str:
    """The matched route's template (``/api/v1/projects/{number}``), else the raw path."""
    route = scope.get("route")
    return getattr(route, "path", None) or scope.get("path", "")


class RequestLog:
    """Outermost middleware: gives each request its id and logs it when the response has started."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _CLIENT_ID.match(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        finally:
            principal = scope.get("state", {}).get("principal")
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "route": route_of(scope),
                    "path": scope["path"],
                    "status": status,
                    "ms": round((time.perf_counter() - started) * 1000, 2),
                    "user": user_hash(principal.user) if principal is not None else None,
                    "request_id": request_id,
                },
            )
