"""BM25 ranking of in-memory postings (:mod:`.doc_postings`), as FTS5 ranks: ``ORDER BY bm25(), rowid``.

Every match is scored with FTS5's formula (``fts5_aux.c``: k1 1.2, b 0.75, idf floored at 1e-6,
phrase terms summed in expression order), vectorised in numpy, and only the ``limit`` best are
sorted. All words: the matches are the intersection of the groups' postings, scored phrase by
phrase. Any word: the union, of which only the newest ``budget`` are ranked (FTS5 walks rowids
newest first and stops), read newest span first and scored on each phrase's own postings.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from typing import Any, ClassVar, Protocol

K1, B = 1.2, 0.75  # FTS5's bm25() constants
SCRATCH_KEPT = 2  # sets of ranking work arrays kept for reuse between queries (~1.2 MB each at 116k rows)
SCRATCH_SIZES = 4  # index sizes whose work arrays are kept (documents, projects, and sizes while growing)
MERGE_MAX = 16_000  # postings up to which a union of several is merged rather than marked row by row
SEARCH_RATIO = 6  # a word's documents are looked up by binary search when they are this many times the matches


class Rows(Protocol):
    """What a ranking reads of a copy besides its postings."""

    rows: int  # FTS5's row count
    norm: Any  # float64 BM25 length norm of each row: k1 * (1 - b + b * length / avgdl)


class Scratch:
    """Work arrays of one ranking, one slot per document row, kept between queries: allocating
    ~1 MB of fresh zeroed memory per query (and faulting its pages in) cost more than the scoring.
    ``dense`` is all zeros whenever the set is in the pool; the masks are cleared before each use."""

    _pool: ClassVar[dict[int, list[Scratch]]] = {}  # by size: indexes of different sizes share the pool
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, size: int) -> None:
        import numpy as np

        self.size = size
        self.group = np.zeros(size, bool)
        self.keep = np.zeros(size, bool)
        self.dense = np.zeros(size, np.float64)

    @classmethod
    def take(cls, size: int) -> Scratch:
        with cls._lock:
            kept = cls._pool.get(size)
            if kept:
                return kept.pop()
        return cls(size)

    def give_back(self) -> None:
        with self._lock:
            kept = self._pool.setdefault(self.size, [])
            if len(kept) < SCRATCH_KEPT:
                kept.append(self)
            if len(self._pool) > SCRATCH_SIZES:  # an index that grew leaves its old size behind
                del self._pool[next(size for size in self._pool if size != self.size)]


def top(
    index: Rows,
    lists: Sequence[Sequence[Any]],
    limit: int,
    scratch: Scratch,
    *,
    every_word: bool,
    budget: int | None,
) -> list[int]:
    """:meth:`DocPostings._ranked` on ``scratch``'s arrays (``dense`` left all zeros)."""
    if not every_word:
        matched = _any_matched(lists, scratch, budget)
        return _best(matched, _any_scores(index, lists, matched, scratch.dense), limit) if len(matched) else []
    matched = _matched(lists, scratch)
    every = len(matched)
    if not every:
        return []
    if budget is not None and every > budget:
        matched = matched[-budget:]  # the newest matches (FTS5 walks rowids newest first and stops)
    return _best(matched, _every_scores(index, lists, matched, every, scratch.dense), limit)


def _idf(index: Rows, n_hit: int) -> float:
    idf = math.log((index.rows - n_hit + 0.5) / (n_hit + 0.5)) if index.rows else 0.0
    return idf if idf > 0.0 else 1e-6


def _share(f: Any, below: Any, idf: float) -> Any:
    """A phrase's BM25 share of each document, ``idf * f * (k1 + 1) / (f + norm)``, from its
    frequencies ``f`` and length norms ``below`` (float64 arrays the caller gives up: worked out in
    place in them, with no temporaries; the result is ``f``)."""
    below += f
    f *= K1 + 1.0
    f /= below
    f *= idf
    return f


def _every_scores(index: Rows, lists: Sequence[Sequence[Any]], matched: Any, every: int, dense: Any) -> Any:
    """The BM25 scores of ``matched`` (the newest of the ``every`` documents holding every group),
    phrase by phrase in expression order."""
    import numpy as np

    norm = index.norm[matched]
    score = np.zeros(len(matched), np.float64)
    shares: dict[int, Any] = {}  # by phrase (its documents' array)
    for part in lists:
        for docs, freq in part:
            n_hit = len(docs)
            if not n_hit:
                continue  # adds idf * 0 / norm = 0.0 to every score
            share = shares.get(id(docs))
            if share is not None:
                score += share
                continue
            idf = _idf(index, n_hit)
            if n_hit == every and len(part) == 1:
                # its group's alone, its documents hold every match and are as many: they are the
                # matches (both ascending)
                f = freq[n_hit - len(matched) :].astype(np.float64)
            elif len(matched) * SEARCH_RATIO <= n_hit:  # few matches: looked up in its postings
                held, at = _held(matched, docs)
                f = np.where(held, freq[at], 0).astype(np.float64)
            else:
                dense[docs] = freq
                f = dense[matched]
                dense[docs] = 0.0
            share = shares[id(docs)] = _share(f, norm.copy(), idf)
            score += share
    return score


