"""Rate limiting: a token bucket per (user or client address, route group).

``QUICKNAV_RATE_LIMIT`` requests per minute refill each bucket evenly; a bucket holds at most
``burst`` tokens (one minute's worth by default), so a client may burst after a quiet spell but
not sustain more than the rate. An empty bucket answers 429 with ``Retry-After`` (whole seconds
until a token is back) and the error model. 0 turns limiting off. The health probe, metrics and
API description are never limited (monitoring must not be locked out by a busy client).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import error_body

DEFAULT_PER_MINUTE = 1200  # as Config.rate_limit: 20/s per user and group, far above one GUI, below a runaway loop
MAX_BUCKETS = 10_000  # idle buckets beyond this are forgotten (a forgotten bucket is a full one)
EXEMPT = ("/health", "/metrics", "/openapi.json", "/docs")


def route_group(path: str) -> str:
    """The group a path counts against: ``/api/v1/<group>``, ``/legacy``, ``/mcp``, ``/ws``, ..."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 3 and parts[0] == "api":
        return f"api/{parts[2]}"
    return parts[0] if parts else "root"


class TokenBuckets:
    """The buckets, keyed by any string; thread-safe, clock injectable."""

    def __init__(
        self, per_minute: int, *, burst: int | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if per_minute < 0:
            raise ValueError("per_minute must be >= 0 (0 turns limiting off)")
        self.per_minute = per_minute
        self.rate = per_minute / 60.0  # tokens per second
        self.burst = float(burst if burst is not None else max(1, per_minute))
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self.limited = 0

    @property
    def enabled(self) -> bool:
        return self.per_minute > 0

    def take(self, key: str) -> float:
        """Take one token: 0.0 when allowed, else the seconds until one is available."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                wait = 0.0
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
                self.limited += 1
            self._buckets[key] = (tokens, now)  # most recent last: the oldest are evicted first
            while len(self._buckets) > MAX_BUCKETS:
                self._buckets.popitem(last=False)
            return wait


def _caller(scope: Scope) -> str:
    principal = scope.get("state", {}).get("principal")
    user = getattr(principal, "user", None)
    if user and getattr(principal, "authenticated", False):
        return f"user:{user}"
    client = scope.get("client")
    return f"addr:{client[0]}" if client else "addr:unknown"


class RateLimitMiddleware:
    """ASGI middleware; place it after authentication so buckets follow users, not addresses."""

    def __init__(
        self,
        app: ASGIApp,
        per_minute: int = DEFAULT_PER_MINUTE,
        *,
        burst: int | None = None,
        buckets: TokenBuckets | None = None,
    ) -> None:
        self.app = app
        self.buckets: TokenBuckets = buckets if buckets is not None else TokenBuckets(per_minute, burst=burst)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not self.buckets.enabled:
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        if any(path == p or path.startswith(p + "/") for p in EXEMPT):
            await self.app(scope, receive, send)
            return
        group = route_group(path)
        wait = self.buckets.take(f"{_caller(scope)}|{group}")
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        retry = max(1, math.ceil(wait))
        request_id = scope.get("state", {}).get("request_id")
        body = error_body(
            request_id,
            "rate_limited",
            f"too many requests to {group}: the limit is {self.buckets.per_minute} per minute; retry in {retry} s",
            {"limit_per_minute": self.buckets.per_minute, "group": group, "retry_after_s": retry},
        )
        if scope["type"] == "websocket":
            # A refused handshake: close before accepting (the client sees HTTP 403 / close 1008).
            await send({"type": "websocket.close", "code": 1008, "reason": "rate limited"})
            return
        await JSONResponse(body, status_code=429, headers={"Retry-After": str(retry)})(scope, receive, send)
