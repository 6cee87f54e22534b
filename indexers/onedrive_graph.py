"""A small Microsoft Graph client for the drive delta feed: tokens, throttling, retries.

Only one request shape is needed (GET a delta page, follow ``@odata.nextLink``), so this is a thin
``httpx`` client rather than msgraph-sdk's Kiota request adapter: the adapter is async-only, imports
~40 modules, and hides the status codes the sync must act on (``410 Gone`` → full resync,
``Retry-After`` on ``429``/``503``), while an ``httpx.Client`` takes a test transport directly.
Tokens come from any object with azure-identity's ``get_token(*scopes)`` (see
:mod:`.onedrive_auth`), so msgraph-sdk's own credentials plug in unchanged.

Failure policy of :meth:`GraphClient.get_json`:

* ``429`` / ``503`` / ``502`` / ``504``: wait ``Retry-After`` seconds (capped at ``max_wait``), else
  exponential backoff; at most ``max_retries`` times, then :class:`GraphError`.
* a dropped connection or timeout: the same bounded backoff.
* ``401``: the token is dropped and fetched again once (an expired or revoked token), then
  :class:`GraphAuthError`.
* ``410``: :class:`ResyncRequired` — the delta token expired, the caller starts over.
* a body that is not a JSON object: retried twice (a truncated page is usually transient), then
  :class:`MalformedResponse`.

With a ``breaker`` (the process's :func:`graph_breaker` when syncing for real), a request that ends
in :class:`GraphUnavailable` or :class:`MalformedResponse` counts as a failure; enough in a row open
it, and later requests fail fast with :class:`~quicknav_mcp.breaker.CircuitOpen` until the
cool-down has passed (then one trial request is let through).
"""

from __future__ import annotations

import email.utils
import logging
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from quicknav_mcp.breaker import CircuitBreaker

log = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.microsoft.com/v1.0"
RETRY_STATUSES = frozenset({429, 502, 503, 504})
MALFORMED_RETRIES = 2
#: Refresh a token this many seconds before it expires.
TOKEN_MARGIN = 120
#: The process's Graph breaker: this many failed requests in a row open it for this many seconds.
BREAKER_FAILURES = 3
BREAKER_COOL_DOWN = 300.0

_breaker: CircuitBreaker | None = None


def graph_breaker() -> CircuitBreaker:
    """The one breaker per process guarding Graph (shared by the poller, ``onedrive sync`` and /health)."""
    global _breaker
    if _breaker is None:
        _breaker = CircuitBreaker("onedrive", failure_threshold=BREAKER_FAILURES, reset_timeout=BREAKER_COOL_DOWN)
    return _breaker


class GraphError(Exception):
    """A Graph request failed for good (after the allowed retries)."""


class GraphUnavailable(GraphError):
    """Graph kept throttling, failing (5xx) or dropping the connection past the allowed retries."""


class GraphAuthError(GraphError):
    """The token was refused twice, or no token could be obtained."""


class ResyncRequired(GraphError):
    """``410 Gone``: the delta link expired; the drive must be listed again from the start."""


class MalformedResponse(GraphError):
    """The body was not the JSON object Graph promises."""


