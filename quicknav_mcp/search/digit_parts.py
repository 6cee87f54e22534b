"""Runs of three or more digits in document names, in memory, ranked as the trigram FTS5 table ranks them.

A search for part of a project code ("154", "2047") asks ``search_docs_tri`` for the names holding
it (:class:`.trigram.Substrings`): FTS5 checks and scores every matching row, ~1 µs each, and a
3-digit part is in thousands of names (every document of the projects whose codes hold it): ~2 ms
of a ~3 ms search at 116k documents. :class:`DigitParts` keeps, for every string of 3 and of 4
digits (:data:`KEPT_DIGITS`), the documents whose names hold it and how often (overlapping, as the
trigram tokenizer counts positions), and every name's length in trigrams (its characters less two),
built from the candidate table's names (:mod:`.candidates`) on a thread (started when the table's
first build is done, else by the first search for digits); it ranks with the same BM25 (the
row count and average length read from the table's own record, ``doc_postings.DocPostings._ranked``)
and the same row budget and tie order, so the ids and their order are FTS5's. ~600,000 postings
at 116k documents (~370,000 of 3 digits): ~5 MB, ~1.1 CPU-s to build.

It answers only for terms made of ASCII digits, firm-wide, while the candidate table it was built
from is current; otherwise (or while it builds) FTS5 answers.
"""

from __future__ import annotations

import logging
import re
import time
from array import array
from dataclasses import dataclass
from typing import Any

from .background_build import BackgroundBuild
from .candidates import CandidateTable
from .doc_postings import DocPostings, _Index, _varints
from .scope import RANK_BUDGET

log = logging.getLogger(__name__)

_RUN = re.compile(r"[0-9]{3,}")
KEPT_DIGITS = 4
"""Parts kept whole, of 3 up to this many digits: a search names 3-4 digits of a code, and a 4-digit
part found from its two trigrams (both held by a few hundred names, then counted in each name)
cost ~0.1-0.2 ms a search; longer parts are found so (a whole code is asked as a code)."""
_DIGITS = re.compile(r"^[0-9]{3,}$")


@dataclass(slots=True)
class _Parts:
    """One build; never modified once published."""

    snapshot: object  # the candidate table's snapshot it was built from
    index: _Index  # lengths by document id, row count, average length (no postings of its own)
    docs: dict[str, Any]  # string of 3 to KEPT_DIGITS digits -> int32 document ids, ascending
    freq: dict[str, Any]  # ... -> float32 occurrences in each name
    occurrences: Any  # (document ids, digits) -> how often each one's name holds them (the snapshot's)

    def postings(self, term: str) -> tuple[Any, Any]:
        """Documents whose names hold ``term`` (digits, 3 or more) and how often (overlapping)."""
        import numpy as np

        if len(term) <= KEPT_DIGITS:  # (kept whole)
            docs = self.docs.get(term)
            if docs is None:
                return np.empty(0, np.int32), np.empty(0, np.float32)
            return docs, self.freq[term]
        docs = self.docs.get(term[:3])
        if docs is None:
            return np.empty(0, np.int32), np.empty(0, np.float32)
        for k in range(1, len(term) - 2):  # every trigram of the term must be there
            more = self.docs.get(term[k : k + 3])
            if more is None:
                return np.empty(0, np.int32), np.empty(0, np.float32)
            docs = np.intersect1d(docs, more, assume_unique=True)
        counts = np.array(self.occurrences(docs.tolist(), term.encode()), np.int64)
        held = counts > 0
        return docs[held].astype(np.int32), counts[held].astype(np.float32)


