"""Project lookup: exact codes, substring and typo-tolerant search over names and clients."""

from __future__ import annotations

import bisect
import re
import threading
from dataclasses import dataclass
from itertools import repeat
from operator import itemgetter

from rapidfuzz import fuzz, process, utils

from ..errors import NotFound
from ..memo import remember
from ..models import ProjectDetail, ProjectPage
from ..repo import ProjectRepo, ProjectRow
from ..store import Store
from ..validation import bounded_int, project_code
from .project_grams import Trigrams

FUZZY_CUTOFF = 72
SIMILAR_MEMO_WORDS = 4096  # misspelt words remembered per vocabulary (at most ~8 MB, 20 matches each)


def find_literal(hay: str, needle: str) -> int:
    """Where ``needle`` occurs in ``hay`` with its digit runs whole, or -1.

    Letters may match part of a word (``poolw`` finds Poolwerx), but digits at either end of
    ``needle`` must not continue in ``hay``: ``501`` is not in ``(2501)`` and ``2161`` is not
    in ``21614``, because a number that is part of a longer number names something else.
    """
    lead, trail = needle[:1].isdigit(), needle[-1:].isdigit()
    pos = hay.find(needle)
    while pos >= 0:
        end = pos + len(needle)
        if not (lead and pos > 0 and hay[pos - 1].isdigit()) and not (trail and end < len(hay) and hay[end].isdigit()):
            return pos
        pos = hay.find(needle, pos + 1)
    return -1


class Literals:
    """Every haystack in one string, to find which hold a word (:func:`find_literal`'s test) in C
    loops: a short or numeric query word is looked for in every project's string (a Python loop
    over 5,000 strings and each hit's test cost ~1 ms)."""

    def __init__(self, haystacks: list[str]) -> None:
        # default_process leaves no line breaks: a word (one token) never matches across two strings.
        self._text = "\n".join(haystacks) if not any("\n" in hay for hay in haystacks) else None
        self._haystacks = haystacks
        self._starts = [0]
        for hay in haystacks[:-1]:
            self._starts.append(self._starts[-1] + len(hay) + 1)
        # The characters ``str.isdigit`` takes for digits (more than regular expressions' ``\d``).
        digits = sorted({ch for ch in set(self._text or "") if ch.isdigit()})
        self._digit = "[" + "".join(re.escape(ch) for ch in digits) + "]" if digits else r"[^\s\S]"  # none

    def holding(self, word: str) -> list[int]:
        """Indexes (ascending) of the strings where ``find_literal(hay, word) >= 0``."""
        text = self._text
        if text is None:
            return [i for i, hay in enumerate(self._haystacks) if word in hay and find_literal(hay, word) >= 0]
        w = re.escape(word)
        # find_literal's test: a digit at either end of the word must not continue in the string.
        pattern = w + (f"(?<!{self._digit}{w})" if word[:1].isdigit() else "")
        pattern += f"(?!{self._digit})" if word[-1:].isdigit() else ""
        search = re.compile(pattern).search
        starts = self._starts
        out: list[int] = []
        found = search(text)
        while found is not None:
            i = bisect.bisect_right(starts, found.start()) - 1
            out.append(i)
            if i + 1 == len(starts):
                break
            found = search(text, starts[i + 1])  # the next string: one hit each is enough
        return out


def _has_digit(word: str) -> bool:
    return any(ch.isdigit() for ch in word)


@dataclass(frozen=True, slots=True)
class ProjectMatch:
    project: ProjectRow
    score: float
    why: str


