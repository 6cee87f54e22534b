"""Marks each gateway request as foreground work while it runs (builds give way to it).

See :class:`~quicknav_mcp.search.background_build.Foreground`. WebSockets and MCP's streamable
HTTP endpoint are left out: a socket or an event stream stays open for a session, and the MCP
server marks each of its requests itself (``tools._common.ForegroundCalls``).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ..search.background_build import FOREGROUND

MCP_PATH = "/mcp"


class ForegroundMiddleware:
    """ASGI middleware: an HTTP request (MCP's endpoint apart) is a foreground call while it runs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path == MCP_PATH or path.startswith(f"{MCP_PATH}/"):
            await self.app(scope, receive, send)
            return
        with FOREGROUND.call():
            await self.app(scope, receive, send)
