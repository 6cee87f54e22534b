"""A shortlist index over a vector matrix: nearest neighbours from a fraction of the product.

The exact product of a query with 116k two-byte rows costs ~20 ms of CPU, most of the hybrid
budget. A firm's vectors sit in a narrow cone (their mean has norm ~0.6; a query's top 1 and
top 100 similarities are ~0.5 and ~0.4), so what tells them apart lies in few directions: the
top 128 principal directions of the rows minus their mean hold most of that variance. The index
keeps each row's coordinates along them (the *head*) as int8, each direction with its own scale
(the largest coordinate of a sample of rows; beyond it a coordinate is clipped), and scores a
query on the head with one product (int8 blocks converted to float32 for BLAS, ~3 ms of CPU at
116k rows: torch's int8 kernel took ~0.6 ms, but the server no longer imports torch); the best
``max(4,000, 20 k)`` rows are scored exactly on the matrix, and the best of those are the answer. On
the bench's vectors (a real sample plus noise, the index's hard case) that finds 99.6 % of the exact top 100 (96 float16
directions: 99.0 %; int8 loses nothing measurable against float16 on the same directions), in
a head of 15 MB instead of 22 MB. Measured and dropped: a sign-bit shortlist (recall@200
0.81-0.93) and an inverted file (k-means lists, probing the nearest 10 % of them: recall@100
~0.7, since a flat band of similarities spreads a query's neighbours over most lists).

The matrix is not changed: the index is built on a thread from the matrix search holds and
swapped in when ready (the matrix is replaced, never mutated, see :class:`~.vectors.MatrixIndex`);
until then search stays exact. Vectors added or re-embedded later get head rows with the same
directions and scales (:meth:`Shortlist.extended`); the directions are computed again when the
rows added since reach half of those they came from. Nothing is stored: it is rebuilt at load
(~1 s of CPU at 116k rows). Small matrices stay exact (:data:`EXACT_BELOW`).
``bench/bench_vectors.py`` measures recall and cost against the exact product.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

FIXED_SCALE = 32767.0  # int16 matrices hold round(x * FIXED_SCALE) of their unit vectors' coordinates
EXACT_BELOW = 20_000  # rows; below this one product over the matrix costs about what a shortlist does
DIRECTIONS = 128  # principal directions kept per row (1/3 of a 384-dim model's vector)
SHORTLIST = 4000  # rows scored exactly at least ...
SHORTLIST_PER_K = 20  # ... and this many per neighbour asked for
TRAIN_ROWS = 8192  # rows sampled to find the directions
RETRAIN_GROWTH = 0.5  # rows given a head since training / rows trained on, beyond which it retrains
_BLOCK = 8192  # rows projected at a time (bounds the float32 copy)
_PRODUCT_BLOCK = 1024  # rows converted to float32 at a time for a product (a buffer that stays in cache)


def as_float32(block: Any) -> Any:
    """A float32 copy of matrix rows (int16 rows scaled back from :data:`FIXED_SCALE` steps)."""
    out = np.asarray(block).astype(np.float32)
    if block.dtype == np.int16:
        out *= np.float32(1.0 / FIXED_SCALE)
    return out


def to_storage(rows: Any, dtype: Any) -> Any:
    """Float rows as a matrix of ``dtype`` holds them: int16 steps of 1/:data:`FIXED_SCALE`
    (coordinates of unit vectors), else a plain cast. An int16 matrix holds coordinates in [-1, 1]
    only: a row with one beyond (not a unit vector: another model's or a caller's rows) is scaled
    to unit length, which keeps what is scored (its cosine with a query), and a warning says how
    many were; nothing is clipped into another direction. A single vector beyond is an error."""
    if np.dtype(dtype) != np.int16:
        return np.asarray(rows).astype(dtype)
    scaled = np.array(rows, dtype=np.float32)  # a copy: the caller's rows are not changed
    beyond = np.float32(1.0 + 1e-6)  # float32 rounding of unit vectors' coordinates aside
    if scaled.ndim == 2 and len(scaled):
        longer = np.abs(scaled).max(axis=1) > beyond
        if longer.any():
            scaled[longer] /= np.linalg.norm(scaled[longer], axis=1, keepdims=True)
            log.warning("%d of %d vectors were longer than unit length: stored scaled to it", longer.sum(), len(scaled))
    elif scaled.size and np.abs(scaled).max() > beyond:
        raise ValueError("an int16 vector matrix holds coordinates of unit vectors (within [-1, 1])")
    scaled *= np.float32(FIXED_SCALE)
    # Rounding alone may reach half a step beyond 1: the clip removes that, never a direction.
    return np.clip(np.rint(scaled, out=scaled), -FIXED_SCALE, FIXED_SCALE, out=scaled).astype(np.int16)


def product(matrix: Any, q: Any, rows: Any = None) -> Any:
    """``matrix @ q`` (or ``matrix[rows] @ q``) as float32 numpy. Two-byte matrices (int16 steps, or
    float16) are converted a block of rows at a time into a float32 buffer for BLAS (numpy has no
    int16 or float16 product of its own that is fast): ~1 ms of CPU for the 4,000 rows a shortlist
    rescores, ~20 ms for 116k rows. ``rows`` are gathered a block at a time into that buffer (the
    same blocks, so the same sums, as gathering them all first; no 3 MB copy, ~0.4 ms less)."""
    q = np.asarray(q, dtype=np.float32).reshape(-1)
    if matrix.dtype == np.float32:
        return matrix @ q if rows is None else matrix.take(rows, axis=0) @ q
    if matrix.dtype == np.int16:
        q = q * np.float32(1.0 / FIXED_SCALE)
    n = len(matrix) if rows is None else len(rows)
    out = np.empty(n, dtype=np.float32)
    buf = np.empty((min(n, _PRODUCT_BLOCK), matrix.shape[1] if matrix.ndim == 2 else 0), dtype=np.float32)
    for lo in range(0, n, _PRODUCT_BLOCK):
        part = buf[: min(_PRODUCT_BLOCK, n - lo)]
        part[...] = matrix[lo : lo + _PRODUCT_BLOCK] if rows is None else matrix.take(rows[lo : lo + len(part)], axis=0)
        np.matmul(part, q, out=out[lo : lo + len(part)])
    return out


def directions(matrix: Any, count: int, *, seed: int = 0) -> tuple[Any, Any]:
    """The mean of a sample of ``matrix``'s rows and the ``count`` principal directions (float32
    rows) of the sample minus that mean."""
    rng = np.random.default_rng(seed)
    n = len(matrix)
    sample = as_float32(matrix[np.sort(rng.choice(n, min(n, TRAIN_ROWS), replace=False))])
    mean = sample.mean(axis=0)
    sample -= mean
    _, _, vt = np.linalg.svd(sample, full_matrices=False)
    return mean.astype(np.float32), np.ascontiguousarray(vt[: min(count, len(vt))], dtype=np.float32)


def head_scale(matrix: Any, mean: Any, basis: Any, *, seed: int = 0) -> Any:
    """Per direction, the coordinate one int8 step stands for: the largest absolute coordinate of
    a sample of ``matrix``'s rows, over 127 (float32, never 0)."""
    rng = np.random.default_rng(seed)
    n = len(matrix)
    sample = as_float32(matrix[np.sort(rng.choice(n, min(n, TRAIN_ROWS), replace=False))])
    top = np.abs((sample - mean) @ basis.T).max(axis=0) if n else np.ones(len(basis), np.float32)
    return (np.maximum(top, 1e-12) / 127).astype(np.float32)


