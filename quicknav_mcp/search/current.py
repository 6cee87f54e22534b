"""Which candidate is the current document of its series, with the domain's rule, cached."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Mapping

from ..domain import current_by_series
from ..repo import DocumentRepo, DocumentRow
from ..repo.documents import DocumentFacts
from .versions import Versions

CURRENT_CACHE_MAX = 400_000  # (project, series) -> current document id entries kept


class CurrentRevisions:
    """The current document of each (project, series), cached until the ``documents`` change
    counter moves (any insert, update or delete of a document)."""

    def __init__(self, rows: DocumentRepo, versions: Versions) -> None:
        self.rows = rows
        self.versions = versions
        self._lock = threading.Lock()
        self._version: object = None
        self._current: dict[tuple[int, str], int] = {}

    def mark(self, docs: Mapping[int, DocumentRow] | Mapping[int, DocumentFacts]) -> None:
        """Set ``is_current`` with the domain's rule over each candidate's whole series.

        Only series not seen since the counter last moved are read, with their peers fetched by
        (project, series) pairs through the series index."""
        if not docs:
            return
        version = self.versions.get("documents")
        with self._lock:
            if version != self._version:
                self._current = {}
                self._version = version
            cache = self._current
            pairs = {(d.project_id, d.series_key) for d in docs.values()}
            missing = [key for key in pairs if key not in cache]
        found = self.current_of(missing) if missing else {}
        if found:
            with self._lock:
                if self._current is cache:
                    if len(cache) + len(found) > CURRENT_CACHE_MAX:
                        cache.clear()
                    cache.update(found)
        for d in docs.values():
            key = (d.project_id, d.series_key)
            d.is_current = found.get(key, cache.get(key)) == d.id

    def warm(self, pairs: list[tuple[int, str]], between: Callable[[], None] = lambda: None, chunk: int = 250) -> None:
        """Work out the current document of these series before searches ask (the candidate table
        calls it after its first build, on its thread): a cold series costs a search ~1.5 ms at 116k.
        In chunks, so the peers read at a time stay few; ``between`` is called before each (the
        build's checkpoint)."""
        version = self.versions.get("documents")
        found: dict[tuple[int, str], int] = {}
        for start in range(0, min(len(pairs), CURRENT_CACHE_MAX), chunk):
            between()
            found.update(self.current_of(pairs[start : start + chunk]))
        if self.versions.get("documents") != version:
            return  # the documents moved meanwhile: these answers may be stale
        with self._lock:
            if self._version != version:
                self._current = {}
                self._version = version
            if len(self._current) + len(found) <= CURRENT_CACHE_MAX:
                self._current.update(found)

    def current_of(self, pairs: list[tuple[int, str]]) -> dict[tuple[int, str], int]:
        """The current document id of each (project, series) pair (0 when all are archived)."""
        peers: dict[tuple[int, str], list[DocumentRow]] = defaultdict(list)
        for d in self.rows.series_peers(pairs):
            peers[(d.project_id, d.series_key)].append(d)
        out = dict.fromkeys(pairs, 0)
        for key, group in peers.items():
            best = current_by_series(group)
            if best:
                out[key] = best[0].id
        return out

    def clear(self) -> None:
        with self._lock:
            self._current = {}
            self._version = None