class DigitParts:
    """``Substrings.search("search_docs_tri", terms, "", Scope(), limit)`` from memory for digit terms."""

    def __init__(self, table: CandidateTable) -> None:
        self.table = table
        self._parts: _Parts | None = None
        self._tried: object = None  # the snapshot the last finished build read
        self._builds = BackgroundBuild("digit-parts", "digit parts of names", closing=lambda: table.store.closing)
        table.warmers.append(self._warm)

    def _warm(self, _pairs: object, _between: object) -> None:
        """After the table's first build of a large firm: build from it on a thread of its own now
        (the first searches for part of a code would otherwise go to FTS5 while it builds)."""
        snap = self.table.current()
        if snap is not None and self._tried is not snap:
            self.start(snap)

    def search(self, terms: list[str], limit: int) -> list[int] | None:
        """The ``limit`` best names holding any of ``terms`` (BM25, ties: lower id; only the newest
        :data:`~.scope.RANK_BUDGET` matches ranked), or None when memory cannot answer alike."""
        if not terms or not all(_DIGITS.match(t) for t in terms):
            return None
        snap = self.table.current()
        if snap is None:
            return None
        parts = self._parts
        if parts is None or parts.snapshot is not snap:
            if self._tried is not snap:  # not again for a snapshot that built nothing (an empty index)
                self.start(snap)
            return None
        lists = [[parts.postings(t)] for t in terms]
        return DocPostings._ranked(parts.index, lists, limit, every_word=False, budget=RANK_BUDGET)

    def start(self, snap: Any) -> None:
        """Build from ``snap`` on a daemon thread unless a build runs (FTS5 answers meanwhile)."""
        self._builds.start(lambda: self._publish(snap))

    def _publish(self, snap: Any) -> None:
        self._parts = self._build(snap)
        self._tried = snap

    def close(self) -> None:
        """Start no further build; wait briefly for a running one."""
        self._builds.close()

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Build now if needed (tests, benchmarks); whether a current copy serves."""
        deadline = time.monotonic() + timeout
        snap = self.table.current() if self.table.ready(timeout) else None
        if snap is None:
            return False
        self._builds.wait(max(0.0, deadline - time.monotonic()))  # a build under way (the warm-up's) is not run twice
        parts = self._parts
        if parts is None or parts.snapshot is not snap:
            self._parts = self._build(snap)
        return self._parts is not None and self._parts.snapshot is snap

    def size_bytes(self) -> int:
        parts = self._parts
        if parts is None:
            return 0
        return int(sum(a.nbytes for a in parts.docs.values()) * 2 + parts.index.length.nbytes)

    def _build(self, snap: Any) -> _Parts | None:
        import numpy as np

        with self.table.store.scan_reader() as read:
            head = next(iter(read("SELECT block FROM search_docs_tri_data WHERE id = 1")), None)
        if head is None:
            return None
        averages = _varints(bytes(head[0]))
        if not averages:  # an empty index: nothing to rank, FTS5 answers
            return None
        rows, total = averages[0], sum(averages[1:])
        length = np.zeros(len(snap.slot), np.float64)
        docs: dict[str, array] = {}
        freq: dict[str, array] = {}
        check = self._builds.check if self._builds.running else lambda: None  # (wait_ready builds inline)
        for k, (doc_id, name) in enumerate(snap.names()):
            if not k & 0x3FF:
                check()  # a checkpoint every few ms: the foreground, closing
            length[doc_id] = max(len(name) - 2, 0)  # the trigram tokenizer's tokens: one per position
            counts: dict[str, int] = {}
            for run in _RUN.finditer(name):
                digits = run.group()
                for n in range(3, KEPT_DIGITS + 1):
                    for k in range(len(digits) - n + 1):
                        key = digits[k : k + n]
                        counts[key] = counts.get(key, 0) + 1
            for key, n in counts.items():
                if key not in docs:
                    docs[key], freq[key] = array("i"), array("f")
                docs[key].append(doc_id)  # names come by ascending id
                freq[key].append(n)
        index = _Index(
            key=(),
            terms=[],
            slot={},
            offsets=None,
            docs=None,
            freq=None,
            length=length,
            rows=rows,
            avgdl=total / rows if rows else 1.0,
        )
        return _Parts(
            snapshot=snap,
            index=index,
            docs={k: np.frombuffer(v, np.int32) for k, v in docs.items()},
            freq={k: np.frombuffer(v, np.float32) for k, v in freq.items()},
            occurrences=snap.occurrences,
        )
