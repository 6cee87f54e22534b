"""A shortlist index over a vector matrix: nearest neighbours from a fraction of the product.

The exact product of a query with 116k float16 rows costs ~20 ms of CPU, most of the hybrid
budget. A firm's vectors sit in a narrow cone (their mean has norm ~0.6; a query's top 1 and
top 100 similarities are ~0.5 and ~0.4), so what tells them apart lies in few directions: the
top 96 principal directions of the rows minus their mean hold ~88 % of that variance (real
identity vectors). The index keeps each row's coordinates along them (the *head*, ~1/4 of the
matrix); a query is scored on the head, the best ``max(2,000, 10 k)`` rows are scored exactly on
the matrix, and the best of those are the answer. On real vectors that finds 99.9 % of the
exact top 100. Measured and dropped: a sign-bit shortlist (recall@200 0.81-0.93) and an
inverted file (k-means lists, probing the nearest 10 % of them: recall@100 ~0.7, since a flat
band of similarities spreads a query's neighbours over most lists).

The matrix is not changed: the index is built on a thread from the matrix search holds and
swapped in when ready (the matrix is replaced, never mutated, see :class:`~.vectors.MatrixIndex`);
until then search stays exact. Vectors added or re-embedded later get head rows with the same
directions (:meth:`Shortlist.extended`); the directions are computed again when the rows added
since reach half of those they came from. Nothing is stored: it is rebuilt at load (~1 s of CPU
at 116k rows). Small matrices stay exact (:data:`EXACT_BELOW`). ``bench/bench_vectors.py``
measures recall and cost against the exact product.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

EXACT_BELOW = 20_000  # rows; below this one product over the matrix costs about what a shortlist does
DIRECTIONS = 96  # principal directions kept per row (1/4 of a 384-dim model's vector)
SHORTLIST = 4000  # rows scored exactly at least ...
SHORTLIST_PER_K = 20  # ... and this many per neighbour asked for
TRAIN_ROWS = 8192  # rows sampled to find the directions
RETRAIN_GROWTH = 0.5  # rows given a head since training / rows trained on, beyond which it retrains
_BLOCK = 8192  # rows projected at a time (bounds the float32 copy)


def product(matrix: Any, q: Any) -> Any:
    """``matrix @ q`` as float32 numpy: torch for float16 (numpy has no half-precision kernel),
    as a matrix product with a one-column matrix (~25 % less CPU than torch's matrix-vector one)."""
    if matrix.dtype == np.float16:
        import torch

        q16 = torch.from_numpy(np.ascontiguousarray(q, dtype=np.float16)).reshape(-1, 1)
        return (torch.from_numpy(np.ascontiguousarray(matrix)) @ q16).reshape(-1).float().numpy()
    return matrix @ np.asarray(q, dtype=np.float32)


def directions(matrix: Any, count: int, *, seed: int = 0) -> tuple[Any, Any]:
    """The mean of a sample of ``matrix``'s rows and the ``count`` principal directions (float32
    rows) of the sample minus that mean."""
    rng = np.random.default_rng(seed)
    n = len(matrix)
    sample = matrix[np.sort(rng.choice(n, min(n, TRAIN_ROWS), replace=False))].astype(np.float32)
    mean = sample.mean(axis=0)
    sample -= mean
    _, _, vt = np.linalg.svd(sample, full_matrices=False)
    return mean.astype(np.float32), np.ascontiguousarray(vt[: min(count, len(vt))], dtype=np.float32)


def _project(matrix: Any, mean: Any, basis: Any, rows: Any = None) -> Any:
    """Head coordinates (the matrix's dtype) of every row of ``matrix``, or of ``rows`` of it."""
    n = len(matrix) if rows is None else len(rows)
    out = np.empty((n, len(basis)), dtype=matrix.dtype)
    for lo in range(0, n, _BLOCK):
        block = matrix[lo : lo + _BLOCK] if rows is None else matrix[rows[lo : lo + _BLOCK]]
        out[lo : lo + _BLOCK] = (block.astype(np.float32) - mean) @ basis.T
    return out


@dataclass(frozen=True)
class Shortlist:
    """Head coordinates of the rows of one matrix: ``head[r] = basis @ (matrix[r] - mean)``."""

    mean: Any  # float32 (dim,)
    basis: Any  # float32 (directions, dim), orthonormal rows
    head: Any  # (rows, directions), the matrix's dtype
    trained_rows: int  # rows of the matrix the directions came from
    added_since: int  # rows given a head since (new or re-embedded vectors)

    @classmethod
    def build(cls, matrix: Any, *, basis: tuple[Any, Any] | None = None) -> Shortlist:
        """Find the directions of ``matrix`` (unless ``basis``, a ``(mean, directions)`` pair, is
        given: a reload keeps them) and project every row."""
        mean, dirs = basis if basis is not None else directions(matrix, DIRECTIONS)
        return cls(mean, dirs, _project(matrix, mean, dirs), len(matrix), 0)

    def __len__(self) -> int:
        return len(self.head)

    @property
    def nbytes(self) -> int:
        return int(self.mean.nbytes + self.basis.nbytes + self.head.nbytes)

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
            head[changed] = _project(matrix, self.mean, self.basis, changed)
        return Shortlist(self.mean, self.basis, head, self.trained_rows, self.added_since + len(changed))

    def size(self, k: int) -> int:
        """Rows scored exactly for the ``k`` nearest."""
        return max(SHORTLIST, SHORTLIST_PER_K * k)

    def candidates(self, q: Any, k: int) -> Any:
        """Rows (int64, ascending) whose head scores best against the unit vector ``q``: the
        mean's part of every score is the same, so the head alone ranks them."""
        head_scores = product(self.head, self.basis @ np.asarray(q, dtype=np.float32))
        n = self.size(k)
        if n >= len(head_scores):
            return np.arange(len(head_scores), dtype=np.int64)
        rows = np.argpartition(-head_scores, n - 1)[:n].astype(np.int64)
        rows.sort()  # the gather reads the matrix front to back
        return rows
