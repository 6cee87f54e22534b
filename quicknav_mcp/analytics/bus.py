"""In-process publish/subscribe by topic, backed by a durable outbox table.

Publishing writes a message into ``bus_outbox`` inside the publisher's own transaction (so the
message exists exactly when the data it announces does) and then wakes the subscribers of that
topic. Each subscriber runs on its own thread with its own connection and a cursor in
``bus_cursors``; a slow or failing one delays only itself. Messages written by other processes
are picked up by polling, and a subscriber that was down resumes from its cursor.

Delivery is at-least-once. A *transactional* subscriber receives the write connection and its
cursor moves in the same transaction as its writes, which makes its effects exactly-once (the
rollups use this). A plain subscriber is called outside any transaction and must be idempotent.
A message that keeps failing is isolated, retried, then parked in ``bus_dead_letters``.

A message may say how many items it announces (payload ``n``); a subscriber with ``batch_items``
takes no more than that many per batch, so one transaction over a backlog stays short and a
writer waiting for the lock behind it (a live event) waits for one slice, not for the backlog.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..store import Connection, DatabaseError, Store, connect
from .db import Conn
from .events import now_ms

log = logging.getLogger(__name__)

MAX_FAILURES = 5  # consecutive failures of one message before it is dead-lettered
HEAD_SQL = "SELECT coalesce(max(id), 0) FROM bus_outbox"
START_MODES = frozenset({"earliest", "latest", "now"})


def subscriber_lag(db: Store | Conn) -> dict[str, int]:
    """Outbox messages each subscriber still has to handle (health and metrics read it)."""
    rows = db.query(f"SELECT subscriber, max(0, ({HEAD_SQL}) - position) FROM bus_cursors")
    return {r[0]: int(r[1]) for r in rows}


def cursor_position(db: Store | Conn, subscriber: str) -> int:
    """How far ``subscriber`` has handled the outbox (0 before its first message)."""
    row = db.query_one("SELECT position FROM bus_cursors WHERE subscriber = ?", (subscriber,))
    return int(row[0]) if row else 0


@dataclass(frozen=True, slots=True)
class Message:
    id: int
    topic: str
    payload: dict[str, Any]

    @property
    def items(self) -> int:
        """How many items the message announces (payload ``n``; 1 when it does not say)."""
        n = self.payload.get("n", 1)
        return n if isinstance(n, int) and n > 0 else 1


Handler = Callable[[Connection | None, list[Message]], None]


def _count(value: object) -> bool:
    """Whether ``value`` is a positive integer (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def publish(conn: Connection, topic: str, payload: dict[str, Any]) -> int:
    """Append a message inside the caller's write transaction; returns its outbox id.

    Call :meth:`EventBus.notify` after the commit to wake in-process subscribers at once.
    """
    cur = conn.execute(
        "INSERT INTO bus_outbox(topic, payload, created_ms) VALUES (?, ?, ?)",
        (topic, json.dumps(payload, separators=(",", ":")), now_ms()),
    )
    return int(cur.lastrowid or 0)


class _Worker:
    """One subscriber: a thread, a connection, a cursor."""

    def __init__(
        self,
        bus: EventBus,
        name: str,
        topics: frozenset[str],
        handler: Handler,
        *,
        transactional: bool,
        batch_size: int,
        batch_items: int | None,
        start: str,
        start_position: int | None,
    ) -> None:
        self.bus = bus
        self.name = name
        self.topics = topics
        self.handler = handler
        self.transactional = transactional
        self.batch_size = batch_size
        self.batch_items = batch_items
        self.start_at = start
        self.start_position = start_position  # the head when it subscribed ("latest", "now")
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.failures = 0
        self.delivered = 0
        self.ready = False  # its cursor exists: it is delivering (a read-only database keeps it idle)
        self._topic_sql = ",".join("?" * len(topics))

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name=f"bus-{self.name}", daemon=True)
        self.thread.start()

    def stop(self, timeout: float) -> None:
        self.stopping.set()
        self.wake.set()
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        try:
            conn = Conn(self.bus.path)
        except Exception:
            log.exception("bus subscriber %s cannot open the database", self.name)
            return
        try:
            while not self.stopping.is_set():
                if not self.ready:
                    try:
                        self._ensure_cursor(conn)
                        self.ready = True
                    except Exception as exc:  # e.g. a read-only database: idle, retry now and then
                        if self.failures == 0:
                            log.warning("bus subscriber %s cannot start: %s", self.name, exc)
                        self.failures += 1
                        self.stopping.wait(min(30.0, self.bus.poll_interval * 2**self.failures))
                        continue
                    self.failures = 0
                self.wake.clear()
                try:
                    n = self.step(conn)
                except Exception as exc:  # keep serving; the batch is retried
                    self._failed(conn, exc)
                    self.stopping.wait(min(5.0, 0.05 * 2**self.failures))
                    continue
                if n == 0:
                    self.wake.wait(self.bus.poll_interval)
        finally:
            conn.close()

    def _ensure_cursor(self, conn: Conn) -> None:
        with conn.write() as c:
            start = 0
            if self.start_at != "earliest":
                start = self.start_position
                if start is None:  # the head could not be read when it subscribed
                    start = c.execute(HEAD_SQL).fetchone()[0]
            # "now" moves a stored cursor too: a live-only subscriber skips what was published before;
            # forward only (another process sharing the cursor may have delivered past this start).
            keep = "DO UPDATE SET position = max(position, excluded.position), updated_ms = excluded.updated_ms"
            c.execute(
                "INSERT INTO bus_cursors(subscriber, position, updated_ms) VALUES (?, ?, ?) "
                f"ON CONFLICT(subscriber) {keep if self.start_at == 'now' else 'DO NOTHING'}",
                (self.name, start, now_ms()),
            )

    # ---- one step ------------------------------------------------------------------------
    def _fetch(self, c: Connection, position: int, limit: int) -> list[Message]:
        rows = c.execute(
            f"SELECT id, topic, payload FROM bus_outbox WHERE id > ? AND topic IN ({self._topic_sql}) "
            "ORDER BY id LIMIT ?",
            (position, *self.topics, limit),
        ).fetchall()
        return [Message(r[0], r[1], json.loads(r[2])) for r in rows]

    def _slice(self, messages: list[Message]) -> list[Message]:
        """The first messages announcing at most ``batch_items`` items (one message at least)."""
        if self.batch_items is None:
            return messages
        total = 0
        for i, m in enumerate(messages):
            total += m.items
            if total > self.batch_items and i > 0:
                return messages[:i]
        return messages

    def step(self, conn: Conn) -> int:
        """Deliver one batch; return how many messages were handled (0 when idle)."""
        head = conn.query_one(HEAD_SQL)[0]
        position = conn.query_one("SELECT position FROM bus_cursors WHERE subscriber = ?", (self.name,))
        position = position[0] if position else 0
        if head <= position:
            return 0
        limit = 1 if self.failures >= 2 else self.batch_size  # isolate a message that keeps failing
        if self.transactional:
            with conn.write() as c:
                # Re-read inside the write lock: another process may have advanced this cursor.
                row = c.execute("SELECT position FROM bus_cursors WHERE subscriber = ?", (self.name,)).fetchone()
                position = row[0]
                messages = self._slice(self._fetch(c, position, limit))
                if messages:
                    self.handler(c, messages)
                    new = messages[-1].id
                else:  # only other topics ahead: skip them
                    new = c.execute(HEAD_SQL).fetchone()[0]
                self._advance(c, max(position, new))
        else:
            with conn.read() as c:
                messages = self._slice(self._fetch(c, position, limit))
            if messages:
                self.handler(None, messages)  # outside any transaction: slowness blocks nobody
                new = messages[-1].id
            else:
                new = head
            with conn.write() as c:
                self._advance(c, new)
        self.failures = 0
        self.delivered += len(messages)
        self.bus._progress()
        return max(1, len(messages))

    def _advance(self, c: Connection, position: int) -> None:
        c.execute(
            "UPDATE bus_cursors SET position = max(position, ?), updated_ms = ?, failures = 0, last_error = NULL "
            "WHERE subscriber = ?",
            (position, now_ms(), self.name),
        )

    def _failed(self, conn: Conn, exc: Exception) -> None:
        self.failures += 1
        log.warning("bus subscriber %s failed (%d in a row): %s", self.name, self.failures, exc, exc_info=exc)
        try:
            with conn.write() as c:
                c.execute(
                    "UPDATE bus_cursors SET failures = ?, last_error = ?, updated_ms = ? WHERE subscriber = ?",
                    (self.failures, str(exc)[:500], now_ms(), self.name),
                )
                if self.failures >= MAX_FAILURES:
                    position = c.execute(
                        "SELECT position FROM bus_cursors WHERE subscriber = ?", (self.name,)
                    ).fetchone()[0]
                    poison = self._fetch(c, position, 1)
                    if poison:
                        m = poison[0]
                        c.execute(
                            "INSERT INTO bus_dead_letters(subscriber, message_id, topic, payload, error, at_ms) "
                            "VALUES (?, ?, ?, ?, ?, ?)",
                            (self.name, m.id, m.topic, json.dumps(m.payload), str(exc)[:2000], now_ms()),
                        )
                        self._advance(c, m.id)
                        log.error(
                            "bus subscriber %s parked message %d after %d failures", self.name, m.id, self.failures
                        )
                    self.failures = 0
        except Exception:
            log.exception("bus subscriber %s cannot record its failure", self.name)


