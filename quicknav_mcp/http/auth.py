"""JWT bearer auth (HS256): who is calling, and whether they may read another user's data.

``QUICKNAV_JWT_SECRET`` may hold several comma-separated secrets: the first signs new tokens and
every one verifies, so a secret is rotated by putting the new one first and dropping the old one
once its tokens have expired. Without a secret the gateway serves loopback only and every caller
is the configured user with admin rights (one person on their own machine).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jwt
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from .errors import ApiError, error_body

ALGORITHM = "HS256"
MIN_SECRET_CHARS = 32  # HS256 with a short secret can be brute-forced offline from one token
# Paths anyone may read: the health probe, and the API's description (it holds no data).
PUBLIC_PATHS = ("/health", "/openapi.json", "/docs")


@dataclass(frozen=True)
class Principal:
    """The caller: the token's ``sub`` (or the configured user without auth) and its admin claim."""

    user: str
    admin: bool = False
    authenticated: bool = False


@dataclass(frozen=True)
class Auth:
    """The secrets (first signs, all verify) and the user a request without auth acts as."""

    secrets: tuple[str, ...]
    local_user: str

    @property
    def enabled(self) -> bool:
        return bool(self.secrets)

    def verify(self, token: str) -> Principal:
        """The token's principal, or :class:`ApiError` 401 saying why it is refused."""
        for secret in self.secrets:
            try:
                claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
            except jwt.ExpiredSignatureError:
                raise ApiError(401, "token_expired", "the bearer token has expired") from None
            except jwt.InvalidSignatureError:
                continue  # signed with another of the secrets, perhaps
            except jwt.PyJWTError as exc:
                raise ApiError(401, "invalid_token", f"the bearer token is invalid: {exc}") from None
            return _principal(claims)
        raise ApiError(401, "invalid_token", "the bearer token's signature does not verify")


def _principal(claims: dict[str, Any]) -> Principal:
    user = claims.get("sub")
    if not isinstance(user, str) or not user.strip() or len(user) > 128:
        raise ApiError(401, "invalid_token", "the bearer token's sub must name a user (at most 128 characters)")
    return Principal(user=user, admin=claims.get("admin") is True, authenticated=True)


def mint(secret: str, user: str, *, days: float, admin: bool = False, now: float | None = None) -> str:
    """A token for ``user`` valid ``days`` days, signed with ``secret`` (the first configured one)."""
    issued = int(time.time() if now is None else now)
    claims: dict[str, Any] = {"sub": user, "iat": issued, "exp": issued + int(days * 86400)}
    if admin:
        claims["admin"] = True
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def bearer(conn: HTTPConnection) -> str | None:
    """The token from ``Authorization: Bearer``, or the ``token`` query parameter (browsers' WebSockets)."""
    header = conn.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return conn.query_params.get("token") or None


def authenticate(conn: HTTPConnection) -> Principal:
    """The caller of a request or WebSocket; :class:`ApiError` 401 when auth is on and the token fails."""
    auth: Auth = conn.app.state.auth
    if not auth.enabled:
        return Principal(user=auth.local_user, admin=True)
    token = bearer(conn)
    if token is None:
        raise ApiError(401, "missing_token", "this server needs Authorization: Bearer <token> (see `quicknav token`)")
    return auth.verify(token)


def principal(conn: HTTPConnection) -> Principal:
    """The principal the middleware put on the request (or authenticate now: routes outside it)."""
    found = conn.scope.get("state", {}).get("principal")
    return found if isinstance(found, Principal) else authenticate(conn)


def user_for(conn: HTTPConnection, requested: str | None) -> str:
    """The user a request acts for: the caller by default; another user only with the admin claim (else 403)."""
    who = principal(conn)
    if requested is None or requested == who.user:
        return who.user
    if not who.admin:
        raise ApiError(403, "forbidden", f"{who.user!r} may not read or write {requested!r}'s data without admin")
    return requested


def parse_secrets(text: str | Sequence[str]) -> tuple[str, ...]:
    parts = text.split(",") if isinstance(text, str) else list(text)
    return tuple(p.strip() for p in parts if p.strip())


class AuthMiddleware:
    """Authenticates every HTTP request outside :data:`PUBLIC_PATHS` and keeps its principal in the scope.

    WebSockets authenticate in their own handler (a refused handshake needs a close code there).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _public(scope["path"]):
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        try:
            scope.setdefault("state", {})["principal"] = authenticate(conn)
        except ApiError as exc:
            from starlette.responses import JSONResponse

            body = error_body(scope.get("state", {}).get("request_id"), exc.code, exc.message)
            headers = {"WWW-Authenticate": 'Bearer realm="quicknav"'}
            await JSONResponse(body, status_code=exc.status, headers=headers)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _public(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PUBLIC_PATHS)
