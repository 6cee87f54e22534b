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
the same order, in ~1 ms (:mod:`.postings_rank`).

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
import re
import time
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..store import DatabaseError, Store
from .background_build import BackgroundBuild
from .lexical import DOC_WEIGHTS_CODE, FullText
from .postings_rank import K1, B, Scratch, top
from .text import fts_quote
from .versions import Versions

log = logging.getLogger(__name__)

MAX_TOKENS = 12_000_000  # indexed tokens (all rows, all columns) up to which a copy is kept (~100 MB peak)
MAX_PREFIX_TERMS = 3_000  # terms a prefix may stand for (FTS5 answers a wider prefix)
MIN_REBUILD_GAP_S = 10.0  # seconds between builds (a scan moves the counters constantly)
REBUILD_GAP_FACTOR = 20  # ... and at least this many times the last build's duration (text extraction
# moves the counters for hours: a build of seconds every 10 s would take a core from the searches)
_PLAIN = re.compile(r"^[a-z0-9]+$")  # a term the tokenizer keeps whole (ASCII letters and digits)
_KEY = ("documents", "content", "projects")


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
            scratch = Scratch.take(len(self.length))
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
        scratch = Scratch.take(len(index.length))
        try:
            out = top(index, lists, limit, scratch, every_word=every_word, budget=budget)
        except BaseException:
            scratch.dense.fill(0.0)
            raise
        scratch.give_back()
        return out
