"""The document full-text index's postings in memory, ranked with FTS5's own BM25 formula.

Project search asks which projects hold documents with every query word (and, when those are few,
with any of them), in the order of their best document by BM25. FTS5 walks the whole doclist of
every word and scores each matching row (~4 µs a row with a few phrases): 20-50 ms at 116k
documents for "meeting room upgrade" or "Northpoint meeting room upgrade" (the any-word query
matches 90,000 rows). :class:`DocPostings` holds, per indexed term, the documents holding it (sorted)
and its weighted frequency in each (name x10, folders x3, project x4, family x2, content x1, code
x0: :data:`.lexical.DOC_WEIGHTS_CODE`), every row's token count and FTS5's row count and total
size, and evaluates the same expression (:func:`.query.match_expression`: the same phrases, AND of
groups / OR) with the same formula (``fts5_aux.c``: k1 1.2, b 0.75, idf floored at 1e-6, phrase
terms summed in expression order), the same row budget (:data:`.scope.RANK_BUDGET`: only the
newest matches ranked) and the same tie order (lower rowid first) in numpy: the same documents in
the same order, in ~1 ms.

Document search takes its firm-wide words from the same copy (``DocumentSearch.word_matches``).

Built from ``fts5vocab`` ``instance`` rows (the tokenizer's own tokens, tombstones applied) on a
daemon thread of its own connection, again when the ``documents``, ``content`` or ``projects``
counters moved (at most every :data:`MIN_REBUILD_GAP_S`); FTS5 answers meanwhile, and always
for what the copy cannot say alike: quoted phrases (word positions are not kept), words the
tokenizer could split, prefixes of very many words, and an index of more than :data:`MAX_TOKENS`
tokens (a large firm's extracted text: the copy would not fit in memory).
"""

from __future__ import annotations

import bisect
import logging
import math
import re
import threading
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..store import DatabaseError, Store
from .background_build import BackgroundBuild
from .lexical import DOC_WEIGHTS_CODE, FullText
from .text import fts_quote
from .versions import Versions

log = logging.getLogger(__name__)

MAX_TOKENS = 12_000_000  # indexed tokens (all rows, all columns) up to which a copy is kept (~100 MB peak)
MAX_PREFIX_TERMS = 3_000  # terms a prefix may stand for (FTS5 answers a wider prefix)
MIN_REBUILD_GAP_S = 10.0  # seconds between builds (a scan moves the counters constantly)
REBUILD_GAP_FACTOR = 20  # ... and at least this many times the last build's duration (text extraction
# moves the counters for hours: a build of seconds every 10 s would take a core from the searches)
K1, B = 1.2, 0.75  # FTS5's bm25() constants
_PLAIN = re.compile(r"^[a-z0-9]+$")  # a term the tokenizer keeps whole (ASCII letters and digits)
_KEY = ("documents", "content", "projects")
SCRATCH_KEPT = 2  # sets of ranking work arrays kept for reuse between queries (~1.2 MB each at 116k rows)
SCRATCH_SIZES = 4  # index sizes whose work arrays are kept (documents, projects, and sizes while growing)
MERGE_MAX = 16_000  # postings up to which a union of several is merged rather than marked row by row
SEARCH_RATIO = 6  # a word's documents are looked up by binary search when they are this many times the matches


class _Scratch:
    """Work arrays of one ranking, one slot per document row, kept between queries: allocating
    ~1 MB of fresh zeroed memory per query (and faulting its pages in) cost more than the scoring.
    ``dense`` is all zeros whenever the set is in the pool; the masks are cleared before each use."""

    _pool: ClassVar[dict[int, list[_Scratch]]] = {}  # by size: indexes of different sizes share the pool
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, size: int) -> None:
        import numpy as np

        self.size = size
        self.group = np.zeros(size, bool)
        self.keep = np.zeros(size, bool)
        self.dense = np.zeros(size, np.float64)

    @classmethod
    def take(cls, size: int) -> _Scratch:
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