class ProjectService:
    """Finds projects. Keeps an in-memory view of the (small) projects table for fast search,
    refreshed whenever the store reports a change."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.rows = ProjectRepo(store)
        self._lock = threading.Lock()
        self._generation: object = None
        self._fingerprint: object = None
        self._records: list[ProjectRow] = []
        self._by_code: dict[str, list[ProjectRow]] = {}
        self._vocab: list[str] = []
        self._postings: dict[str, list[int]] = {}
        # Each misspelled word's close vocabulary words, for the vocabulary they were found in (a new
        # list starts a new memo): rapidfuzz over ~6,000 words costs ~0.3 ms a word, and users repeat words.
        self._similar: tuple[list[str], dict[str, list[tuple[str, float]]]] = ([], {})
        # haystacks, their trigrams and the whole of them
        self._lookup: tuple[list[str], Trigrams, Literals] = ([], Trigrams([]), Literals([]))

    # ---- cache -------------------------------------------------------------------------
    def _refresh(self) -> list[ProjectRow]:
        generation = self.store.generation()
        with self._lock:
            if generation == self._generation:
                return self._records
            # Any commit moves the generation (analytics writes events all the time); reload only
            # when the projects themselves changed.
            fingerprint = self.rows.fingerprint()
            self._generation = generation
            if fingerprint == self._fingerprint:
                return self._records
            self._fingerprint = fingerprint
            records = self.rows.all()
            by_code: dict[str, list[ProjectRow]] = {}
            for rec in records:
                by_code.setdefault(rec.code, []).append(rec)
            self._records = records
            self._by_code = by_code
            # One searchable string per project: folder name plus every client name, pre-normalised
            # so rapidfuzz does not redo it on each query.
            haystacks = [
                utils.default_process(" ".join((rec.name, rec.client or "", *rec.client_names))) for rec in records
            ]
            # Word vocabulary with postings: typo tolerance compares the query's words with this
            # short list instead of every folder name.
            postings: dict[str, set[int]] = {}
            for i, hay in enumerate(haystacks):
                for word in hay.split():
                    if len(word) >= 3:
                        postings.setdefault(word, set()).add(i)
            self._postings = {w: sorted(ids) for w, ids in postings.items()}
            self._vocab = list(self._postings)
            # one swap: a search never pairs old with new
            self._lookup = (haystacks, Trigrams(haystacks), Literals(haystacks))
            self._generation = generation
            return records

    def all(self) -> list[ProjectRow]:
        return self._refresh()

    # ---- lookups -----------------------------------------------------------------------
    def by_code(self, code: str) -> list[ProjectRow]:
        """Every project folder with this exact 5-digit code (several folders can share one)."""
        code = project_code(code)
        self._refresh()
        return list(self._by_code.get(code, ()))

    def require(self, code: str) -> list[ProjectRow]:
        found = self.by_code(code)
        if not found:
            hint = "" if self._records else "; the index is empty: run `quicknav index` or the reindex tool"
            raise NotFound(f"project {code} not found in the index{hint}")
        return found

    def search(self, term: str, limit: int = 20) -> list[ProjectMatch]:
        """Substring and fuzzy matches over folder names, client abbreviations and fuller
        client names, best first. ``term`` must already be validated."""
        records = self._refresh()
        if not records:
            return []
        needle = utils.default_process(term)
        if not needle:
            return []
        tokens = needle.split()
        # Only text that starts or ends with a digit needs the (slower) whole-number check.
        whole = needle[0].isdigit() or needle[-1].isdigit()
        numeric = [t for t in tokens if t[0].isdigit() or t[-1].isdigit()]
        scores: dict[int, tuple[float, str]] = {}
        haystacks, grams, _ = self._lookup
        # Only the strings sharing the text's trigrams can match.
        for i in grams.candidates(needle, tokens):
            hay = haystacks[i]
            pos = (find_literal(hay, needle) if whole else hay.find(needle)) if needle in hay else -1
            if pos >= 0:
                # Whole-phrase substring: best; earlier and word-aligned hits rank higher.
                aligned = pos == 0 or hay[pos - 1] == " "
                scores[i] = (100.0 + (5 if aligned else 0) - min(pos, 50) / 50, "substring")
            elif len(tokens) > 1 and all(t in hay for t in tokens) and all(find_literal(hay, t) >= 0 for t in numeric):
                scores[i] = (95.0, "all words")
        # Typo tolerance, only when nothing matched literally (a literal hit always outranks a
        # fuzzy one, and skipping the fuzzy pass keeps common lookups well under a millisecond).
        if not scores and len(needle) >= 3:
            scores = self._fuzzy(tokens, limit)
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1][0], records[kv[0]].code))
        return [ProjectMatch(records[i], round(s, 2), why) for i, (s, why) in ranked[:limit]]

    def _fuzzy(self, tokens: list[str], limit: int) -> dict[int, tuple[float, str]]:
        """Each query word is matched against the vocabulary (typos, transpositions); a project
        scores the mean of its words' best similarities, so every word has to be close.

        Words too short to have typos, and words with digits, count only where they occur
        literally: a number is never a typo of another (``phase 1`` is not Phase 2, ``501`` is
        not 2501), and its digit runs must be whole.
        """
        literals = self._lookup[2]
        postings = self._postings
        columns: list[dict[int, float]] = []  # each word's best similarity per project
        met: dict[int, float] = {}  # every project any word found, in the order first found (ties keep it)
        for word in tokens:
            if len(word) < 3 or _has_digit(word):
                best = dict.fromkeys(literals.holding(word), 100.0)
                met.update(best)
                columns.append(best)
                continue
            hits = [(word, 100.0)] if word in postings else self._similar_words(word)
            best = {}
            for vocab_word, _ in hits:
                met.update(dict.fromkeys(postings.get(vocab_word, ()), 0.0))
            # Lowest first: each project keeps its best (dict updates over a word's projects run in C).
            for vocab_word, score in sorted(hits, key=itemgetter(1)):
                best.update(dict.fromkeys(postings.get(vocab_word, ()), score))
            columns.append(best)
        ids = list(met)
        n = len(tokens)
        totals = map(sum, zip(*(list(map(best.get, ids, repeat(0.0))) for best in columns), strict=True))
        out: dict[int, tuple[float, str]] = {}
        for i, total in zip(ids, totals, strict=True):
            mean = total / n
            if mean >= FUZZY_CUTOFF:
                out[i] = (round(mean * 0.9, 2), "fuzzy")
        return out

    def _similar_words(self, word: str) -> list[tuple[str, float]]:
        """The vocabulary words close to ``word`` (at most 20, best first) with their similarities."""
        vocab = self._vocab
        seen_in, memo = self._similar
        if seen_in is not vocab:
            memo = {}
            self._similar = (vocab, memo)
        hits = memo.get(word)
        if hits is None:
            cutoff = FUZZY_CUTOFF + (8 if len(word) < 5 else 0)
            found = process.extract(word, vocab, scorer=fuzz.ratio, processor=None, limit=20, score_cutoff=cutoff)
            hits = remember(memo, word, [(w, score) for w, score, _ in found], SIMILAR_MEMO_WORDS)
        return hits

    def page(self, offset: int = 0, limit: int = 100) -> ProjectPage:
        """Projects in code order, a page at a time."""
        offset = bounded_int(offset, "offset", 0, 10_000_000)
        limit = bounded_int(limit, "limit", 1, 500)
        records = self._refresh()
        chunk = records[offset : offset + limit]
        return ProjectPage(
            projects=[r.summary() for r in chunk],
            total_count=len(records),
            offset=offset,
            limit=limit,
        )

    def detail(self, code: str) -> list[ProjectDetail]:
        """Each folder with this code, with document counts by type and phase."""
        out: list[ProjectDetail] = []
        for rec in self.require(code):
            types, phases = self.rows.doc_breakdown(rec.id)
            out.append(
                ProjectDetail(
                    **rec.summary().model_dump(),
                    doc_types=types,
                    phases=phases,
                    indexed_at=rec.indexed_at,
                )
            )
        return out
