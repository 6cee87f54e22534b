"""Vectors searched through an in-memory matrix; durable in the ``vec0`` tables of
:mod:`quicknav_mcp.repo.vectors`.

A brute-force ``vec0`` KNN over 100k x 384 floats takes ~50-60 ms on this class of machine, more
than the hybrid budget, so queries use a float32 matrix loaded from the table (incrementally, by
the state tables' ``seq``) and a BLAS matrix-vector product. float16/int8 copies would halve or
quarter the 178 MB at 116k documents, but numpy has no BLAS kernel for them (a float16 product
measured ~10x slower than float32, an int8 one ~2x, and chunked up-casting no better), so the
matrix stays float32. What it costs in memory is the matrix itself: it is filled row by row
into a preallocated array over a connection of its own without a memory map and with a small
page cache (reading 116k blobs into a list and stacking them, through the store's 256 MB map,
took the process from 55 MB to 630 MB resident and held the store's lock for the whole read).
The matrix is reloaded only when the ``embeddings`` change counter moves (see
:mod:`.versions`), not on every commit.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..repo.vectors import TABLES, table_exists
from ..store import Store, connect
from .versions import Versions

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

_FETCH = 2048  # rows per fetch while loading


class MatrixIndex:
    """An in-memory copy of one vector table for fast exact cosine KNN."""

    def __init__(self, store: Store, table: str, versions: Versions | None = None) -> None:
        self.store = store
        self.table = table
        self.versions = versions or Versions(store)
        self.state, self.key = TABLES[table]
        self._lock = threading.Lock()
        self._ids: list[int] = []
        self._pos: dict[int, int] = {}
        self._matrix: Any = None
        self._seq = -1
        self._model: str | None = None
        self._generation: object = None
        self._ids_array: Any = None

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def nbytes(self) -> int:
        """Bytes held by the matrix (what the vectors cost in memory)."""
        matrix = self._matrix
        return int(matrix.nbytes) if matrix is not None else 0

    def refresh(self, model: str) -> None:
        """Load vectors embedded since the last call (everything when the model changed or rows
        disappeared)."""
        generation = self.versions.get("embeddings")
        if generation == self._generation and model == self._model:
            return
        with self._lock:
            if generation == self._generation and model == self._model:  # another thread just loaded it
                return
            if not table_exists(self.store, self.table):
                self._set([], {}, None, -1, model, generation)
                return
            count, max_seq = self.store.query_one(
                f"SELECT count(*), coalesce(max(seq), -1) FROM {self.state} WHERE model = ?", (model,)
            )
            incremental = model == self._model and max_seq >= self._seq and self._matrix is not None
            if incremental:
                ids, pos, matrix = self._merge(model, self._seq, count)
                if len(ids) == count:
                    self._set(ids, pos, matrix, max_seq, model, generation)
                    return
            self._set([], {}, None, -1, model, None)  # drop the old matrix before building the new one
            ids, pos, matrix = self._merge(model, -1, count)
            self._set(ids, pos, matrix, max_seq, model, generation)

    @contextlib.contextmanager
    def _rows(self, model: str, since: int) -> Iterator[Iterable[tuple[int, bytes]]]:
        """``(key, blob)`` of the vectors embedded after batch ``since``, read in chunks over a
        connection of its own (no memory map, a small cache; the store's lock is not held)."""
        sql = (
            f"SELECT s.{self.key}, v.embedding FROM {self.state} s JOIN {self.table} v ON v.rowid = s.{self.key} "
            "WHERE s.model = ? AND s.seq > ?"
        )
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self.store.path, readonly=True)
            conn.execute("PRAGMA mmap_size = 0")
            conn.execute("PRAGMA cache_size = -2048")
            cursor = conn.execute(sql, (model, since))
        except Exception as exc:  # in-memory or unusual databases: read through the store
            log.debug("vector load falls back to the store's connection: %s", exc)
            if conn is not None:
                conn.close()
            conn = None
            cursor = iter(self.store.query(sql, (model, since)))
        try:
            yield _chunked(cursor) if conn is not None else cursor
        finally:
            if conn is not None:
                conn.close()

    def _merge(self, model: str, since: int, count: int) -> tuple[list[int], dict[int, int], Any]:
        import numpy as np

        ids, pos = list(self._ids), dict(self._pos)
        old = self._matrix
        dim = old.shape[1] if old is not None else None
        fresh: Any = None  # preallocated rows for new keys (count is an upper bound; trimmed after)
        n_fresh = 0
        updates: dict[int, Any] = {}
        with self._rows(model, since) as rows:
            for key, blob in rows:
                vec = np.frombuffer(blob, dtype=np.float32)
                if dim is None:
                    dim = len(vec)
                if key in pos:
                    updates[pos[key]] = vec.copy()
                    continue
                if fresh is None or n_fresh == len(fresh):
                    grow = max(1024, count - len(ids)) if fresh is None else len(fresh)
                    block = np.empty((grow, dim), dtype=np.float32)
                    if fresh is not None:
                        block[:n_fresh] = fresh[:n_fresh]
                    fresh = block
                fresh[n_fresh] = vec
                pos[key] = len(ids)
                ids.append(key)
                n_fresh += 1
        matrix = old
        if updates and matrix is not None:
            matrix = matrix.copy()
            for i, vec in updates.items():
                matrix[i] = vec
        if n_fresh:
            block = fresh[:n_fresh] if n_fresh == len(fresh) else fresh[:n_fresh].copy()
            matrix = block if matrix is None else np.vstack([matrix, block])
        return ids, pos, matrix

    def _set(self, ids: list[int], pos: dict[int, int], matrix: Any, seq: int, model: str, generation: object) -> None:
        import numpy as np

        self._ids, self._pos, self._matrix = ids, pos, matrix
        self._ids_array = np.asarray(ids, dtype=np.int64) if ids else None
        self._seq, self._model, self._generation = seq, model, generation

    def replace(self, ids: list[int], matrix: Any, model: str) -> None:
        """Hold these vectors (row ``n`` of ``matrix`` is ``ids[n]``) instead of the table's, until
        the embeddings change or another model is asked for (benchmarks, tests)."""
        pos = {i: n for n, i in enumerate(ids)}
        self._set(list(ids), pos, matrix, self._seq, model, self.versions.get("embeddings"))

    def positions(self, ids: Iterable[int]) -> Any:
        """Rows of the matrix holding ``ids`` (those that have a vector)."""
        import numpy as np

        pos = self._pos
        return np.fromiter((pos[i] for i in ids if i in pos), dtype=np.int64)

    def search(
        self, query: np.ndarray, k: int, *, allowed: Iterable[int] | None = None, min_sim: float = 0.0
    ) -> list[tuple[int, float]]:
        """``(id, cosine similarity)`` of the ``k`` nearest vectors, restricted to ``allowed`` ids."""
        import numpy as np

        matrix, ids = self._matrix, self._ids_array
        if matrix is None or ids is None or k <= 0:
            return []
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if allowed is not None:
            idx = self.positions(allowed)
            if not len(idx):
                return []
            if len(idx) * 4 < len(ids):
                sims = matrix[idx] @ q  # a small scope: gather its rows
                keys = ids[idx]
            else:  # most of the matrix: one product, then keep the scope's rows
                sims = (matrix @ q)[idx]
                keys = ids[idx]
        else:
            sims = matrix @ q
            keys = ids
        n = min(k, len(sims))
        top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
        top = top[np.argsort(-sims[top])]
        return [(int(keys[i]), float(sims[i])) for i in top if sims[i] >= min_sim]


def _chunked(cursor: sqlite3.Cursor) -> Iterator[tuple[int, bytes]]:
    while rows := cursor.fetchmany(_FETCH):
        yield from rows


def best_per_id(*hit_lists: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Merge ``(id, similarity)`` lists from several vector kinds: each id keeps its best
    similarity (a document matches by what identifies it *or* by what it says), best first."""
    best: dict[int, float] = {}
    for hits in hit_lists:
        for key, sim in hits:
            if sim > best.get(key, -2.0):
                best[key] = sim
    return sorted(best.items(), key=lambda kv: -kv[1])