@dataclass(slots=True)
class _Index:
    """One build; never modified once published."""

    key: tuple[object, ...]
    terms: list[str]  # sorted
    slot: dict[str, int]  # term -> index into ``terms``
    offsets: Any  # term i's postings are docs/freq[offsets[i]:offsets[i + 1]]
    docs: Any  # int32 document ids, ascending per term
    freq: Any  # float32 weighted frequency of the term in that document (sums of small integers: exact)
    length: Any  # float64 tokens of each row by document id (FTS5's column size, all columns)
    rows: int  # FTS5's row count
    avgdl: float  # FTS5's average row size
    norm: Any = field(init=False)  # float64 BM25 length norm of each row: k1 * (1 - b + b * length / avgdl)

    def __post_init__(self) -> None:
        self.norm = K1 * (1 - B + B * self.length / self.avgdl)  # (elementwise: as if worked out per query)

    def postings(self, tok: str) -> tuple[Any, Any] | None:
        """Documents and frequencies of one phrase (``word`` or ``core*``); None if not computable alike."""
        import numpy as np

        if tok.endswith("*"):
            core = tok[:-1]
            if not _PLAIN.match(core):
                return None
            i = bisect.bisect_left(self.terms, core)
            j = bisect.bisect_left(self.terms, core + "\U0010ffff")
            if j - i > MAX_PREFIX_TERMS:
                return None
            if j - i <= 1:
                return self._one(i) if j > i else (np.empty(0, np.int32), np.empty(0))
            scratch = _Scratch.take(len(self.length))
            held, freq = scratch.keep, scratch.dense
            held.fill(False)
            try:
                for n in range(i, j):
                    docs, f = self._one(n)
                    held[docs] = True
                    freq[docs] += f  # a term's documents are distinct
                docs = np.flatnonzero(held)
                out = freq[docs]
                freq[docs] = 0.0
            except BaseException:
                freq.fill(0.0)
                raise
            scratch.give_back()
            return docs, out
        if not _PLAIN.match(tok):
            return None
        n = self.slot.get(tok)
        return self._one(n) if n is not None else (np.empty(0, np.int32), np.empty(0))

    def lists(self, groups: list[list[str]]) -> list[list[tuple[Any, Any] | None]]:
        """Each group's phrases' :meth:`postings` (a phrase in several groups: the same pair, scored once)."""
        found: dict[str, tuple[Any, Any] | None] = {}
        return [
            [found[t] if t in found else found.setdefault(t, self.postings(t)) for t in p] for p in _phrases(groups)
        ]

    def _one(self, n: int) -> tuple[Any, Any]:
        a, b = self.offsets[n], self.offsets[n + 1]
        return self.docs[a:b], self.freq[a:b]


def _phrases(groups: list[list[str]]) -> list[list[str]]:
    """Each group's distinct phrases, as :func:`.query.match_expression` writes them (empty groups dropped)."""
    out: list[list[str]] = []
    for group in groups:
        seen: dict[str, str] = {}
        for tok in group:
            if tok.endswith("*"):
                if tok[:-1]:
                    seen.setdefault(fts_quote(tok[:-1]) + "*", tok)
            elif tok:
                seen.setdefault(fts_quote(tok), tok)
        if seen:
            out.append(list(seen.values()))
    return out


def counters(read: Any) -> tuple[object, ...] | None:
    """The change counters the copies are keyed on, read with ``read`` (a background thread's own
    connection: never a query on the connection searches use; None on a schema without them)."""
    try:
        rows = dict(read("SELECT name, n FROM search_versions"))
    except DatabaseError:
        return None
    return tuple(rows.get(n, 0) for n in _KEY)