def _project(matrix: Any, mean: Any, basis: Any, scale: Any, rows: Any = None) -> Any:
    """Head coordinates (int8 steps of ``scale``, clipped) of every row of ``matrix``, or of ``rows`` of it."""
    n = len(matrix) if rows is None else len(rows)
    out = np.empty((n, len(basis)), dtype=np.int8)
    steps = (basis / scale[:, None]).astype(np.float32)  # coordinate / scale in one product
    for lo in range(0, n, _BLOCK):
        block = matrix[lo : lo + _BLOCK] if rows is None else matrix[rows[lo : lo + _BLOCK]]
        coords = (as_float32(block) - mean) @ steps.T
        out[lo : lo + _BLOCK] = np.clip(np.rint(coords, out=coords), -127, 127, out=coords)
    return out


def int8_product(head: Any, q8: Any) -> Any:
    """``head @ q8`` (int8 rows, an int8 vector) as float32 numpy holding exact integers (the sums
    stay far below 2**24): float32 products a cache-sized block at a time. torch's int8 kernel was
    ~5x faster, but importing torch for it cost ~145 MB of a server that embeds its queries in numpy."""
    return product(head, q8.astype(np.float32))


@dataclass(frozen=True)
class Shortlist:
    """Head coordinates of the rows of one matrix: ``head[r] * scale ~ basis @ (matrix[r] - mean)``."""

    mean: Any  # float32 (dim,)
    basis: Any  # float32 (directions, dim), orthonormal rows
    scale: Any  # float32 (directions,): what one int8 step of the head stands for
    head: Any  # int8 (rows, directions)
    trained_rows: int  # rows of the matrix the directions came from
    added_since: int  # rows given a head since (new or re-embedded vectors)

    @classmethod
    def build(cls, matrix: Any, *, basis: tuple[Any, Any] | None = None) -> Shortlist:
        """Find the directions of ``matrix`` (unless ``basis``, a ``(mean, directions)`` pair, is
        given: a reload keeps them), their scales, and project every row."""
        mean, dirs = basis if basis is not None else directions(matrix, DIRECTIONS)
        scale = head_scale(matrix, mean, dirs)
        return cls(mean, dirs, scale, _project(matrix, mean, dirs, scale), len(matrix), 0)

    def __len__(self) -> int:
        return len(self.head)

    @property
    def nbytes(self) -> int:
        return int(self.mean.nbytes + self.basis.nbytes + self.scale.nbytes + self.head.nbytes)

    @property
    def stale(self) -> bool:
        """Enough rows were added since the directions were found that they should be found again."""
        return self.added_since > RETRAIN_GROWTH * max(self.trained_rows, 1)

    def extended(self, matrix: Any, changed: Any) -> Shortlist:
        """The shortlist of ``matrix``: this one's head rows, with the ``changed`` rows
        (re-embedded, or new at the end) projected again."""
        n_old = len(self.head)
        changed = np.union1d(np.asarray(changed, dtype=np.int64), np.arange(n_old, len(matrix)))
        head = np.empty((len(matrix), self.head.shape[1]), dtype=self.head.dtype)
        keep = min(n_old, len(matrix))
        head[:keep] = self.head[:keep]
        if len(changed):
            head[changed] = _project(matrix, self.mean, self.basis, self.scale, changed)
        return Shortlist(self.mean, self.basis, self.scale, head, self.trained_rows, self.added_since + len(changed))

    def size(self, k: int) -> int:
        """Rows scored exactly for the ``k`` nearest."""
        return max(SHORTLIST, SHORTLIST_PER_K * k)

    def candidates(self, q: Any, k: int) -> Any:
        """Rows (int64, ascending) whose head scores best against the unit vector ``q``: the
        mean's part of every score is the same, so the head alone ranks them. The query's
        coordinates, times each direction's scale, are cut to int8 steps of their largest."""
        n = self.size(k)
        if n >= len(self.head):
            return np.arange(len(self.head), dtype=np.int64)
        weights = (self.basis @ np.asarray(q, dtype=np.float32)) * self.scale
        largest = float(np.abs(weights).max())
        q8 = np.rint(weights * (127 / largest) if largest > 0 else weights).astype(np.int8)
        head_scores = int8_product(self.head, q8)
        rows = np.argpartition(head_scores, len(head_scores) - n)[len(head_scores) - n :].astype(np.int64)
        rows.sort()  # the gather reads the matrix front to back
        return rows
