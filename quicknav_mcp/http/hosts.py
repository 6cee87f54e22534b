"""DNS-rebinding defence and CORS.

A web page the user visits can make their browser send requests to ``127.0.0.1`` (directly, or
through a DNS name that rebinds to it). The ``Host`` header gives the first away (it names the
attacker's domain), the ``Origin`` header the second. Both are checked on ``/api``, ``/mcp``,
``/ws`` and ``/legacy``: Host must be loopback or in ``QUICKNAV_ALLOWED_HOSTS`` (else 421), and a
present Origin must be a loopback origin or in ``QUICKNAV_CORS_ORIGINS`` (else 403). Only those
origins get CORS headers.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import ConfigError
from .errors import error_body

if TYPE_CHECKING:
    from ..config import Config

log = logging.getLogger(__name__)

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
CHECKED_PREFIXES = ("/api", "/mcp", "/ws", "/legacy")
CORS_METHODS = "GET, POST, OPTIONS"
CORS_HEADERS = "Authorization, Content-Type, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID"


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, config: Config, certfile: str | None, keyfile: str | None) -> dict[str, str] | None:
    """Refuse to serve beyond loopback without a JWT secret; warn without TLS. Returns uvicorn's TLS settings."""
    if not is_loopback(host) and not config.jwt_secrets:
        raise ConfigError(
            f"refusing to serve on {host} without authentication: set QUICKNAV_JWT_SECRET (32+ characters), "
            "or serve on 127.0.0.1"
        )
    if bool(certfile) != bool(keyfile):
        raise ConfigError("--ssl-certfile and --ssl-keyfile go together")
    for path in (certfile, keyfile):
        if path and not Path(path).is_file():
            raise ConfigError(f"TLS file not found: {path}")
    if not is_loopback(host) and not certfile:
        log.warning("serving on %s without TLS: tokens and data cross the network in clear", host)
    return {"ssl_certfile": certfile, "ssl_keyfile": keyfile} if certfile and keyfile else None


def host_name(value: str) -> str | None:
    """The host part of a ``Host`` header (no port, no IPv6 brackets, lower case), or ``None`` if malformed."""
    value = value.strip().lower()
    if not value:
        return None
    parts = urlsplit("//" + value)
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        return None
    return parts.hostname


class HostGuard:
    """Checks Host and Origin (see the module docstring) and answers CORS for the configured origins."""

    def __init__(self, app: ASGIApp, allowed_hosts: Iterable[str] = (), cors_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.hosts = LOOPBACK | {h.strip().lower() for h in allowed_hosts if h.strip()}
        self.cors = frozenset(o.strip().rstrip("/").lower() for o in cors_origins if o.strip())

    def origin_allowed(self, origin: str) -> bool:
        origin = origin.rstrip("/").lower()
        if origin in self.cors:
            return True
        parts = urlsplit(origin)
        return parts.scheme in ("http", "https") and parts.hostname in LOOPBACK

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not scope["path"].startswith(CHECKED_PREFIXES):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        host = host_name(headers.get("host", ""))
        if host is None:
            await self._refuse(scope, receive, send, 400, "bad_host", "the Host header is missing or malformed")
            return
        if host not in self.hosts:
            message = f"host {host!r} is not served here (set QUICKNAV_ALLOWED_HOSTS to allow it)"
            await self._refuse(scope, receive, send, 421, "host_not_allowed", message)
            return
        origin = headers.get("origin")
        if origin is not None and not self.origin_allowed(origin):
            message = f"origin {origin[:100]!r} may not call this server (set QUICKNAV_CORS_ORIGINS to allow it)"
            await self._refuse(scope, receive, send, 403, "origin_not_allowed", message)
            return
        if origin is None or scope["type"] != "http" or origin.rstrip("/").lower() not in self.cors:
            await self.app(scope, receive, send)
            return
        if scope["method"] == "OPTIONS" and "access-control-request-method" in headers:
            await JSONResponse(None, status_code=204, headers=self._cors_headers(origin, preflight=True))(
                scope, receive, send
            )
            return
        cors = self._cors_headers(origin)

        async def send_with_cors(message: dict) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *((k.lower().encode(), v.encode()) for k, v in cors.items())]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    def _cors_headers(self, origin: str, *, preflight: bool = False) -> dict[str, str]:
        headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin", "Access-Control-Expose-Headers": "*"}
        if preflight:
            headers |= {
                "Access-Control-Allow-Methods": CORS_METHODS,
                "Access-Control-Allow-Headers": CORS_HEADERS,
                "Access-Control-Max-Age": "600",
            }
        return headers

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int, code: str, message: str) -> None:
        body = error_body(scope.get("state", {}).get("request_id"), code, message)
        if scope["type"] == "websocket":
            # Refused before the handshake: Starlette turns a response before accept into an HTTP 403.
            from starlette.websockets import WebSocketClose

            await WebSocketClose(code=1008, reason=message[:120])(scope, receive, send)
            return
        await JSONResponse(body, status_code=status)(scope, receive, send)
