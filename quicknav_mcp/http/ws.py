"""``/ws/{user_id}``: live updates for one user over a WebSocket.

Messages are JSON objects with a ``type``:

- ``event``: every analytics event stored for that user (with its ``event_id``), as it is stored;
- ``index``: the index changed (documents / content / projects / embeddings counters moved);
- ``recommendations``: fresh project recommendations after the user's activity changed them;
- ``dashboard``: a tick with headline figures every N seconds;
- ``heartbeat``: every few seconds, so idle connections stay open through proxies.

A client sends ``{"subscribe": ["event", "dashboard"]}`` to choose (all by default) and gets
``{"type": "subscribed", ...}``. Each client has a bounded queue and its own sender task:
producers only ``put_nowait``, so a client that does not read fills its own queue and is dropped
(close code 1013) without delaying anyone else. Authentication is the HTTP one (Authorization
header, or ``?token=`` for browsers); another user's stream needs the admin claim.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import TYPE_CHECKING, Any

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from .auth import authenticate
from .errors import ApiError, error_body

if TYPE_CHECKING:
    from .edge import Edge

log = logging.getLogger(__name__)

TYPES = ("event", "index", "recommendations", "dashboard")
QUEUE_SIZE = 256  # messages waiting for one client; a full queue means the client is not reading
HEARTBEAT_SECONDS = 15.0
INDEX_POLL_SECONDS = 0.5
RECOMMEND_DEBOUNCE_SECONDS = 0.5  # a burst of activity recomputes once
QUIET_EVENT_TYPES = frozenset({"recommendation_impression"})  # showing recommendations is not new activity
CLOSE_TOO_SLOW = 1013  # "try again later"
CLOSE_POLICY = 1008


class Client:
    """One connection: its user, what it subscribed to, and its queue."""

    def __init__(self, ws: WebSocket, user: str) -> None:
        self.ws = ws
        self.user = user
        self.types: set[str] = set(TYPES)
        self.queue: asyncio.Queue[str] = asyncio.Queue(QUEUE_SIZE)
        self.dropped = False
        self.gone = asyncio.Event()  # set when the hub drops it: its handler returns
        self.sender: asyncio.Task[None] | None = None

    def offer(self, text: str) -> bool:
        """Queue a message without waiting; False when the queue is full (the client is too slow)."""
        if self.dropped:
            return False
        try:
            self.queue.put_nowait(text)
        except asyncio.QueueFull:
            return False
        return True


class Hub:
    """All WebSocket clients of one gateway, and the tasks that feed them."""

    def __init__(
        self,
        edge: Edge,
        *,
        dashboard_interval: float = 10.0,
        heartbeat: float = HEARTBEAT_SECONDS,
        index_poll: float = INDEX_POLL_SECONDS,
    ) -> None:
        self.edge = edge
        self.dashboard_interval = dashboard_interval
        self.heartbeat = heartbeat
        self.index_poll = index_poll
        self.clients: dict[str, set[Client]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._pending_reco: dict[str, asyncio.TimerHandle] = {}
        self._last_reco: dict[str, str] = {}

    # ---- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks = [
            asyncio.create_task(self._every(self.heartbeat, self._heartbeat), name="ws-heartbeat"),
            asyncio.create_task(self._watch_index(), name="ws-index"),
        ]
        if self.dashboard_interval > 0:
            self._tasks.append(asyncio.create_task(self._every(self.dashboard_interval, self._dashboard)))

    @property
    def running(self) -> bool:
        return bool(self._tasks) and all(not t.done() for t in self._tasks)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        for handle in self._pending_reco.values():
            handle.cancel()
        for client in [c for group in self.clients.values() for c in group]:
            await self._close(client, 1001, "server shutting down")

    @property
    def client_count(self) -> int:
        return sum(len(group) for group in self.clients.values())

    # ---- fan-out ---------------------------------------------------------------------------
    def publish(self, kind: str, message: dict[str, Any], users: set[str] | None = None) -> int:
        """Queue ``message`` for the clients subscribed to ``kind`` (of ``users``, or all); returns how many."""
        text = json.dumps({"type": kind, **message}, default=str, separators=(",", ":"))
        groups = self.clients.values() if users is None else [self.clients.get(u, set()) for u in users]
        sent = 0
        for group in list(groups):
            for client in list(group):
                if kind not in client.types:
                    continue
                if client.offer(text):
                    sent += 1
                else:
                    self._drop(client)
        if sent:
            self.edge.metrics.ws_messages.labels(kind).inc(sent)
        return sent

    def on_events_threadsafe(self, events: list[dict[str, Any]]) -> None:
        """The event feed's listener (called on a bus thread): hand over to the event loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.on_events, events)

    def on_events(self, events: list[dict[str, Any]]) -> None:
        active: set[str] = set()
        for event in events:
            user = event["user_id"]
            if user not in self.clients:
                continue
            self.publish("event", {"event": event, "pushed_ms": int(time.time() * 1000)}, {user})
            if event["event_type"] not in QUIET_EVENT_TYPES:
                active.add(user)
        for user in active:
            self._schedule_recommendations(user)

    def _drop(self, client: Client) -> None:
        if client.dropped:
            return
        client.dropped = True
        self.edge.metrics.ws_dropped.inc()
        log.warning("websocket client of %s dropped: %d messages unread", client.user, client.queue.qsize())
        self._forget(client)
        # Closing may wait on the slow socket itself: its own task, so the fan-out never waits.
        asyncio.get_running_loop().create_task(self._close(client, CLOSE_TOO_SLOW, "too slow: messages were dropped"))

    def _forget(self, client: Client) -> None:
        group = self.clients.get(client.user)
        if group is not None:
            group.discard(client)
            if not group:
                del self.clients[client.user]

    async def _close(self, client: Client, code: int, reason: str) -> None:
        client.dropped = True
        if client.sender is not None:
            client.sender.cancel()  # it may be blocked on the slow socket itself
        if client.ws.application_state != WebSocketState.DISCONNECTED:
            # A client that does not read may never take the close frame either: bounded wait.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(client.ws.close(code, reason), 2.0)
        client.gone.set()

    # ---- producers -------------------------------------------------------------------------
    async def _every(self, seconds: float, fn: Any) -> None:
        while True:
            await asyncio.sleep(seconds)
            try:
                await fn()
            except Exception:  # a failed tick is logged; the next one runs
                log.exception("websocket %s tick failed", getattr(fn, "__name__", "periodic"))

    async def _heartbeat(self) -> None:
        text = json.dumps({"type": "heartbeat", "ts_ms": int(time.time() * 1000)})
        for client in [c for group in self.clients.values() for c in group]:
            if not client.offer(text):
                self._drop(client)

    async def _dashboard(self) -> None:
        if not any("dashboard" in c.types for group in self.clients.values() for c in group):
            return
        dashboard = await asyncio.to_thread(self.edge.app.analytics.dashboard)
        self.publish("dashboard", {"metrics": dashboard.metrics.model_dump(), "pending": dashboard.pending_events})

    async def _watch_index(self) -> None:
        versions = self.edge.app.search.versions
        seen = await asyncio.to_thread(versions.get)
        while True:
            await asyncio.sleep(self.index_poll)
            try:
                now = await asyncio.to_thread(versions.get)
            except Exception as exc:  # the store is closing
                log.debug("index watch: %s", exc)
                continue
            if now == seen:
                continue
            kinds = ("documents", "content", "projects", "embeddings")
            changed = [k for k, a, b in zip(kinds, seen, now, strict=False) if a != b] if len(now) == 4 else ["index"]
            seen = now
            if self.clients:
                counts = await asyncio.to_thread(self._index_counts)
                self.publish("index", {"changed": changed, **counts})

    def _index_counts(self) -> dict[str, int]:
        store = self.edge.app.store
        return {
            "projects": store.query_one("SELECT count(*) FROM projects")[0],
            "documents": store.query_one("SELECT count(*) FROM documents")[0],
        }

    def _schedule_recommendations(self, user: str) -> None:
        if not any("recommendations" in c.types for c in self.clients.get(user, ())):
            return
        if user in self._pending_reco:
            return
        loop = asyncio.get_running_loop()
        self._pending_reco[user] = loop.call_later(
            RECOMMEND_DEBOUNCE_SECONDS, lambda: loop.create_task(self._recommend(user))
        )

    async def _recommend(self, user: str) -> None:
        self._pending_reco.pop(user, None)
        if user not in self.clients:
            return
        try:
            result = await asyncio.to_thread(self.edge.app.recommend.recommend_projects, user, 5)
        except Exception as exc:  # no model data yet, unknown user: nothing fresh to push
            log.info("websocket recommendations for a user failed: %s", exc)
            return
        items = [item.model_dump() for item in result.items]
        fingerprint = json.dumps([i.get("project_number") for i in items])
        if self._last_reco.get(user) == fingerprint:
            return  # unchanged: nothing fresh
        self._last_reco[user] = fingerprint
        self.publish(
            "recommendations",
            {"user_id": user, "items": items, "algorithm_used": result.algorithm_used},
            {user},
        )

    # ---- one connection --------------------------------------------------------------------
    async def serve(self, ws: WebSocket) -> None:
        user = ws.path_params["user_id"]
        try:
            who = authenticate(ws)
            if who.user != user and not who.admin:
                raise ApiError(403, "forbidden", f"{who.user!r} may not follow {user!r}'s stream without admin")
        except ApiError as exc:
            await _refuse(ws, exc)
            return
        await ws.accept()
        client = Client(ws, user)
        self.clients.setdefault(user, set()).add(client)
        client.offer(json.dumps({"type": "hello", "user_id": user, "types": sorted(client.types)}))
        client.sender = asyncio.create_task(self._send_loop(client))
        receiver = asyncio.create_task(self._receive_loop(client))
        gone = asyncio.create_task(client.gone.wait())
        try:
            await asyncio.wait([receiver, gone], return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._forget(client)
            for task in (client.sender, receiver, gone):
                task.cancel()
            for task in (client.sender, receiver, gone):
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                    await task

    async def _send_loop(self, client: Client) -> None:
        try:
            while True:
                text = await client.queue.get()
                await client.ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            self._forget(client)
            client.gone.set()

    async def _receive_loop(self, client: Client) -> None:
        while True:
            raw = await client.ws.receive_text()
            reply = self._handle(client, raw)
            if reply is not None and not client.offer(json.dumps(reply)):
                self._drop(client)
                return

    def _handle(self, client: Client, raw: str) -> dict[str, Any] | None:
        try:
            message = json.loads(raw)
        except ValueError:
            return {"type": "error", "error": "messages must be JSON objects", "error_code": "malformed_json"}
        if not isinstance(message, dict):
            return {"type": "error", "error": "messages must be JSON objects", "error_code": "malformed_json"}
        if "subscribe" in message:
            wanted = message["subscribe"]
            if not isinstance(wanted, list) or not all(isinstance(t, str) for t in wanted):
                return {"type": "error", "error": "subscribe must be a list of types", "error_code": "invalid_input"}
            unknown = sorted(set(wanted) - set(TYPES))
            if unknown:
                return {
                    "type": "error",
                    "error": f"unknown types {unknown}; types are {list(TYPES)}",
                    "error_code": "invalid_input",
                }
            client.types = set(wanted)
            return {"type": "subscribed", "types": sorted(client.types)}
        if message.get("type") == "ping":
            return {"type": "pong", "ts_ms": int(time.time() * 1000)}
        return {"type": "error", "error": 'send {"subscribe": [types]} or {"type": "ping"}', "error_code": "unknown"}


async def _refuse(ws: WebSocket, exc: ApiError) -> None:
    """Refuse the handshake: an HTTP answer with the error model when the server allows it, else close 1008."""
    from starlette.responses import JSONResponse

    if "websocket.http.response" in ws.scope.get("extensions", {}):
        body = error_body(ws.scope.get("state", {}).get("request_id"), exc.code, exc.message)
        await ws.send_denial_response(JSONResponse(body, status_code=exc.status))
    else:
        await ws.close(CLOSE_POLICY, exc.message[:120])


async def ws_endpoint(ws: WebSocket) -> None:
    edge: Edge | None = getattr(ws.app.state, "edge", None)
    if edge is None or edge.hub is None:
        await ws.close(1011, "live updates are not running")
        return
    await edge.hub.serve(ws)


websocket_route = WebSocketRoute("/ws/{user_id}", ws_endpoint, name="ws")