class EventBus:
    """Topic-based pub/sub over the outbox of one database file."""

    def __init__(self, path: str | Path, *, poll_interval: float = 0.5, reader: Conn | None = None) -> None:
        """``reader``: a connection to the same file that :meth:`subscribe` may read the head through
        (else it opens one for the read)."""
        self.path = Path(path)
        self.poll_interval = poll_interval
        self._reader = reader
        self._workers: dict[str, _Worker] = {}
        self._started = False
        self._lock = threading.Lock()
        self._progress_cv = threading.Condition()

    def subscribe(
        self,
        name: str,
        topics: Iterable[str],
        handler: Handler,
        *,
        transactional: bool = False,
        batch_size: int = 200,
        batch_items: int | None = None,
        start: str = "earliest",
    ) -> None:
        """Register a durable subscriber.

        ``batch_size`` bounds the messages per batch, ``batch_items`` the items they announce.
        ``start`` places a new cursor: "earliest" (every message kept), "latest" (the messages
        published after this call); a stored cursor resumes, except with "now" (live-only: the
        messages published after this call, whatever it had acknowledged before; never moved back).
        """
        if start not in START_MODES:
            raise ValueError(f"start must be one of {sorted(START_MODES)}")
        # A batch of no messages would read as "only other topics ahead" and skip them all.
        if not _count(batch_size) or not (batch_items is None or _count(batch_items)):
            raise ValueError("batch_size and batch_items must be positive integers")
        # Read the head here, not when the worker thread first writes its cursor: a message
        # published in between (the thread may wait for the write lock) would be skipped.
        position = None if start == "earliest" else self._head()
        worker = _Worker(
            self,
            name,
            frozenset(topics),
            handler,
            transactional=transactional,
            batch_size=batch_size,
            batch_items=batch_items,
            start=start,
            start_position=position,
        )
        with self._lock:
            if name in self._workers:
                raise ValueError(f"subscriber {name!r} is already registered")
            self._workers[name] = worker
            if self._started:
                worker.start()

    def _head(self) -> int | None:
        """The outbox head now; None when the file cannot be read (the worker reads it later)."""
        if self._reader is not None:
            # Outside a transaction a WAL reader sees the last commit, as a new connection would.
            try:
                return int(self._reader.query_one(HEAD_SQL)[0])
            except DatabaseError:
                return None
        try:
            conn = connect(self.path, migrate=False)
        except StoreError:
            return None
        try:
            return int(conn.execute(HEAD_SQL).fetchone()[0])
        except DatabaseError:
            return None
        finally:
            conn.close()

    def start(self) -> None:
        with self._lock:
            if self._started:
                return
            self._started = True
            for worker in self._workers.values():
                worker.start()

    def stop(self, timeout: float = 5.0) -> None:
        with self._lock:
            workers = list(self._workers.values())
            self._started = False
        for worker in workers:
            worker.stop(timeout)
        with self._lock:
            self._workers = {n: w for n, w in self._workers.items() if w.thread and w.thread.is_alive()}

    def drain(self, conn: Conn, timeout: float) -> bool:
        """Let this process's delivering subscribers reach the outbox head, for at most ``timeout`` s.

        Called before :meth:`stop` so the messages published last are handled now rather than
        on the next start (their cursors would resume them: nothing is lost either way).
        """
        with self._lock:
            names = [n for n, w in self._workers.items() if w.ready and w.thread is not None and w.thread.is_alive()]
        return not names or self.wait_idle(conn, names, timeout)

    def notify(self, topics: Iterable[str]) -> None:
        """Wake the subscribers of these topics (call after committing a publish)."""
        wanted = set(topics)
        for worker in list(self._workers.values()):
            if worker.topics & wanted:
                worker.wake.set()

    def _progress(self) -> None:
        with self._progress_cv:
            self._progress_cv.notify_all()

    # ---- observation ---------------------------------------------------------------------
    def positions(self, conn: Conn) -> dict[str, int]:
        return {r[0]: r[1] for r in conn.query("SELECT subscriber, position FROM bus_cursors")}

    def wait_idle(self, conn: Conn, names: Iterable[str] | None = None, timeout: float = 30.0) -> bool:
        """Wait until the named (default: this process's) subscribers reach the current head."""
        wanted = list(names) if names is not None else list(self._workers)
        head = conn.query_one(HEAD_SQL)[0]
        deadline = time.monotonic() + timeout
        while True:
            positions = self.positions(conn)
            if all(positions.get(n, 0) >= head for n in wanted):
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            for n in wanted:
                if n in self._workers:
                    self._workers[n].wake.set()
            with self._progress_cv:
                self._progress_cv.wait(min(remaining, 0.05))

    def prune(self, conn: Conn, abandon_after_ms: int) -> int:
        """Delete the messages every subscriber is past.

        A subscriber that is behind and has not moved for ``abandon_after_ms`` (code that no
        longer runs) stops holding the outbox back; it is logged, and would need a rebuild.
        """
        with conn.write() as c:
            head = c.execute(HEAD_SQL).fetchone()[0]
            cutoff = now_ms() - abandon_after_ms
            low = head
            for name, position, updated in c.execute("SELECT subscriber, position, updated_ms FROM bus_cursors"):
                if position < head and updated < cutoff:
                    log.warning("bus subscriber %s has not moved since %s; no longer holding the outbox", name, updated)
                    continue
                low = min(low, position)
            return c.execute("DELETE FROM bus_outbox WHERE id <= ?", (low,)).rowcount