def _any_scores(index: Rows, lists: Sequence[Sequence[Any]], matched: Any, dense: Any) -> Any:
    """The BM25 scores of ``matched`` (every document holding a phrase from ``matched[0]`` on): each
    phrase's share added on its own postings from there (the newest few when a budget cut the
    matches), in expression order, on ``dense`` (a document without the phrase adds 0.0 there too)."""
    import numpy as np

    lo = matched[0]
    held_by = [(docs, freq) for part in lists for docs, freq in part if len(docs)]
    if len(held_by) == 1:  # one phrase: its documents from ``lo`` on are the matches, and its share their
        docs, freq = held_by[0]  # scores (added on zeros, a positive share is itself: no row array needed)
        start = int(np.searchsorted(docs, lo)) if docs[0] < lo else 0
        return _share(freq[start:].astype(np.float64), index.norm[docs[start:]], _idf(index, len(docs)))
    shares: dict[int, tuple[Any, Any]] = {}  # by phrase (its documents' array)
    for part in lists:
        for docs, freq in part:
            n_hit = len(docs)
            if not n_hit:
                continue
            held, share = shares.get(id(docs)) or (None, None)
            if held is None:
                start = int(np.searchsorted(docs, lo)) if docs[0] < lo else 0
                held = docs[start:]
                share = _share(freq[start:].astype(np.float64), index.norm[held], _idf(index, n_hit))
                shares[id(docs)] = held, share
            dense[held] += share  # (a phrase's documents are distinct)
    score = dense[matched]
    dense[matched] = 0.0
    return score


def _best(matched: Any, score: Any, limit: int) -> list[int]:
    """The ``limit`` best of ``matched`` as ``ORDER BY score DESC, id``: the rest are cut at the
    ``limit``-th score first (ties at it kept, so the order is exactly the full sort's)."""
    import numpy as np

    if len(matched) > limit:
        cut = len(score) - limit
        kth = np.partition(score, cut)[cut]
        best = np.flatnonzero(score >= kth)
        matched, score = matched[best], score[best]
    order = np.lexsort((matched, -score))[:limit]
    return matched[order].tolist()


def _any_matched(lists: Sequence[Sequence[Any]], scratch: Scratch, budget: int | None) -> Any:
    """The documents (ascending) holding any phrase; the newest ``budget`` of them when more.

    Those are marked newest first, a span of ids at a time (each span sized by the share of ids
    matched so far) until ``budget`` are held: most of a common word's postings are never read."""
    import numpy as np

    arrays = [docs for part in lists for docs, _ in part if len(docs)]
    if not arrays:
        return np.empty(0, np.int32)
    if budget is None or sum(len(a) for a in arrays) <= budget:
        return _union(arrays, scratch)
    group = scratch.group
    end = max(int(a[-1]) for a in arrays) + 1  # past the highest id held
    ends = [len(a) for a in arrays]  # each array's documents below the spans marked so far: a[:ends[k]]
    hi, span, held = end, budget, 0
    while True:
        lo = max(hi - span, 0)
        group[lo:hi] = False
        for k, a in enumerate(arrays):
            start = int(np.searchsorted(a[: ends[k]], lo))
            if start < ends[k]:
                group[a[start : ends[k]]] = True
                ends[k] = start
        held += int(np.count_nonzero(group[lo:hi]))
        if held >= budget or not lo:
            break
        # the ids still to go at the density seen so far, a quarter more (a second span is rare)
        span = (budget - held) * (end - lo) // held * 5 // 4 + 64 if held else 2 * span
        hi = lo
    ids = np.flatnonzero(group[lo:end])
    ids += lo
    return ids[-budget:]


def _matched(lists: Sequence[Sequence[Any]], scratch: Scratch) -> Any:
    """The documents (ascending) holding any phrase of every group.

    The group with the fewest postings gives the candidates, each other group keeps those
    found in its postings (by binary search when they are few: a few µs where marking every row
    cost ~0.1 ms a group)."""
    import numpy as np

    if not lists or not all(lists):  # no group at all, or a group no phrase of which is held
        return np.empty(0, np.int32)
    if len(lists) == 1 and len(lists[0]) == 1:  # one word: its documents are the matches (ascending, distinct)
        return lists[0][0][0]
    sizes = [sum(len(docs) for docs, _ in part) for part in lists]
    first = min(range(len(lists)), key=sizes.__getitem__)
    matched = _union([docs for docs, _ in lists[first]], scratch)
    group = scratch.group
    for k, part in enumerate(lists):
        if k == first or not len(matched):
            continue
        found = np.zeros(len(matched), bool)
        marked = False
        for docs, _ in part:
            if not len(docs):
                continue
            if len(matched) * SEARCH_RATIO <= len(docs):  # few candidates: looked up
                found |= _held(matched, docs)[0]
            else:  # as many as the word's documents: marked, one slot per row
                if not marked:
                    group.fill(False)
                    marked = True
                group[docs] = True
        if marked:
            found |= group[matched]
        matched = matched[found]
    return matched


def _union(arrays: list[Any], scratch: Scratch) -> Any:
    """The distinct ids of ascending arrays, ascending: merged (a stable sort of sorted runs is a
    merge) when they are few, else marked on ``scratch.group``, one slot per row."""
    import numpy as np

    if len(arrays) == 1:
        return arrays[0]
    if sum(len(a) for a in arrays) <= MERGE_MAX:
        ids = np.sort(np.concatenate(arrays), kind="stable")
        if len(ids) < 2:
            return ids
        first = np.empty(len(ids), bool)
        first[0] = True
        np.not_equal(ids[1:], ids[:-1], out=first[1:])
        return ids[first]
    group = scratch.group
    group.fill(False)
    for docs in arrays:
        group[docs] = True
    return np.flatnonzero(group)


def _held(ids: Any, docs: Any) -> tuple[Any, Any]:
    """Whether each of ``ids`` is in ``docs`` (both ascending, ``docs`` not empty), and where it would be."""
    import numpy as np

    at = np.searchsorted(docs, ids)
    np.minimum(at, len(docs) - 1, out=at)
    return docs[at] == ids, at
