"""Keeping the full-text indexes in one segment each, so a query reads one b-tree per word.

The scanner writes documents in many small transactions; FTS5 adds a segment per transaction
and merges them only now and then (``automerge``), so after indexing a firm a word's postings
sit in a dozen segments that every query walks and merges. Measured at 116k documents, merging
them (FTS5 ``optimize``, ~1 s for the documents index) made the same MATCH 2-4x cheaper
(``"stonebridge" AND ...``: 4.5 -> 1.1 ms; ``"level"``: 4.6 -> 1.5 ms). The background indexer
calls :meth:`SegmentMerger.merge` after each pass; it does nothing unless what the indexes are
built from changed since its last merge.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator

from ..errors import StoreError
from ..store import DatabaseError, Store, connect
from .versions import Versions

log = logging.getLogger(__name__)

FTS_TABLES = ("search_docs", "search_projects", "search_docs_tri", "search_projects_tri")
MIN_INTERVAL_S = 600.0
"""Seconds between merges: a merge rewrites each index (~2-3 s at 116k documents), so a watcher
reporting a change every few seconds gets one merge per interval, not one per change."""


class SegmentMerger:
    """Merges the segments of every full-text index when the documents, content or projects changed."""

    def __init__(self, store: Store, versions: Versions, *, min_interval: float = MIN_INTERVAL_S) -> None:
        self.store = store
        self.versions = versions
        self.min_interval = min_interval
        self._merged: object = None
        self._at: float | None = None  # time.monotonic() of the last merge

    def due(self) -> bool:
        """Whether what the indexes are built from changed since the last merge (one may be deferred)."""
        return not self.store.readonly and self.versions.get("documents", "content", "projects") != self._merged

    def merge(self, *, force: bool = False) -> dict[str, float]:
        """Seconds spent per index ({} when nothing changed since the last merge, the last one is
        less than ``min_interval`` seconds old, or the store is read-only)."""
        version = self.versions.get("documents", "content", "projects")
        if self.store.readonly:
            return {}
        recent = self._at is not None and time.monotonic() - self._at < self.min_interval
        if not force and (version == self._merged or recent):
            return {}
        spent: dict[str, float] = {}
        present = {r[0] for r in self.store.query("SELECT name FROM sqlite_master WHERE type = 'table'")}
        with self._writer() as write:
            for table in FTS_TABLES:
                if table not in present:
                    continue
                t0 = time.perf_counter()
                try:  # one index at a time: other writers wait ~1 s at most
                    write(f"INSERT INTO {table} ({table}) VALUES ('optimize')")
                except (DatabaseError, StoreError) as exc:  # busy or read-only: try again after the next change
                    log.warning("could not merge the %s index: %s", table, exc)
                    return spent
                spent[table] = round(time.perf_counter() - t0, 3)
        self._merged, self._at = version, time.monotonic()
        log.info("full-text indexes merged: %s", spent)
        return spent

    @contextlib.contextmanager
    def _writer(self) -> Iterator[Callable[[str], None]]:
        """``write(sql)`` in a transaction of its own on a connection of its own: a merge holds the
        write lock for seconds, and on the store's connection every search of this process would wait
        for it too (WAL readers on another connection never wait for a writer). The store's own
        transaction when no second connection opens (an in-memory database)."""
        try:
            conn = connect(self.store.path, migrate=False)
        except StoreError:
            conn = None

        def on_store(sql: str) -> None:
            with self.store.transaction() as tx:
                tx.execute(sql)

        if conn is None:
            yield on_store
            return
        own = conn

        def on_own(sql: str) -> None:
            own.execute("BEGIN IMMEDIATE")
            try:
                own.execute(sql)
            except BaseException:
                own.execute("ROLLBACK")
                raise
            own.execute("COMMIT")

        try:
            yield on_own
        finally:
            conn.close()
