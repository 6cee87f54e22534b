"""The index vocabulary: every word the full-text tables hold, with document frequencies.

Used for typo correction (rapidfuzz over words of similar length), "did you mean" and word
autocomplete. Read from FTS5's own ``fts5vocab`` views, cached until the indexed documents, their
content or the projects change (see :mod:`.versions`; analytics commits do not count), and rebuilt
at most every ``min_interval`` seconds so a running indexer does not cause rebuild storms.
"""

from __future__ import annotations

import bisect
import logging
import threading
import time
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import OSA

from ..memo import remember
from ..store import Store
from .versions import Versions

log = logging.getLogger(__name__)

MAX_WORDS = 400_000
RARE_DF = 2
"""A word in at most this many documents may be a slip (see :meth:`Vocabulary.common_fix`)."""
COMMON_RATIO = 20
CLOSE_MEMO_WORDS = 4096  # words whose fixes a snapshot remembers (at most ~8 MB, 24 fixes each)


def max_edits(word: str) -> int:
    """Typing slips tolerated in ``word``: one up to 5 letters, two from 6, three from 11."""
    return 1 if len(word) <= 5 else 2 if len(word) <= 10 else 3


@dataclass
class _Snapshot:
    df: dict[str, int] = field(default_factory=dict)
    by_len: dict[int, list[str]] = field(default_factory=dict)
    sorted_words: list[str] = field(default_factory=list)
    project_df: dict[str, int] = field(default_factory=dict)
    # Each word asked for fixes: its close words with their edits, best first. A search asks several
    # times per word (fixes, "did you mean", both searches), ~0.3 ms each over ~100k words.
    close: dict[str, list[tuple[str, int]]] = field(default_factory=dict)


class Vocabulary:
    """Words of ``search_docs`` and ``search_projects`` with document frequencies."""

    def __init__(self, store: Store, *, min_interval: float = 30.0, versions: Versions | None = None) -> None:
        self.store = store
        self.versions = versions or Versions(store)
        self.min_interval = min_interval
        self._lock = threading.Lock()
        self._snap = _Snapshot()
        self._generation: object = None
        self._built_at = 0.0

    def _ensure_views(self) -> None:
        # Temp tables belong to the store's connection, which every query here uses.
        self.store.query(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.qn_vocab_docs USING fts5vocab(main, search_docs, row)"
        )
        self.store.query(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.qn_vocab_projects USING fts5vocab(main, search_projects, row)"
        )

    def snapshot(self) -> _Snapshot:
        generation = self.versions.get("documents", "content", "projects")
        now = time.monotonic()
        if generation == self._generation or (self._snap.df and now - self._built_at < self.min_interval):
            return self._snap
        with self._lock:
            if generation == self._generation:
                return self._snap
            t0 = time.perf_counter()
            self._ensure_views()
            df: dict[str, int] = {}
            project_df: dict[str, int] = {}
            for term, n in self.store.query(f"SELECT term, doc FROM temp.qn_vocab_docs LIMIT {MAX_WORDS}"):
                df[term] = n
            for term, n in self.store.query(f"SELECT term, doc FROM temp.qn_vocab_projects LIMIT {MAX_WORDS}"):
                project_df[term] = n
                df[term] = df.get(term, 0) + n
            by_len: dict[int, list[str]] = {}
            for term in df:
                if len(term) >= 3 and not term.isdigit():
                    by_len.setdefault(len(term), []).append(term)
            self._snap = _Snapshot(df, by_len, sorted(df), project_df)
            self._generation = generation
            self._built_at = now
            log.debug("vocabulary: %d words in %.0f ms", len(df), (time.perf_counter() - t0) * 1000)
            return self._snap

    def __contains__(self, word: str) -> bool:
        return word in self.snapshot().df

    def df(self, word: str) -> int:
        return self.snapshot().df.get(word, 0)

    def corrections(self, word: str, *, limit: int = 2) -> list[tuple[str, float]]:
        """Indexed words close to ``word`` (a likely typo), best first, with a 0-100 similarity.

        Close means at most :func:`max_edits` edits, a swap of neighbouring letters counting as
        one (``poolwrex`` -> ``poolwerx``, ``glalagher`` -> ``gallagher``); among equally close
        words a shared first letter, then the more common word, wins."""
        if len(word) < 4 or word.isdigit():
            return []
        snap = self.snapshot()
        ranked = snap.close.get(word)
        if ranked is None:
            edits = max_edits(word)
            candidates: list[str] = []
            for n in range(len(word) - edits, len(word) + edits + 1):
                candidates.extend(snap.by_len.get(n, ()))
            found = process.extract(word, candidates, scorer=OSA.distance, score_cutoff=edits, limit=24)
            found.sort(key=lambda f: (f[1], f[0][:1] != word[:1], -snap.df.get(f[0], 0)))
            ranked = remember(snap.close, word, [(w, d) for w, d, _ in found], CLOSE_MEMO_WORDS)
        return [(w, round(100 * (1 - d / max(len(w), len(word))), 1)) for w, d in ranked[:limit]]

    def common_fix(self, word: str, *, ratio: int = COMMON_RATIO) -> str | None:
        """For a word the index holds only rarely (a slip that also occurs in some file's text), a
        word one edit away that is at least ``ratio`` times as common, or None."""
        if len(word) < 5 or word.isdigit():
            return None
        snap = self.snapshot()
        have = snap.df.get(word, 0)
        if have > RARE_DF:
            return None
        for fix, _ in self.corrections(word, limit=3):
            if fix != word and OSA.distance(word, fix) <= 1 and snap.df.get(fix, 0) >= ratio * max(have, 1):
                return fix
        return None

    def prefixed(self, prefix: str, limit: int = 10) -> list[tuple[str, int]]:
        """Words starting with ``prefix``, most frequent first."""
        snap = self.snapshot()
        words = snap.sorted_words
        i = bisect.bisect_left(words, prefix)
        out: list[tuple[str, int]] = []
        while i < len(words) and words[i].startswith(prefix) and len(out) < 500:
            out.append((words[i], snap.df[words[i]]))
            i += 1
        out.sort(key=lambda kv: -kv[1])
        return out[:limit]
