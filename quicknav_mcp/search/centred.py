"""Vectors of one firm's project summaries with what they all share taken out.

Every project of an AV firm is "some room, some works": the summaries' vectors share one large
common direction, and a request's cosine similarity to each is mostly that direction, so the
differences that tell a boardroom refit from a training-room build are small. Subtracting most of
the summaries' mean from them and from the request (then normalising again) leaves those
differences to decide.

The centred similarity orders and scores the summaries only for a request that describes a job
(hybrid search, and not every word matched by names): for a client's name or an address the
similarities are noise, which centring would spread apart into boosts (search/projects.py). A
project is kept by its plain similarity (the summaries' floor). Measured on paraphrased project
descriptions (bench/paraphrase_eval.py, hybrid MRR; the share chosen on demo firms 7 and 8 only):
firms 9 and 10, never tuned on, 0.816 -> 0.828 with the usual phrasing and 0.780 -> 0.796 with
phrasing kept out of the tuning; other request kinds of bench/search_quality.py unchanged.

The mean is computed once per build of the summaries; a request pays one subtraction and a second
matrix-vector product over the summaries.
"""

from __future__ import annotations

from typing import Any

from .vectors import scores

SHARE = 0.8
"""How much of the mean is taken out (1 = all; 0.5-1.0 measured alike, 0 = plain cosine)."""


def centred(matrix: Any, share: float = SHARE) -> tuple[Any, Any]:
    """``matrix`` (unit rows) minus ``share`` of its mean row, rows normalised again, in the
    matrix's dtype; and that mean (float32) for :func:`centred_query`. Unchanged when empty."""
    import numpy as np

    if matrix is None or not len(matrix):
        return matrix, None
    m = np.asarray(matrix, np.float32)
    mean = m.mean(axis=0)
    out = m - share * mean
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return (out / np.where(norms == 0, 1.0, norms)).astype(matrix.dtype), mean


def centred_query(query: Any, mean: Any, share: float = SHARE) -> Any:
    """The unit query vector with the same share of the summaries' mean taken out (as float32)."""
    import numpy as np

    q = np.asarray(query, np.float32).reshape(-1)
    if mean is None:
        return q
    q = q - share * mean
    norm = float(np.linalg.norm(q))
    return q / norm if norm else q


class CentredChunks:
    """The centred copy of the last chunk matrix asked for, made once per build (a new matrix) and
    shared by every request until the next."""

    def __init__(self, share: float = SHARE) -> None:
        self.share = share
        self._last: tuple[Any, Any, Any] | None = None  # (matrix, centred matrix, mean): one swap

    def __call__(self, chunks: Any, query: Any) -> tuple[Any, Any]:
        """(centred ``chunks``, centred unit ``query``) for :func:`..vectors.scores`."""
        last = self._last
        if last is None or last[0] is not chunks:  # the matrix is held, so its identity is not reused
            last = (chunks, *centred(chunks, self.share))
            self._last = last
        return last[1], centred_query(query, last[2], self.share)

    def best(self, chunks: Any, query: Any, starts: Any, *, centre: bool = True) -> tuple[Any, Any]:
        """Per project (chunk rows from ``starts``), its best plain and best centred similarity
        (the plain one twice without ``centre``: one matrix-vector product).

        The centred one orders the projects; the plain one stays their score: a request that
        describes no project (a client's name, an address) has plain similarities alike for all,
        and so gives no project a boost, where centred ones would spread that noise apart."""
        import numpy as np

        plain = np.maximum.reduceat(scores(chunks, np.asarray(query, np.float32).reshape(-1)), starts)
        if not centre:
            return plain, plain
        sharp = np.maximum.reduceat(scores(*self(chunks, query)), starts)
        return plain, sharp