def _varints(blob: bytes) -> list[int]:
    """SQLite varints (FTS5's record encoding)."""
    out: list[int] = []
    i = 0
    while i < len(blob):
        v = 0
        for k in range(9):
            byte = blob[i]
            i += 1
            if k == 8:
                v = (v << 8) | byte
                break
            v = (v << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        out.append(v)
    return out


class DocPostings:
    """BM25-ranked rows of word groups from memory, identical to ``FullText``'s firm-wide queries: over
    ``search_docs`` by default, or another FTS5 ``table`` whose ids are ``owner``'s (``search_projects``)."""

    def __init__(
        self,
        store: Store,
        versions: Versions,
        fulltext: FullText,
        *,
        table: str = "search_docs",
        weights: str = DOC_WEIGHTS_CODE,
        owner: str = "documents",
    ) -> None:
        self.store = store
        self.table, self.weights, self.owner = table, weights, owner
        self.versions = versions
        self.fulltext = fulltext
        self._index: _Index | None = None
        self._builds = BackgroundBuild("doc-postings", f"in-memory postings of {table}", closing=lambda: store.closing)
        self.disabled = False  # the index is too large to copy (see MAX_TOKENS)
        self._empty_at: tuple[object, ...] | None = None  # the counters at which a build found the index empty

    # ------------------------------------------------------------------ the copy
    def current(self) -> _Index | None:
        """The copy when it matches the store's counters; else None (a build is started)."""
        key = self.versions.get(*_KEY)
        index = self._index
        if index is not None and index.key == key:
            return index
        self.start(key)
        return None

    def start(self, key: tuple[object, ...] | None = None) -> None:
        """Build the copy on a daemon thread unless one runs, is current or ran a moment ago."""
        if self.disabled:
            return
        key = key if key is not None else self.versions.get(*_KEY)
        if self._index is not None and self._index.key == key:
            return
        builds = self._builds
        # Spaced by the last build's end (FTS5 keeps answering meanwhile, and when a build fails).
        gap = max(MIN_REBUILD_GAP_S, REBUILD_GAP_FACTOR * builds.seconds)
        builds.start(lambda: self._swap(self._build(key)), after=builds.ended + gap)

    def _swap(self, index: _Index | None) -> None:
        if index is not None:
            self._index = index

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Start a build if needed and wait for it; whether the copy is current (False when disabled,
        and at once when a build found the index empty at the current counters: none will serve)."""
        deadline = time.monotonic() + timeout
        while self.current() is None:
            left = deadline - time.monotonic()
            if self.disabled or self._builds.closed or left <= 0 or self._empty_at == self.versions.get(*_KEY):
                return False
            if not self._builds.running:  # (a build of counters read before the last change ends stale)
                self._builds.allow_now()  # a wait asks for a build now
                self.start()
            self._builds.wait(min(left, 1.0))
        return True

    def close(self) -> None:
        """Start no further build and stop the running one."""
        self._builds.close()

    def _build(self, key: tuple[object, ...]) -> _Index | None:
        import numpy as np

        # Everything on a reader of its own: searches neither wait for it nor see its queries.
        with self.store.scan_reader() as read:
            head = next(iter(read(f"SELECT block FROM {self.table}_data WHERE id = 1")), None)
            averages = _varints(bytes(head[0])) if head is not None else []
            if not averages:  # an empty index (no record, or an empty one): nothing to copy, FTS5 answers
                self._empty_at = key
                return None
            rows, total = averages[0], sum(averages[1:])
            if total > MAX_TOKENS:
                self.disabled = True
                log.info("full-text postings not copied to memory: %d tokens indexed (at most %d)", total, MAX_TOKENS)
                return None
            columns = [r[0] for r in read("SELECT name FROM pragma_table_info(?)", (self.table,))]
            weights = dict(zip(columns, (float(w) for w in self.weights.split(",")), strict=False))
            top = next(iter(read(f"SELECT max(id) FROM {self.owner}")))
            length = array("i", [0]) * ((top[0] or 0) + 1)
            terms: list[str] = []
            offsets = array("q")
            docs = array("i")
            freq = array("f")
            view = f"qn_{self.table}_instances"  # every token: (term, doc, col, offset)
            for _ in read(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{view} USING fts5vocab(main, {self.table}, instance)"
            ):
                pass
            last_term: str | None = None
            last_doc = -1
            for n, (term, doc, col) in enumerate(read(f"SELECT term, doc, col FROM temp.{view}")):
                if not n & 0xFFF:
                    self._builds.check()  # a checkpoint every few ms: the foreground, closing
                if doc >= len(length):  # a document added since max(id) was read
                    length.extend(array("i", [0]) * (doc + 1 - len(length)))
                length[doc] += 1
                if term != last_term:
                    terms.append(term)
                    offsets.append(len(docs))
                    last_term, last_doc = term, -1
                if doc != last_doc:
                    docs.append(doc)
                    freq.append(weights.get(col, 1.0))
                    last_doc = doc
                else:
                    freq[-1] += weights.get(col, 1.0)
            offsets.append(len(docs))
            now = counters(read)
            if now is None:  # an older schema without change counters: a copy could not be kept current
                self.disabled = True
                return None
            if now != key:  # the index moved while it was read: the next search asks again
                return None
        return _Index(
            key=key,
            terms=terms,
            slot={t: i for i, t in enumerate(terms)},
            offsets=np.frombuffer(offsets, np.int64),
            docs=np.frombuffer(docs, np.int32),
            freq=np.frombuffer(freq, np.float32),
            length=np.frombuffer(length, np.int32).astype(np.float64),
            rows=rows,
            avgdl=total / rows if rows else 1.0,
        )

    def size_bytes(self) -> int:
        index = self._index
        if index is None:
            return 0
        return int(
            index.docs.nbytes + index.freq.nbytes + index.offsets.nbytes + index.length.nbytes + index.norm.nbytes
        )

    # ------------------------------------------------------------------ searching
    def documents(
        self, groups: list[list[str]], phrases: list[list[str]], limit: int, *, every_word: bool = True
    ) -> tuple[list[int], int] | None:
        """``FullText.documents(groups, phrases, Scope(), limit, every_word=every_word)`` from memory:
        documents with every word (BM25 order), then, when fewer than a quarter of ``limit``, those
        with any (unless ``every_word``, only the rarest words within ``FullText.or_budget``). None
        when the copy cannot answer alike (not built or stale, quoted phrases, a word the tokenizer
        could split, a very wide prefix): ask FTS5."""
        found = self._lists(groups, phrases)
        if found is None:
            return None
        index, lists = found
        if not lists:
            return [], 0
        fulltext = self.fulltext
        budget = fulltext.rank_budget
        every = fulltext.matches_at_most(groups, [], every_word=True)
        ids = self._ranked(index, lists, limit, every_word=True, budget=budget if every > budget else None)
        n_all = len(ids)
        if n_all < limit // 4 and len(groups) > 1:
            any_groups = groups if every_word else fulltext.affordable(groups, [], fulltext.or_budget)[0]
            any_lists = lists if any_groups is groups else index.lists(any_groups)
            if any_lists:
                at_most = fulltext.matches_at_most(any_groups, [], every_word=False)
                more = self._ranked(
                    index, any_lists, limit, every_word=False, budget=budget if at_most > budget else None
                )
                seen = set(ids)
                ids += [i for i in more if i not in seen]
        return ids, n_all

    def ranked(
        self, groups: list[list[str]], phrases: list[list[str]], limit: int, *, every_word: bool
    ) -> list[int] | None:
        """``FullText.ranked`` of ``match_expression(groups, phrases, mode="and" / "or")`` without a row
        budget (``FullText.projects``), from memory; None when the copy cannot answer alike."""
        found = self._lists(groups, phrases)
        if found is None:
            return None
        index, lists = found
        return self._ranked(index, lists, limit, every_word=every_word, budget=None)

    def _lists(self, groups: list[list[str]], phrases: list[list[str]]) -> tuple[_Index, list[list[Any]]] | None:
        """The current copy and each group's postings per token; None when the copy cannot answer alike."""
        if phrases:
            return None
        index = self.current()
        if index is None:
            return None
        lists = index.lists(groups)
        if any(p is None for part in lists for p in part):
            return None
        return index, lists

    @staticmethod
    def _ranked(
        index: _Index, lists: Sequence[Sequence[Any]], limit: int, *, every_word: bool, budget: int | None
    ) -> list[int]:
        """Documents matching every group (or any phrase), ranked as ``ORDER BY bm25(), rowid``.

        Every match is scored (vectorised; ~10 ns a posting), but only the ``limit`` best are
        sorted: the rest are cut at the ``limit``-th score first (ties at it kept, so the order is
        exactly the full sort's)."""
        scratch = _Scratch.take(len(index.length))
        try:
            out = _score(index, lists, limit, scratch, every_word=every_word, budget=budget)
        except BaseException:
            scratch.dense.fill(0.0)
            raise
        scratch.give_back()
        return out


def _score(
    index: _Index,
    lists: Sequence[Sequence[Any]],
    limit: int,
    scratch: _Scratch,
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


def _idf(index: _Index, n_hit: int) -> float:
    idf = math.log((index.rows - n_hit + 0.5) / (n_hit + 0.5)) if index.rows else 0.0
    return idf if idf > 0.0 else 1e-6


def _every_scores(index: _Index, lists: Sequence[Sequence[Any]], matched: Any, every: int, dense: Any) -> Any:
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
            share = shares[id(docs)] = idf * ((f * (K1 + 1.0)) / (f + norm))
            score += share
    return score


def _any_scores(index: _Index, lists: Sequence[Sequence[Any]], matched: Any, dense: Any) -> Any:
    """The BM25 scores of ``matched`` (every document holding a phrase from ``matched[0]`` on): each
    phrase's share added on its own postings from there (the newest few when a budget cut the
    matches), in expression order, on ``dense`` (a document without the phrase adds 0.0 there too)."""
    import numpy as np

    lo = matched[0]
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
                # idf * ((f * (k1 + 1)) / (f + norm)), worked out in place (the same operations)
                share = freq[start:].astype(np.float64)
                below = index.norm[held]
                below += share
                share *= K1 + 1.0
                share /= below
                share *= _idf(index, n_hit)
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


def _any_matched(lists: Sequence[Sequence[Any]], scratch: _Scratch, budget: int | None) -> Any:
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
    top = max(int(a[-1]) for a in arrays) + 1
    ends = [len(a) for a in arrays]  # each array's documents below the spans marked so far: a[:end]
    hi, span, held = top, budget, 0
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
        span = (budget - held) * (top - lo) // held * 5 // 4 + 64 if held else 2 * span
        hi = lo
    ids = np.flatnonzero(group[lo:top])
    ids += lo
    return ids[-budget:]


def _matched(lists: Sequence[Sequence[Any]], scratch: _Scratch) -> Any:
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


def _union(arrays: list[Any], scratch: _Scratch) -> Any:
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
