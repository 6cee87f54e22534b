"""Change counters of what search caches are built from (migration 0004, ``search_versions``).

Triggers bump ``documents``, ``content``, ``projects`` and ``embeddings`` whenever those tables
change. Caches compare them instead of :meth:`Store.generation`, which moves on every commit by
anyone, including the analytics events written after every search; keyed on the generation, a
cache would be rebuilt all the time on a busy server. On a database without the table (an older
schema opened read-only) the generation is used, as before.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ..store import DatabaseError, Store

KINDS = ("documents", "content", "projects", "embeddings")


class Versions:
    """Reads the counters (one indexed point query, ~20 µs)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._supported = False
        self._pins = threading.local()
        self._held: tuple[object, dict[str, int]] | None = None  # the store generation they were read at

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Read the counters once for everything inside (one search asks 5-15 times), and the
        store's generation with them (projects and suggestions ask it too)."""
        outer = getattr(self._pins, "rows", None)
        if outer is not None:
            yield
            return
        with self.store.pinned():
            self._pins.rows = self._read()
            try:
                yield
            finally:
                self._pins.rows = None

    def _read(self) -> dict[str, int] | None:
        """The counters; read again only when the store's generation moved (a statement cheaper
        than reading the table) or inside a write transaction of this store's."""
        if not self._check():
            return None
        generation = self.store.generation()  # first: a commit after it moves it again
        held = self._held
        if held is not None and held[0] == generation:
            return held[1]
        try:
            rows = dict(self.store.query("SELECT name, n FROM search_versions"))
        except DatabaseError:  # pragma: no cover - the table vanished under us
            self._supported = False
            return None
        if not self.store.conn.in_transaction:  # (uncommitted counters may yet be rolled back)
            self._held = (generation, rows)
        return rows

    def _check(self) -> bool:
        if not self._supported:
            row = self.store.query_one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'search_versions'")
            self._supported = row is not None
        return self._supported

    def get(self, *names: str) -> tuple[object, ...]:
        """The counters named (all of them when none are), or the store generation on old schemas."""
        rows = getattr(self._pins, "rows", None)
        if rows is None:
            rows = self._read()
        if rows is None:
            return ("generation", self.store.generation())
        return tuple([rows.get(n, 0) for n in names or KINDS])  # (a list first: ~2x a generator's tuple)

    def columns(self, *names: str) -> str | None:
        """SQL expressions that read the counters ``names`` inside another statement, so their values
        are those of the very read that statement's rows come from (compared as :meth:`get` gives
        them); None on schemas without the counters."""
        if not self._check():
            return None
        unknown = set(names) - set(KINDS)
        if unknown:
            raise ValueError(f"no change counter {sorted(unknown)}")
        return ", ".join(f"coalesce((SELECT n FROM search_versions WHERE name = '{n}'), 0)" for n in names)
