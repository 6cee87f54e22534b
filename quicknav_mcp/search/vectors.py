"""Vectors searched through an in-memory matrix; durable in the ``vec0`` tables of
:mod:`quicknav_mcp.repo.vectors`.

A brute-force ``vec0`` KNN over 100k x 384 floats takes ~50-60 ms on this class of machine, more
than the hybrid budget, so queries use a matrix loaded from the table (incrementally, by the
state tables' ``seq``) and one matrix-vector product. The matrix holds each coordinate of the
unit vectors as an int16 step of 1/32767 (85 MB instead of 170 MB at 116k documents; error
< 1.6e-5 per coordinate, similarities as close to float32's as float16 gives them): numpy converts
int16 to float32 ~5x faster than float16 and BLAS multiplies the converted block, so no torch is
needed (float16 via torch was the format before; torch's import alone cost ~145 MB). It is filled
row by row into a preallocated array over a connection of
its own without a memory map and with a small page cache (reading 116k blobs into a list and
stacking them, through the store's 256 MB map, took the process from 55 MB to 630 MB resident
and held the store's lock for the whole read). The matrix is reloaded only when the
``embeddings`` change counter moves (see :mod:`.versions`), not on every commit.

From :data:`~.vector_index.EXACT_BELOW` rows on, a firm-wide search scores every row on a
quarter of its coordinates (principal directions; :mod:`.vector_index`, built on a thread from
the loaded matrix) and only the best few thousand on the whole vector. Until that index is
ready, and for searches within a list of ids, the product is exact.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..repo.vectors import TABLES, table_exists
from ..store import Store
from .background_build import BackgroundBuild
from .versions import Versions

if TYPE_CHECKING:
    import numpy as np

    from .vector_index import Shortlist

# vector_index imports numpy: loaded on first use, so listing the tools imports no numerical library.

log = logging.getLogger(__name__)

HALF_PRECISION = True  # two bytes per coordinate (int16 steps, see vector_index.FIXED_SCALE); False: float32


def matrix_dtype() -> str:
    return "int16" if HALF_PRECISION else "float32"


def scores(matrix: Any, q: Any, rows: Any = None) -> Any:
    """Cosine similarities (float32 numpy) of every row of ``matrix`` (or of its ``rows``) with the
    unit vector ``q``."""
    from .vector_index import product

    return product(matrix, q, rows)


class MatrixIndex:
    """An in-memory copy of one vector table for fast exact cosine KNN.

    Row ``n`` of the matrix is the vector of ``ids[n]``; ids are found through a sorted copy
    (numpy arrays, not a dict of Python ints: ~10 MB less at 116k documents)."""

    def __init__(self, store: Store, table: str, versions: Versions | None = None) -> None:
        self.store = store
        self.table = table
        self.versions = versions or Versions(store)
        self.state, self.key = TABLES[table]
        self._lock = threading.RLock()  # re-entered when an index is built where it is asked for
        self._matrix: Any = None
        self._ids_array: Any = None  # int64, row order
        self._sorted: Any = None  # ids ascending
        self._sorted_rows: Any = None  # the matrix row of each of _sorted
        self._seq = -1
        self._model: str | None = None
        self._generation: object = None
        # What a search reads, swapped as one tuple so it never sees a matrix with another's index.
        self._view: tuple[Any, Any, Shortlist | None] = (None, None, None)
        self._builds = BackgroundBuild(f"vectors-{table}", f"vector index of {table}")
        self._basis_next: Any = None  # the directions the next index build starts from (None: found anew)
        self._retrain = False  # new directions were asked for: the next build finds them (not _basis_next)
        self.approximate = True  # False: always the exact product (benchmarks, tests)

    def __len__(self) -> int:
        return 0 if self._ids_array is None else len(self._ids_array)

    @property
    def nbytes(self) -> int:
        """Bytes held by the matrix and its ids (what the vectors cost in memory)."""
        held = (self._matrix, self._ids_array, self._sorted, self._sorted_rows)
        return sum(int(a.nbytes) for a in held if a is not None)

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
                self._set(None, None, -1, model, generation)
                return
            count, max_seq = self.store.query_one(
                f"SELECT count(*), coalesce(max(seq), -1) FROM {self.state} WHERE model = ?", (model,)
            )
            incremental = model == self._model and max_seq >= self._seq and self._matrix is not None
            if incremental:
                ids, matrix, changed = self._merge(model, self._seq, count)
                if len(ids) == count:
                    self._set(ids, matrix, max_seq, model, generation, changed=changed)
                    return
            basis = self._basis(model)
            self._set(None, None, -1, model, None)  # drop the old matrix before building the new one
            ids, matrix, _ = self._merge(model, -1, count)
            self._set(ids, matrix, max_seq, model, generation, basis=basis)

    @contextlib.contextmanager
    def _rows(self, model: str, since: int) -> Iterator[Iterable[tuple[int, bytes]]]:
        """``(key, blob)`` of the vectors embedded after batch ``since``, read in chunks over a
        connection of its own (no memory map, a small cache; the store's lock is not held)."""
        sql = (
            f"SELECT s.{self.key}, v.embedding FROM {self.state} s JOIN {self.table} v ON v.rowid = s.{self.key} "
            "WHERE s.model = ? AND s.seq > ?"
        )
        with self.store.scan_reader() as read:
            yield read(sql, (model, since))

    def _merge(self, model: str, since: int, count: int) -> tuple[Any, Any, Any]:
        """The ids and matrix after adding the rows embedded since batch ``since`` (new ids are
        appended, re-embedded ones replaced), and the rows that changed (replaced or new)."""
        import numpy as np

        from .vector_index import to_storage

        old = self._matrix
        n_old = len(self)
        keys: list[int] = []
        block: Any = None
        staged: Any = None  # float32 rows read since the last conversion into the block's type
        filled = 0

        def flush() -> None:
            block[filled : len(keys)] = to_storage(staged[: len(keys) - filled], block.dtype)

        with self._rows(model, since) as rows:
            for key, blob in rows:
                vec = np.frombuffer(blob, dtype=np.float32)
                if block is None:
                    size = max(1024, count - n_old) if since < 0 or old is None else 1024
                    block = np.empty((size, len(vec)), dtype=old.dtype if old is not None else matrix_dtype())
                    staged = np.empty((1024, len(vec)), dtype=np.float32)
                elif len(keys) - filled == len(staged):
                    flush()
                    filled = len(keys)
                if len(keys) == len(block):
                    grown = np.empty((len(block) * 2, block.shape[1]), dtype=block.dtype)
                    grown[: len(block)] = block
                    block = grown
                staged[len(keys) - filled] = vec
                keys.append(key)
        if keys:
            flush()
        if not keys:
            empty = np.zeros(0, np.int64)
            return (self._ids_array if self._ids_array is not None else empty), old, empty
        new_ids = np.asarray(keys, dtype=np.int64)
        if len(keys) < len(block):
            block.resize((len(keys), block.shape[1]), refcheck=False)  # in place: no second copy
        if old is None:
            return new_ids, block, np.arange(len(new_ids))
        rows_of = self.rows_of(new_ids)
        known = rows_of >= 0
        matrix = old
        if known.any():
            matrix = old.copy()
            matrix[rows_of[known]] = block[known]
        fresh = ~known
        ids = self._ids_array
        if fresh.any():
            matrix = np.vstack([matrix, block[fresh]])
            ids = np.concatenate([ids, new_ids[fresh]])
        changed = np.concatenate([rows_of[known], np.arange(n_old, len(ids))])
        return ids, matrix, changed

    def _set(
        self,
        ids: Any,
        matrix: Any,
        seq: int,
        model: str,
        generation: object,
        *,
        changed: Any = None,
        basis: Any = None,
    ) -> None:
        """Hold ``matrix`` (row ``n`` is ``ids[n]``). ``changed``: the rows that differ from the
        matrix held so far (an incremental load), which keeps its index with those rows projected;
        otherwise the index is built again on a thread (with ``basis`` when given)."""
        import numpy as np

        index = self._view[2]
        if ids is not None and len(ids):
            ids = np.asarray(ids, dtype=np.int64)
            order = np.argsort(ids, kind="stable")
            self._sorted, self._sorted_rows = ids[order], order
            self._ids_array, self._matrix = ids, matrix
            if index is not None and changed is not None and model == self._model:
                index = index.extended(matrix, changed) if len(changed) else index
            else:
                index = None
        else:
            self._ids_array = self._sorted = self._sorted_rows = self._matrix = index = None
        self._view = (self._matrix, self._ids_array, index)
        self._seq, self._model, self._generation = seq, model, generation
        from .vector_index import EXACT_BELOW

        if self._matrix is not None and len(self._matrix) >= EXACT_BELOW and (index is None or index.stale):
            self._start_indexing(None if index is not None else basis)

    def _basis(self, model: str) -> Any:
        """The held index's mean and directions when found for ``model`` (a full reload, e.g.
        after deletions, only projects the rows again)."""
        index = self._view[2]
        fresh = index is not None and model == self._model and not index.stale
        return (index.mean, index.basis) if fresh else None

    def _start_indexing(self, basis: Any) -> None:
        """Build the index on a thread (called with ``_lock`` held); when a build runs, another follows
        it for the newest matrix: on the directions that one finds, or on new ones when ``basis`` is
        None (the index went stale: a request to find them again is kept, not dropped)."""
        if basis is None:
            self._retrain = True
        elif not self._builds.running:
            self._basis_next = basis
        self._builds.start(self._index, again=True)

    def _index(self) -> None:
        """Build the index of the held matrix and swap it in (a failure is logged: search stays exact)."""
        from .vector_index import EXACT_BELOW, Shortlist

        with self._lock:
            matrix, ids, held = self._view
            if matrix is None or len(matrix) < EXACT_BELOW or (held is not None and not held.stale):
                return
            basis = None if self._retrain else self._basis_next
            self._retrain = False
        index = Shortlist.build(matrix, basis=basis)
        with self._lock:
            if self._view[0] is matrix:
                self._view = (matrix, ids, index)
            self._basis_next = (index.mean, index.basis)

    def wait_indexed(self, timeout: float | None = None) -> bool:
        """Wait for a running index build; True when searches now use the index."""
        self._builds.wait(timeout)
        return self._view[2] is not None

    def index_now(self) -> bool:
        """Build the index of the held matrix here unless one is held (tests, benchmarks); True
        when one is held."""
        if not self.wait_indexed() and self._builds.claim() == "claimed":
            self._basis_next = None
            self._builds.run(self._index)
        return self._view[2] is not None

    def close(self, timeout: float = 10.0) -> None:
        """Start no further index build and wait up to ``timeout`` s for the running one (numpy must not
        run on a thread the interpreter tears down at exit)."""
        self._builds.close(timeout)

    def replace(self, ids: list[int], matrix: Any, model: str) -> None:
        """Hold these vectors (row ``n`` of ``matrix`` is ``ids[n]``) instead of the table's, until
        the embeddings change or another model is asked for (benchmarks, tests)."""
        with self._lock:
            self._set(ids, matrix, self._seq, model, self.versions.get("embeddings"))

    def rows_of(self, ids: Any) -> Any:
        """The matrix row of each of ``ids`` (int64 array), -1 where it has no vector."""
        import numpy as np

        ids = np.asarray(ids, dtype=np.int64)
        out = np.full(len(ids), -1, dtype=np.int64)
        keys = self._sorted
        if keys is None or not len(ids):
            return out
        at = np.searchsorted(keys, ids)
        inside = at < len(keys)
        hit = np.zeros(len(ids), dtype=bool)
        hit[inside] = keys[at[inside]] == ids[inside]
        out[hit] = self._sorted_rows[at[hit]]
        return out

    def positions(self, ids: Iterable[int]) -> Any:
        """Rows of the matrix holding ``ids`` (those that have a vector)."""
        import numpy as np

        rows = self.rows_of(np.fromiter(ids, dtype=np.int64))
        return rows[rows >= 0]

    def search(
        self,
        query: np.ndarray,
        k: int,
        *,
        allowed: Iterable[int] | None = None,
        min_sim: float = 0.0,
        exact: bool = False,
    ) -> list[tuple[int, float]]:
        """``(id, cosine similarity)`` of the ``k`` nearest vectors, restricted to ``allowed`` ids.

        Firm-wide, with an index built (and not ``exact``), the rows of a shortlist are scored
        (see :mod:`.vector_index`); within ``allowed`` ids, always every one of them."""
        import numpy as np

        matrix, ids, index = self._view
        if matrix is None or ids is None or k <= 0:
            return []
        q = np.asarray(query, dtype=np.float32).reshape(-1)
        if allowed is None and index is not None and self.approximate and not exact and index.size(k) < len(ids):
            rows = index.candidates(q, k)
            sims = scores(matrix, q, rows)
            keys = ids[rows]
        elif allowed is not None:
            idx = self.positions(allowed)
            if not len(idx):
                return []
            if len(idx) * 4 < len(ids):
                sims = scores(matrix, q, idx)  # a small scope: gather its rows
                keys = ids[idx]
            else:  # most of the matrix: one product, then keep the scope's rows
                sims = scores(matrix, q)[idx]
                keys = ids[idx]
        else:
            sims = scores(matrix, q)
            keys = ids
        n = min(k, len(sims))
        top = np.argpartition(-sims, n - 1)[:n] if n < len(sims) else np.arange(len(sims))
        top = top[np.lexsort((keys[top], -sims[top]))]  # equal similarities by id: the same order either way
        # The floor in the scores' own type, whatever numpy's promotion rules (1.x would widen to float64).
        top = top[sims[top] >= sims.dtype.type(min_sim)]
        return list(zip(keys[top].tolist(), sims[top].tolist(), strict=True))


def best_per_id(*hit_lists: list[tuple[int, float]]) -> list[tuple[int, float]]:
    """Merge ``(id, similarity)`` lists from several vector kinds: each id keeps its best
    similarity (a document matches by what identifies it *or* by what it says), best first."""
    best: dict[int, float] = {}
    for hits in hit_lists:
        for key, sim in hits:
            if sim > best.get(key, -2.0):
                best[key] = sim
    return sorted(best.items(), key=lambda kv: -kv[1])