class TokenCredential(Protocol):
    """What azure-identity credentials offer (``AccessToken`` has ``.token`` and ``.expires_on``)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any: ...


def graph_scope(base_url: str) -> str:
    """The ``.default`` scope of the Graph host in ``base_url`` (national clouds have their own)."""
    parts = urlsplit(base_url)
    return f"{parts.scheme}://{parts.netloc}/.default"


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds from a ``Retry-After`` header (delta seconds or an HTTP date), if any."""
    raw = response.headers.get("retry-after")
    if not raw:
        return None
    raw = raw.strip()
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class GraphClient:
    """GETs JSON from Graph with a bearer token; see the module docstring for the failure policy."""

    def __init__(
        self,
        credential: TokenCredential,
        *,
        base_url: str = DEFAULT_GRAPH_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 60.0,
        max_retries: int = 8,
        backoff: float = 1.0,
        max_wait: float = 120.0,
        sleep: Callable[[float], None] = time.sleep,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self.credential = credential
        self.breaker = breaker
        self.base_url = base_url.rstrip("/")
        self.scope = graph_scope(self.base_url)
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self.waited = 0.0  # seconds spent honouring throttling and backoff (reported by the sync)
        self.retries = 0
        self.resumed = 0  # downloads continued from a partial file
        self._token: str | None = None
        self._expires = 0.0
        self._http = httpx.Client(timeout=timeout, transport=transport, follow_redirects=True)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GraphClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        """An absolute URL: ``path`` under the base URL, or ``path`` itself when already absolute.

        A nextLink or deltaLink pointing at another host is refused: the bearer token goes only to
        the configured Graph host.
        """
        if not path.startswith(("https://", "http://")):
            return f"{self.base_url}/{path.lstrip('/')}"
        here, there = urlsplit(self.base_url), urlsplit(path)
        if (there.scheme, there.netloc) != (here.scheme, here.netloc):
            raise GraphError(f"refusing to send the token to {there.scheme}://{there.netloc} (not the Graph host)")
        return path

    def _bearer(self, *, renew: bool = False) -> str:
        if renew or self._token is None or time.time() > self._expires - TOKEN_MARGIN:
            try:
                token = self.credential.get_token(self.scope)
            except Exception as exc:  # azure-identity raises its own ClientAuthenticationError
                raise GraphAuthError(f"could not get a Graph token: {type(exc).__name__}: {exc}") from exc
            self._token = token.token
            self._expires = float(token.expires_on)
        assert self._token is not None
        return self._token

    def _pause(
        self,
        attempt: int,
        hint: float | None,
        reason: str,
        *,
        limit: int | None = None,
        error: type = GraphUnavailable,
    ) -> None:
        limit = self.max_retries if limit is None else limit
        if attempt >= limit:
            raise error(f"{reason}; gave up after {limit} retries")
        delay = hint if hint is not None else self.backoff * (2**attempt) * (0.5 + random.random() / 2)
        delay = min(delay, self.max_wait)
        log.info("graph: %s; retrying in %.1fs", reason, delay)
        self.retries += 1
        self.waited += delay
        self.sleep(delay)

    def get_json(self, path: str) -> dict[str, Any]:
        """GET ``path`` and return its JSON object (see the failure policy), through the breaker if any."""
        if self.breaker is None:
            return self._get_json(path)
        self.breaker.before()  # raises CircuitOpen while open: no request is made
        try:
            body = self._get_json(path)
        except (GraphUnavailable, MalformedResponse) as exc:
            self.breaker.failure(exc)
            raise
        except GraphError:
            self.breaker.success()  # Graph answered (410, 401, 404...): it is up, the request was the problem
            raise
        except BaseException as exc:
            self.breaker.failure(exc)
            raise
        self.breaker.success()
        return body

    def _get_json(self, path: str) -> dict[str, Any]:
        url = self.url(path)
        renewed = False
        attempt = 0
        while True:
            headers = {"Authorization": f"Bearer {self._bearer()}", "Accept": "application/json"}
            try:
                response = self._http.get(url, headers=headers)
            except httpx.TransportError as exc:
                self._pause(attempt, None, f"connection failed ({type(exc).__name__})")
                attempt += 1
                continue
            status = response.status_code
            if status == 401 and not renewed:
                log.info("graph: token refused; signing in again")
                renewed = True
                self._bearer(renew=True)
                continue
            if status == 401:
                raise GraphAuthError("Graph refused a freshly obtained token (401): check the app's permissions")
            if status == 410:
                raise ResyncRequired("the delta link expired (410 Gone)")
            if status in RETRY_STATUSES:
                self._pause(attempt, _retry_after(response), f"HTTP {status}")
                attempt += 1
                continue
            if status >= 400:
                raise GraphError(f"HTTP {status} from Graph: {_error_message(response)}")
            try:
                body = response.json()
            except ValueError:
                body = None
            if not isinstance(body, dict):
                # A truncated page is usually transient; a server that keeps sending junk is not.
                self._pause(
                    attempt,
                    None,
                    f"HTTP {status} body is not a JSON object",
                    limit=min(MALFORMED_RETRIES, self.max_retries),
                    error=MalformedResponse,
                )
                attempt += 1
                continue
            return body

    def download(self, path: str, dest: Path, max_bytes: int, *, etag: str | None = None) -> int:
        """Stream ``path`` (an item's ``/content``) into ``dest`` via ``dest.part``; returns the bytes fetched now.

        Resumable: a dropped connection keeps the ``.part`` file, and the next call for the same
        ``dest`` asks only for the rest (``Range: bytes=N-``) under ``If-Range: etag``, so a server
        whose file changed since answers with the whole new file, which replaces the part. A 206
        answer whose range or ``ETag`` does not match is refused and the file fetched from the
        start. Without an ``etag`` the part cannot be validated and is never resumed.

        Goes through the breaker like :meth:`get_json`; the redirect to the pre-authenticated
        download host is followed without the bearer token (httpx drops it across origins).
        """
        if self.breaker is not None:
            self.breaker.before()
        part = dest.with_name(dest.name + ".part")
        try:
            fetched = self._download(path, part, max_bytes, etag)
        except httpx.TransportError as exc:
            # The part stays: the next attempt resumes it.
            if self.breaker is not None:
                self.breaker.failure(exc)
            raise GraphUnavailable(f"download of {path} failed ({type(exc).__name__})") from exc
        except GraphUnavailable as exc:
            if self.breaker is not None:
                self.breaker.failure(exc)
            raise
        except BaseException:
            part.unlink(missing_ok=True)
            if self.breaker is not None:
                self.breaker.success()  # Graph answered; the item was the problem
            raise
        if self.breaker is not None:
            self.breaker.success()
        os.replace(part, dest)
        return fetched

    def _download(self, path: str, part: Path, max_bytes: int, etag: str | None) -> int:
        have = part.stat().st_size if part.exists() else 0
        if have and (not etag or have >= max_bytes):
            part.unlink()
            have = 0
        headers = {"Authorization": f"Bearer {self._bearer()}"}
        if have:
            headers |= {"Range": f"bytes={have}-", "If-Range": str(etag)}
        with self._http.stream("GET", self.url(path), headers=headers) as r:
            status = r.status_code
            stale = have and (status == 416 or (status == 206 and not _resumes(r, have, etag)))
            if not stale:
                return self._receive(r, path, part, have if status == 206 else 0, max_bytes)
        # The part no longer fits what the server has: start over (once).
        log.info("graph: the partial download of %s is stale; fetching it whole", path)
        part.unlink()
        return self._download(path, part, max_bytes, etag)

    def _receive(self, r: httpx.Response, path: str, part: Path, have: int, max_bytes: int) -> int:
        """Write a download answer into ``part`` (appending after ``have`` bytes when resuming)."""
        if r.status_code >= 400:
            error = GraphUnavailable if r.status_code in RETRY_STATUSES else GraphError
            raise error(f"HTTP {r.status_code} downloading {path}")
        if have:
            self.resumed += 1
            log.info("graph: resuming %s at byte %d", path, have)
        written, fetched = have, 0
        with part.open("ab" if have else "wb") as out:
            for chunk in r.iter_bytes():
                written += len(chunk)
                fetched += len(chunk)
                if written > max_bytes:
                    raise GraphError(f"{path} is over the {max_bytes:,}-byte download cap")
                out.write(chunk)
        return fetched


def _resumes(response: httpx.Response, have: int, etag: str | None) -> bool:
    """Whether a 206 answer continues a part of ``have`` bytes of the version ``etag``."""
    served = response.headers.get("etag")
    if served and etag and served.strip() != etag.strip():
        return False
    content_range = response.headers.get("content-range", "")  # bytes START-END/TOTAL
    unit, _, rest = content_range.partition(" ")
    start = rest.split("-", 1)[0]
    return unit == "bytes" and start.isdigit() and int(start) == have


def _error_message(response: httpx.Response) -> str:
    """Graph's ``error.code: error.message``, else the start of the body (tokens are never echoed)."""
    try:
        err = response.json().get("error") or {}
        return f"{err.get('code', '?')}: {str(err.get('message', ''))[:200]}"
    except (ValueError, AttributeError):
        return response.text[:200]


__all__ = [
    "DEFAULT_GRAPH_URL",
    "GraphAuthError",
    "GraphClient",
    "GraphError",
    "GraphUnavailable",
    "MalformedResponse",
    "ResyncRequired",
    "TokenCredential",
    "graph_breaker",
    "graph_scope",
]
