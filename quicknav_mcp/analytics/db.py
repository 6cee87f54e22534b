"""Analytics' own database connections.

Analytics never shares the store's main connection: a rollup transaction or a dashboard query
must not queue behind a re-index holding that connection's lock (and vice versa). Each worker
thread opens its own connection to the same file; WAL lets readers run beside the one writer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..errors import StoreError
from ..store import Connection, DatabaseError, connect
from . import histogram
from .events import normalise_query

_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _write_lock(path: Path) -> threading.Lock:
    """One lock per database file for this process's analytics writers.

    SQLite makes a second writer sleep-and-retry (1, 2, 5, 10… ms) while the first holds the
    lock; between threads of one process a mutex hands the lock over at once instead. Other
    processes still queue on SQLite's busy timeout.
    """
    key = str(path.resolve())
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.Lock())


class Conn:
    """One connection with its lock and explicit ``BEGIN IMMEDIATE`` write transactions."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        # The store already migrated the file; connect() only checks the version here.
        self.raw: Connection = connect(self.path, readonly=readonly)
        self.raw.create_function("an_hist_add", 2, histogram.merge_blobs, deterministic=True)
        self.raw.create_function("an_hist_sub", 2, histogram.subtract_blobs, deterministic=True)
        self.raw.create_function("an_normq", 1, normalise_query, deterministic=True)
        self.lock = threading.RLock()
        self._write_lock = _write_lock(self.path)

    def query(self, sql: str, params: Any = ()) -> list[Any]:
        with self.lock:
            return self.raw.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Any = ()) -> Any:
        with self.lock:
            return self.raw.execute(sql, params).fetchone()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A consistent snapshot for several reads (a deferred transaction)."""
        with self.lock:
            self.raw.execute("BEGIN")
            try:
                yield self.raw
            finally:
                self.raw.execute("COMMIT")

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction; commits on success, rolls back on any error."""
        with self.lock, self._write_lock:
            try:
                self.raw.execute("BEGIN IMMEDIATE")
            except DatabaseError as exc:
                raise StoreError(_explain(self.path, exc)) from exc
            try:
                yield self.raw
            except DatabaseError as exc:
                self.raw.execute("ROLLBACK")
                raise StoreError(_explain(self.path, exc)) from exc
            except BaseException:
                self.raw.execute("ROLLBACK")
                raise
            else:
                try:
                    self.raw.execute("COMMIT")
                except DatabaseError as exc:
                    self.raw.execute("ROLLBACK")
                    raise StoreError(_explain(self.path, exc)) from exc

    def close(self) -> None:
        with self.lock:
            self.raw.close()


def _explain(path: Path, exc: Exception) -> str:
    text = str(exc)
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only ({text}); analytics cannot record events"
    return f"analytics database error on {path}: {text}"


def get_meta(conn: Connection, key: str, default: int = 0) -> int:
    row = conn.execute("SELECT value FROM an_meta WHERE key = ?", (key,)).fetchone()
    return int(row[0]) if row else default


def set_meta(conn: Connection, key: str, value: int) -> None:
    conn.execute(
        "INSERT INTO an_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, str(value)),
    )


def get_text(conn: Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM an_meta WHERE key = ?", (key,)).fetchone()
    return str(row[0]) if row else None


def set_text(conn: Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO an_meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
