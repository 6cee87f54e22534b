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

No second matrix-vector product: a row's centred similarity is an affine function of its plain one,
``(c·q - a μ·q - a c·μ + a² μ·μ) / (|c - aμ| |q - aμ|)``, with ``c·μ`` and ``|c - aμ|`` kept per
row from the build and ``μ·q`` computed per request.
"""

from __future__ import annotations

from typing import Any

from .vectors import scores

SHARE = 0.8
"""How much of the mean is taken out (1 = all; 0.5-1.0 measured alike, 0 = plain cosine)."""


class CentredChunks:
    """Per chunk matrix (one per build of the summaries, identified by the object, which is held so
    its identity is not reused): its mean row, each row's product with it and each centred row's
    norm, made once and shared by every request until the next build."""

    def __init__(self, share: float = SHARE) -> None:
        self.share = share
        self._last: tuple[Any, Any, Any, Any, float] | None = None  # (matrix, mean, c·μ, |c - aμ|, μ·μ)

    def _stats(self, chunks: Any) -> tuple[Any, Any, Any, float]:
        import numpy as np

        from .vector_index import as_float32

        last = self._last
        if last is None or last[0] is not chunks:
            m = as_float32(chunks)
            mean = m.mean(axis=0)
            a = self.share
            row_mean = m @ mean
            norms = np.linalg.norm(m - a * mean, axis=1)
            last = (chunks, mean, row_mean, np.where(norms == 0, 1.0, norms), float(mean @ mean))
            self._last = last  # one swap: readers never mix two builds
        return last[1], last[2], last[3], last[4]

    def best(self, chunks: Any, query: Any, starts: Any, *, centre: bool = True) -> tuple[Any, Any]:
        """Per project (chunk rows from ``starts``), its best plain and best centred similarity
        with the unit ``query`` (the plain one twice without ``centre``).

        The centred one orders the projects; the plain one keeps them (the summaries' floor)."""
        import numpy as np

        q = np.asarray(query, np.float32).reshape(-1)
        plain_rows = scores(chunks, q)
        plain = np.maximum.reduceat(plain_rows, starts)
        if not centre or not len(plain_rows):
            return plain, plain
        mean, row_mean, norms, mean_sq = self._stats(chunks)
        a = self.share
        qm = float(q @ mean)
        q_norm = max(float(np.sqrt(max(1.0 - 2 * a * qm + a * a * mean_sq, 0.0))), 1e-6)
        sharp_rows = (plain_rows - a * qm - a * row_mean + a * a * mean_sq) / (norms * q_norm)
        return plain, np.maximum.reduceat(sharp_rows.astype(np.float32), starts)
