"""TF-IDF rows of texts (words and word pairs) as scikit-learn's ``TfidfVectorizer`` makes them, without it.

The content recommender fits this on the first request of a process that has no trained model: importing
scikit-learn for it took ~1.6 s (seconds more on a loaded machine) and ~97 MB of a serving process, for what is
a count, a sort and a few array operations. :func:`tfidf` is ``TfidfVectorizer(lowercase=True,
token_pattern=TOKEN, stop_words=..., ngram_range=(1, 2), min_df=..., max_df=..., sublinear_tf=True,
max_features=..., dtype=float32)`` with its defaults (smooth idf, l2 norm): the same terms, in the same order,
the same features kept (ties at the ``max_features`` cut broken by the same sort), and weights equal to
float32 rounding (``tests/unit/test_recommend_tfidf.py`` compares them with scikit-learn's).
"""

from __future__ import annotations

import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

#: Words: a letter, then letters or digits, two characters or more.
TOKEN = re.compile(r"(?u)\b[a-zA-Z][a-zA-Z0-9]{1,}\b")


@dataclass(frozen=True)
class Tfidf:
    """CSR rows (one per text, l2-normalised) over ``terms`` (sorted)."""

    terms: list[str]
    data: np.ndarray  # float32
    indices: np.ndarray  # int32, ascending within a row
    indptr: np.ndarray  # int64

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.indptr) - 1, len(self.terms)


def grams(text: str, stop_words: frozenset[str]) -> list[str]:
    """The words of ``text`` (lower case, stop words out), then each pair of neighbours among them."""
    words = [w for w in TOKEN.findall(text.lower()) if w not in stop_words]
    return words + [f"{a} {b}" for a, b in itertools.pairwise(words)]


def tfidf(
    texts: Sequence[str],
    *,
    stop_words: Iterable[str] = (),
    min_df: int | float = 1,
    max_df: int | float = 1.0,
    max_features: int | None = None,
) -> Tfidf:
    """Sublinear TF (1 + log count) times smooth IDF (1 + log((1 + n) / (1 + df))), each row scaled to unit length.

    ``min_df`` / ``max_df``: documents a term is in, at least / at most (a float: that share of the texts); of the
    terms left, the ``max_features`` most frequent are kept. Raises ``ValueError`` when no word is left, as
    scikit-learn does."""
    stop = frozenset(stop_words)
    ids: dict[str, int] = {}
    cols: list[int] = []
    counts: list[int] = []
    indptr = [0]
    for text in texts:
        counted = Counter(ids.setdefault(g, len(ids)) for g in grams(text, stop))
        cols.extend(counted)
        counts.extend(counted.values())
        indptr.append(len(cols))
    if not ids:
        raise ValueError("empty vocabulary: the texts hold only stop words, or no words")
    n = len(indptr) - 1
    terms = sorted(ids)
    rank = np.empty(len(terms), dtype=np.int64)  # first-seen id -> position in sorted order
    rank[[ids[t] for t in terms]] = np.arange(len(terms))
    col = rank[np.asarray(cols, dtype=np.int64)]
    count = np.asarray(counts, dtype=np.float32)
    df = np.bincount(col, minlength=len(terms))
    high = max_df if isinstance(max_df, int) else max_df * n
    low = min_df if isinstance(min_df, int) else min_df * n
    if high < low:
        raise ValueError("max_df corresponds to fewer documents than min_df")
    keep = (df <= high) & (df >= low)
    if max_features is not None and keep.sum() > max_features:
        # The same float32 totals in the same (sorted) order, and the same sort: the same terms at a tie.
        totals = np.bincount(col, weights=count, minlength=len(terms)).astype(np.float32)
        best = (-totals[keep]).argsort()[:max_features]
        chosen = np.zeros(len(terms), dtype=bool)
        chosen[np.flatnonzero(keep)[best]] = True
        keep = chosen
    if not keep.any():
        raise ValueError("after pruning, no terms remain: lower min_df or raise max_df")
    new_col = np.cumsum(keep) - 1
    row = np.repeat(np.arange(n), np.diff(np.asarray(indptr, dtype=np.int64)))
    kept = keep[col]
    row, col, count = row[kept], new_col[col[kept]], count[kept]
    order = np.lexsort((col, row))  # by row, then column
    row, col, weight = row[order], col[order].astype(np.int32), count[order]
    np.log(weight, out=weight)
    weight += np.float32(1.0)
    n_df = df[keep].astype(np.float32) + np.float32(1.0)  # a kept term keeps every document it is in
    idf = np.full_like(n_df, np.float32(n + 1))
    idf /= n_df
    np.log(idf, out=idf)
    idf += np.float32(1.0)
    weight *= idf[col]
    out_ptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(row, minlength=n), out=out_ptr[1:])
    norms = np.sqrt(np.bincount(row, weights=weight.astype(np.float64) ** 2, minlength=n)).astype(np.float32)
    weight /= np.where(norms > 0, norms, np.float32(1.0))[row]
    return Tfidf([t for t, k in zip(terms, keep, strict=True) if k], weight, col, out_ptr)


__all__ = ["TOKEN", "Tfidf", "grams", "tfidf"]
