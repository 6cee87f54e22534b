"""The SQLite store: connection setup, extensions and forward-only migrations.

One file, opened in WAL mode so an MCP stdio server, an HTTP server and a dashboard can use
it at the same time. Writers serialise on SQLite's lock; the busy timeout makes them wait
instead of failing with "database is locked".
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from importlib import resources
from pathlib import Path
from typing import Any

import sqlean as sqlite3

from .errors import StoreError
from .pathkey import path_key

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 30_000
CHECKPOINT_WAIT_MS = 500  # how long closing waits for other processes' readers
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

Connection = sqlite3.Connection
Row = sqlite3.Row
DatabaseError = sqlite3.DatabaseError


def _null(value: None) -> None:
    """None as it is (bound as NULL)."""
    return value


# The driver binds a None through its adapter protocol: with no adapter registered for None it looks
# for ``__adapt__`` / ``__conform__`` first (~1.4 µs per value, measured); a registered one is a dict
# hit. A first scan binds ~840,000 Nones (a document's empty fields). Still NULL: the same rows.
sqlite3.register_adapter(type(None), _null)


def migrations() -> list[tuple[int, str, str]]:
    """Return ``(version, filename, sql)`` for every shipped migration, in order."""
    pkg = resources.files("quicknav_mcp.migrations")
    found: list[tuple[int, str, str]] = []
    for entry in pkg.iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append((int(m.group(1)), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise StoreError(f"migrations are not numbered 1..N without gaps: {versions}")
    return found


def latest_version() -> int:
    """The schema version this code expects."""
    return len(migrations())


def _load_extensions(conn: sqlite3.Connection) -> bool:
    """Load sqlite-vec; return whether vectors are available."""
    try:
        import sqlite_vec

        conn.enable_load_extension(True)
        try:
            sqlite_vec.load(conn)
        finally:
            conn.enable_load_extension(False)
        return True
    except Exception as exc:  # the store still works for everything but vectors
        log.warning("sqlite-vec not loaded: %s", exc)
        return False


def connect(path: str | Path, *, readonly: bool = False, migrate: bool = True) -> sqlite3.Connection:
    """Open (and upgrade) the database at ``path`` with the project's pragmas.

    Raises :class:`StoreError` with a clear message when the file is not a database, is
    newer than this code, or cannot be written.
    """
    path = Path(path)
    if readonly:
        uri = f"file:{path}?mode=ro"
        target: str = uri
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create the database folder {path.parent}: {exc.strerror}") from exc
        target = str(path)
    try:
        conn = sqlite3.connect(
            target,
            uri=readonly,
            timeout=BUSY_TIMEOUT_MS / 1000,
            check_same_thread=False,
            isolation_level=None,  # autocommit; transactions are explicit (see transaction())
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    conn.row_factory = sqlite3.Row
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                log.warning("journal mode is %s, not wal", mode)
            conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute("PRAGMA cache_size = -65536")
        # No memory map: every page read through it stays resident in the process (at 116k documents,
        # +100-250 MB of RSS serving), while warm searches measured the same CPU time without it.
        conn.execute("PRAGMA mmap_size = 0")
        conn.create_function("path_key", 1, path_key, deterministic=True)
        _load_extensions(conn)
        if migrate and not readonly:
            apply_migrations(conn, path)
        else:
            check_version(conn, path)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(_explain(exc, path)) from exc
    except StoreError:
        conn.close()
        raise
    return conn


def _explain(exc: sqlite3.DatabaseError, path: Path) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return f"{path} is not a QuickNav database or is corrupt ({text}); move it aside or choose another --db"
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only ({text}); choose a writable --db"
    if "disk is full" in text:
        return f"the disk holding {path} is full ({text}); free some space"
    if "locked" in text:
        return f"{path} stayed locked by another process for {BUSY_TIMEOUT_MS // 1000}s ({text}); try again"
    if "unable to open" in text:
        return f"cannot open database {path} ({text})"
    return f"database error on {path}: {text}"


_ENVIRONMENTAL = ("readonly", "read-only", "disk i/o", "disk is full", "unable to open", "locked")


def _is_environmental(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return any(word in text for word in _ENVIRONMENTAL)


def check_version(conn: sqlite3.Connection, path: Path | str = "database") -> int:
    """Return the schema version, failing clearly when it is newer than the code."""
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    latest = latest_version()
    if version > latest:
        raise StoreError(
            f"{path} has schema version {version} but this QuickNav knows only up to {latest}; "
            "upgrade quicknav-mcp to use it"
        )
    return version


def apply_migrations(conn: sqlite3.Connection, path: Path | str = "database") -> int:
    """Apply every migration newer than the database, each in its own transaction."""
    current = check_version(conn, path)
    for version, name, sql in migrations():
        if version <= current:
            continue
        log.info("applying migration %s", name)
        # Foreign keys are off while a migration runs (a table rebuilt by copy would cascade-delete
        # its children when the old one is dropped; the pragma is a no-op inside a transaction)
        # and checked before it commits.
        conn.execute("PRAGMA foreign_keys = OFF")
        # BEGIN IMMEDIATE so two processes opening an old file at once do not both migrate.
        conn.execute("BEGIN IMMEDIATE")
        try:
            now = conn.execute("PRAGMA user_version").fetchone()[0]
            if now >= version:  # another process got there first
                conn.execute("ROLLBACK")
                continue
            for statement in _split_sql(sql):
                conn.execute(statement)
            broken = conn.execute("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise StoreError(f"migration {name} broke {len(broken)} foreign key(s), first: {tuple(broken[0])}")
            conn.execute(f"PRAGMA user_version = {version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        finally:
            conn.execute("PRAGMA foreign_keys = ON")
    return conn.execute("PRAGMA user_version").fetchone()[0]


def _split_sql(script: str) -> Iterator[str]:
    """Split a migration into statements (executescript would commit our transaction)."""
    buf: list[str] = []
    for line in script.splitlines(keepends=True):
        buf.append(line)
        candidate = "".join(buf)
        if candidate.rstrip().endswith(";") and sqlite3.complete_statement(candidate):
            stmt = candidate.strip()
            if stmt and not all(ln.strip().startswith("--") or not ln.strip() for ln in stmt.splitlines()):
                yield stmt
            buf = []
    rest = "".join(buf).strip()
    if rest and not all(ln.strip().startswith("--") or not ln.strip() for ln in rest.splitlines()):
        yield rest


_SCAN_CHUNK = 4096  # rows per fetch of a whole-table read
_CLOSE_WAIT_S = 5.0  # how long close() waits for whole-table readers to notice it


class Store:
    """A thread-safe handle on one database file.

    Reads share one connection (SQLite serialises them cheaply in WAL mode); writes go
    through :meth:`transaction`, which takes the write lock up front (``BEGIN IMMEDIATE``)
    so concurrent writers queue on the busy timeout rather than deadlock.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = Path(path)
        self.readonly = readonly
        self._conn = connect(self.path, readonly=readonly)
        self._lock = threading.RLock()
        self._local_commits = 0
        self._pin = threading.local()  # generation() pinned on this thread (pinned())
        self._closed = False
        self._closing = False  # set first by close(): whole-table reads stop at their next chunk
        self._readers = 0  # whole-table reads under way (scan_reader)
        self._readers_done = threading.Condition()
        try:
            self._conn.execute("SELECT vec_version()")
            self._vec = True
        except sqlite3.OperationalError:
            self._vec = False

    @property
    def vec_available(self) -> bool:
        return self._vec

    @property
    def conn(self) -> sqlite3.Connection:
        return self._conn

    def query(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        """Run a read query and return all rows."""
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    def query_tuples(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        """Run a read query and return all rows as plain tuples (no ``sqlite3.Row`` per row: large reads)."""
        with self._lock:
            cursor = self._conn.cursor()
            cursor.row_factory = None
            return cursor.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._conn.execute(sql, params).fetchone()

    @contextmanager
    def scan_reader(self) -> Iterator[Callable[..., Iterable[Any]]]:
        """``read(sql, params=())`` for reading a whole table once (building an in-memory copy).

        It reads over a read-only connection of its own with a small page cache, so those pages
        do not stay resident in this process and the store's lock is not held while it reads;
        rows come from the cursor in chunks. A database no second connection can open (in-memory)
        is read through the store.
        """
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self.path, readonly=True)
            conn.execute("PRAGMA cache_size = -2048")
        except Exception as exc:
            log.debug("whole-table read goes through the store's connection: %s", exc)
            if conn is not None:
                conn.close()
            conn = None
        if conn is None:
            yield lambda sql, params=(): iter(self.query(sql, params))
            return
        own = conn

        def read(sql: str, params: Any = ()) -> Iterator[Any]:
            cursor = own.execute(sql, params)
            while rows := cursor.fetchmany(_SCAN_CHUNK):
                if self._closing:  # a background build must not outlive the store (nor pin the WAL)
                    raise StoreError(f"{self.path} is closing")
                yield from rows

        with self._readers_done:
            self._readers += 1
        try:
            yield read
        finally:
            conn.close()
            with self._readers_done:
                self._readers -= 1
                self._readers_done.notify_all()

    @property
    def closing(self) -> bool:
        """Whether :meth:`close` has begun (background work then stops quietly)."""
        return self._closing

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction; commits on success, rolls back on any error."""
        if self.readonly:
            raise StoreError(f"{self.path} is opened read-only")
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                raise StoreError(_explain(exc, self.path)) from exc
            began = self._conn.total_changes
            try:
                yield self._conn
            except sqlite3.OperationalError as exc:
                self._rollback(began)
                if _is_environmental(exc):  # read-only file, full disk, I/O error: say so plainly
                    raise StoreError(_explain(exc, self.path)) from exc
                raise
            except BaseException:
                self._rollback(began)
                raise
            else:
                try:
                    self._conn.execute("COMMIT")
                except sqlite3.DatabaseError as exc:
                    self._rollback(began)
                    raise StoreError(_explain(exc, self.path)) from exc
                self._local_commits += 1

    def _rollback(self, began: int) -> None:
        # A failed COMMIT or an I/O error may already have ended the transaction.
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")
        # total_changes does not go back on a rollback: when rows were changed, move the generation
        # so a cache filled inside the transaction is not taken as current afterwards.
        if self._conn.total_changes != began:
            self._local_commits += 1

    def generation(self) -> tuple[int, int, int]:
        """A value that changes whenever any process commits to the database.

        ``PRAGMA data_version`` moves on commits by other connections; our own commits are
        counted locally, and every row our connection changes (``total_changes``, a write outside
        :meth:`transaction` too). Caches compare it to know when to reload. Inside :meth:`pinned`
        the value read when it began (until this store commits again).
        """
        pin = getattr(self._pin, "generation", None)
        if pin is not None and pin[1] == self._local_commits and pin[2] == self._conn.total_changes:
            return pin
        with self._lock:
            other = self._conn.execute("PRAGMA data_version").fetchone()[0]
            return (other, self._local_commits, self._conn.total_changes)

    @contextmanager
    def pinned(self) -> Iterator[tuple[int, int, int]]:
        """:meth:`generation` read once for everything inside on this thread (a search asks it
        several times, each a statement): another process's commit meanwhile is seen by the
        next request, this store's own at once."""
        if getattr(self._pin, "generation", None) is not None:  # an outer pin holds
            yield self.generation()
            return
        self._pin.generation = generation = self.generation()
        try:
            yield generation
        finally:
            self._pin.generation = None

    def close(self) -> None:
        """Checkpoint the WAL into the database file, then close.

        The checkpoint leaves a self-contained file behind (copies and backups need no
        ``-wal``) and keeps the log from growing across runs. It is best effort: a reader in
        another process makes it partial, which is harmless, and it never waits long for one.
        """
        self._closing = True
        with self._readers_done:  # background builds reading whole tables stop at their next chunk
            self._readers_done.wait_for(lambda: self._readers == 0, timeout=_CLOSE_WAIT_S)
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                if not self.readonly:
                    self.checkpoint()
            finally:
                self._conn.close()

    def checkpoint(self, *, wait_ms: int = CHECKPOINT_WAIT_MS) -> bool:
        """``PRAGMA wal_checkpoint(TRUNCATE)``; return whether the whole log was written back."""
        with self._lock:
            if self._conn.in_transaction:
                return False
            try:
                # TRUNCATE waits on the busy handler for other processes' readers: bound that wait.
                self._conn.execute(f"PRAGMA busy_timeout = {int(wait_ms)}")
                busy, _log, _done = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            except sqlite3.Error as exc:
                log.warning("WAL checkpoint of %s failed: %s", self.path, exc)
                return False
            finally:
                with suppress(sqlite3.Error):
                    self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if busy:
                log.info("WAL checkpoint of %s is partial: another connection is reading", self.path)
            return not busy
