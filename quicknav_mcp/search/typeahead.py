"""Type-ahead: what a search box shows at each keystroke, from a bounded, fast path.

The full search (:meth:`SearchService.search_documents`) reads hundreds of candidates from six
retrievers and ranks them with facts, facets and a learned model: right for a finished query, too slow
to run per keystroke on a short prefix ("sys" matches 30,000 documents at 116k). Type-ahead answers
a partly typed query with real matches of the typed text, at a cost bounded by constants:

- **projects** from the in-memory list of project folders: every typed word starts the code, a word
  of the folder name or a client name;
- **documents** through FTS5: every typed word (the last one being typed) stands for the word itself
  or its :data:`COMPLETIONS` most common completions from the vocabulary, so FTS5 never merges every
  word of a short prefix; the newest :data:`WINDOW` matches in file names are read (then, when they
  are too few, the newest matches anywhere: folders, project, family words, text) and ranked by
  where and how well the words matched, weighted by rarity, plus a static prior (archived copies and
  handover duplicates sink, newer files rise a little). FTS5's ``bm25()`` is not used: it counts every
  match of each word before scoring the first row, the very cost this path avoids.

Callers show it while the user types and run the full search when they pause or press Enter.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import math
import threading
import time
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, Field

from ..errors import InvalidInput
from ..repo import DocumentRepo
from ..services.projects import ProjectService
from ..store import DatabaseError, Store, StoreError
from ..validation import bounded_int, clean_text
from .current import CurrentRevisions
from .highlight import highlight
from .models import DocumentHit, ProjectHit
from .popularity import NoPopularity, PopularitySource
from .project_names import NamedProject, NameIndex, ProjectNames
from .text import _TOKEN, fts_quote, tokens
from .versions import Versions
from .vocab import Vocabulary

log = logging.getLogger(__name__)

_TRIGRAM, _WORDS = "search_docs_tri", "search_docs"  # file names (substrings); every indexed field (words)
COMPLETIONS = 6  # a word being typed stands for its this-many most common completions (and itself)
WINDOW = 300  # newest matches read from FTS5 per keystroke, ranked here
MAX_WORDS = 6  # words of a query looked at (a longer text is a finished query: the full search's job)
MAX_CHARS = 200
SCAN_COMPLETIONS = 5_000  # vocabulary words starting with a prefix looked at to pick the most common
RECHECK_S = 30.0  # the vocabulary and project list are asked at least this often (popularity moves too)
NAME_WEIGHT, ELSEWHERE_WEIGHT = 3.0, 1.0  # a word in the file name counts this much more than elsewhere


class TypeaheadResult(BaseModel):
    """What to show for a partly typed query: a few projects and documents matching every typed word."""

    query: str
    projects: list[ProjectHit]
    documents: list[DocumentHit]
    words: list[list[str]] = Field(
        default_factory=list, description="Per typed word: the indexed words it stood for (completions of a prefix)"
    )
    bounded: bool = Field(
        False, description="More documents matched than were ranked (the newest were): the full search ranks all"
    )
    search_time_ms: float


class Typeahead:
    """Per-keystroke answers over one store; thread-safe."""

    def __init__(
        self,
        store: Store,
        projects: ProjectService,
        vocab: Vocabulary,
        popularity: PopularitySource | None = None,
        *,
        names: ProjectNames | None = None,
    ) -> None:
        """``store``: the search's store; type-ahead reads through a read-only connection of its own
        to the same file, so a keystroke never waits for a full search's query on the shared one.
        ``names``: the projects' words shared with the other readers (else its own)."""
        self.store = store
        self.projects = projects
        self.vocab = vocab
        self.popularity = popularity or NoPopularity()
        self._lock = threading.Lock()
        self._reader: Store | None = None
        self.versions = Versions(store)
        self.rows = DocumentRepo(store)
        self.current = CurrentRevisions(self.rows, self.versions)
        self._seen: tuple[object, float] = (None, 0.0)  # (change counters, when) the caches were checked
        self._snap: Any = None
        self.names = names or ProjectNames(projects)
        self._index = NameIndex()  # the shared build, taken again when the index changed
        self._scale: tuple[object, float] = (None, 1.0)  # (vocabulary snapshot, its largest document frequency)

    def search(self, text: object, limit: object = 10, projects_limit: object = 5) -> TypeaheadResult:
        """Projects and documents matching every word of ``text`` (the last one possibly unfinished)."""
        t0 = time.perf_counter()
        self._open()
        query = clean_text(text, "q", max_len=MAX_CHARS, allow_empty=True)
        n_docs = bounded_int(limit, "limit", 0, 50)
        n_projects = bounded_int(projects_limit, "projects_limit", 0, 20)
        words = tokens(query)[:MAX_WORDS]
        if not words:
            raise InvalidInput("q is empty: type the start of a project number, name or document name")
        typing = not (isinstance(text, str) and text[-1:].isspace())  # the last word is still being typed
        projects = self._projects(words, n_projects) if n_projects else []
        groups = self._word_groups(words, typing)
        docs, bounded = self._documents(groups, words, typing, n_docs) if n_docs else ([], False)
        return TypeaheadResult(
            query=query,
            projects=projects,
            documents=docs,
            words=groups or [],
            bounded=bounded,
            search_time_ms=round((time.perf_counter() - t0) * 1000, 2),
        )

    # ---- its own connection and caches ----------------------------------------------------------
    def _open(self) -> None:
        """The private reader (once), and the shared caches looked at again when the index changed."""
        if self._reader is None:
            with self._lock:
                if self._reader is None:
                    try:
                        self._reader = Store(self.store.path, readonly=True)
                    except StoreError as exc:  # e.g. a store that is not a file: share its connection
                        log.debug("type-ahead shares the search connection: %s", exc)
                        self._reader = self.store
                    self.versions = Versions(self._reader)
                    self.rows = DocumentRepo(self._reader)
                    self.current = CurrentRevisions(self.rows, self.versions)
        # The vocabulary and the project list check the shared connection on every call: only when the
        # counters (read here, on the private one) moved, or now and then, are they asked again.
        seen = self.versions.get("documents", "content", "projects")
        if seen != self._seen[0] or time.monotonic() - self._seen[1] > RECHECK_S or self._snap is None:
            self._snap = self.vocab.snapshot()
            self._project_index(refresh=True)
            self._seen = (seen, time.monotonic())

    def close(self) -> None:
        with self._lock:
            reader, self._reader = self._reader, None
        if reader is not None and reader is not self.store:
            reader.close()

    # ---- projects ------------------------------------------------------------------------------
    def _project_index(self, *, refresh: bool = False) -> NameIndex:
        if refresh:
            self._index = self.names.index()
        return self._index

    def _projects(self, words: list[str], limit: int) -> list[ProjectHit]:
        """Projects whose code or name words start with every typed word, best first: a code match,
        then words matched early in the folder name, then use lately, then the newest code."""
        index = self._project_index()
        candidates: set[int] | None = None
        for w in sorted(words, key=len, reverse=True):  # the longest word first: the fewest candidates
            found = index.starting(w)
            candidates = found if candidates is None else candidates & found
            if not candidates:
                return []
        popular = self.popularity.popularity_map()
        ranked: list[tuple[tuple[float, ...], NamedProject, list[str]]] = []
        for i in candidates or ():
            e = index.entries[i]
            why: list[str] = []
            first = 99
            for w in words:
                if e.code.startswith(w):
                    why.append("code" if e.code == w else "code starts")
                    continue
                at = next((n for n, pw in enumerate(e.words) if pw.startswith(w)), 99)
                first = min(first, at)
                why.append("name" if at < len(e.words) and e.words[at] == w else "name word starts")
            code_hit = any(y.startswith("code") for y in why)
            ranked.append(((0.0 if code_hit else 1.0, float(first), -popular.get(e.code, 0.0), -e.number), e, why))
        best = heapq.nsmallest(limit, ranked, key=lambda f: f[0])
        prefixes = [w for w in words if len(w) >= 2]
        return [
            ProjectHit(
                **e.row.summary().model_dump(),
                score=round(1.0 / (1 + i), 3),
                why=list(dict.fromkeys(why)),
                highlight=highlight(e.row.name, set(words), prefixes),
            )
            for i, (_key, e, why) in enumerate(best)
        ]

    # ---- documents -----------------------------------------------------------------------------
    def completions(self, prefix: str, limit: int = COMPLETIONS) -> list[str]:
        """Indexed words starting with ``prefix``, most common first (``prefix`` itself, when indexed, first)."""
        snap = self._snap
        words = snap.sorted_words
        i = bisect.bisect_left(words, prefix)
        j = min(len(words), i + SCAN_COMPLETIONS)
        span = [w for w in words[i:j] if w.startswith(prefix)] if i < len(words) else []
        best = heapq.nlargest(limit, span, key=lambda w: snap.df.get(w, 0))
        if prefix in snap.df:
            best = [prefix, *(w for w in best if w != prefix)][:limit]
        return best

    def _word_groups(self, words: list[str], typing: bool) -> list[list[str]] | None:
        """For every typed word, the indexed words it stands for; None when one stands for nothing."""
        snap = self._snap
        groups: list[list[str]] = []
        for n, w in enumerate(words):
            last = n == len(words) - 1
            if w in snap.df and not (last and typing):
                groups.append([w])
                continue
            alts = self.completions(w)  # an unfinished word (the last), or one the index lacks: a prefix
            if not alts:
                return None
            groups.append(alts)
        return groups

    def _documents(
        self, groups: list[list[str]] | None, words: list[str], typing: bool, limit: int
    ) -> tuple[list[DocumentHit], bool]:
        snap = self._snap
        exact = [w in snap.df and not (n == len(words) - 1 and typing) for n, w in enumerate(words)]
        rows: list[tuple[int, str, bool, bool, float]] = []
        bounded = False
        # File names first, through the trigram index of names (substrings: each kept row is checked
        # word by word below); words of one or two letters cannot be looked up there, only checked.
        long_words = [w for w in words if len(w) >= 3]
        named: dict[int, tuple[list[str], list[str] | None]] = {}  # id -> (name tokens, what each word hit)
        if long_words:
            found = self._window(_TRIGRAM, " AND ".join(fts_quote(w) for w in long_words))
            bounded = len(found) >= WINDOW
            for r in found:
                toks = _name_tokens(r[1])
                hits = _name_hits(toks, words, exact)
                if hits is not None:
                    rows.append(r)
                    named[r[0]] = (toks, hits)
        # Too few in names to fill the answer: matches in folders, project, family words, text (a name hit
        # outranks them anyway, three times the weight).
        if groups and len(rows) < limit:
            seen = {r[0] for r in rows}
            expr = " AND ".join("(" + " OR ".join(fts_quote(t) for t in g) + ")" for g in groups)
            more = self._window(_WORDS, expr)
            bounded = bounded or len(more) >= WINDOW
            rows += [r for r in more if r[0] not in seen]
        if not rows:
            return [], False
        total = self._total(snap)

        idfs: dict[str, float] = {}

        def idf(token: str) -> float:
            value = idfs.get(token)
            if value is None:
                value = idfs[token] = math.log(1 + total / (1 + snap.df.get(token, 0)))
            return value

        by_age = sorted(r[4] for r in rows)
        scored: list[tuple[float, int, list[str]]] = []
        for doc_id, name, archive, copy, mtime in rows:
            name_tokens, hits = named.get(doc_id) or _named(name, words, exact)
            score, why = 0.0, []
            for n, w in enumerate(words):
                hit = hits[n] if hits is not None else None
                if hit is not None:
                    score += NAME_WEIGHT * idf(hit)
                    why.append(f"name: {hit}")
                else:  # matched outside the name (the FTS query says so): as rare as its rarest alternative
                    alts = groups[n] if groups else [w]
                    score += ELSEWHERE_WEIGHT * min(idf(t) for t in alts)
                    why.append(f"{w}{'' if exact[n] else '…'} in folders, project or text")
            if hits is not None and name_tokens[:1] and name_tokens[0].startswith(words[0]):
                score += 1.0  # the name starts with what is typed
            score -= 3.0 * archive + 1.0 * copy  # archived and handover copies are rarely what is wanted
            score += 0.5 * bisect.bisect_left(by_age, mtime) / len(by_age)  # newer files a little higher
            scored.append((score, doc_id, why))
        best = heapq.nlargest(limit, scored, key=lambda s: (s[0], s[1]))
        found_rows = self.rows.by_ids([d for _, d, _ in best])
        self.current.mark(found_rows)
        complete = {w for w, e in zip(words, exact, strict=True) if e} | {t for g in groups or [] for t in g}
        prefixes = [w for w, e in zip(words, exact, strict=True) if not e]
        out = []
        for score, doc_id, why in best:
            d = found_rows.get(doc_id)
            if d is None:  # deleted since the window was read
                continue
            out.append(
                DocumentHit(
                    **d.info_fields(),
                    project_name=d.project_name,
                    ext=d.ext,
                    score=round(score, 3),
                    snippet=highlight(d.name, complete, prefixes),
                    why=list(dict.fromkeys(why)),
                )
            )
        return out, bounded

    def _total(self, snap: object) -> float:
        """The vocabulary's largest document frequency (~ the documents indexed), once per snapshot."""
        with self._lock:
            if self._scale[0] is snap:
                return self._scale[1]
        total = float(max(snap.df.values(), default=1) or 1)  # type: ignore[attr-defined]
        with self._lock:
            self._scale = (snap, total)
        return total

    def _window(self, table: str, match: str) -> list[tuple[int, str, bool, bool, float]]:
        """The newest :data:`WINDOW` documents matching ``match`` in ``table`` with what the ranking reads
        (newest first, so FTS5 stops after the window instead of ranking every match)."""
        sql = (
            "SELECT d.id, d.name, d.is_archive, d.is_handover_copy, d.mtime FROM "
            f"(SELECT rowid AS id FROM {table} WHERE {table} MATCH ? ORDER BY rowid DESC LIMIT ?) m "
            "CROSS JOIN documents d ON d.id = m.id"
        )
        try:
            rows = (self._reader or self.store).query(sql, (match, WINDOW))
        except DatabaseError:  # every word is quoted: never expected; an empty answer, not an error
            return []
        return [(r[0], r[1], bool(r[2]), bool(r[3]), float(r[4] or 0.0)) for r in rows]


def _name_tokens(name: str) -> list[str]:
    """:func:`.text.tokens` of a file name; most are ASCII, where folding is lower-casing (3x faster)."""
    return _TOKEN.findall(name.lower()) if name.isascii() else tokens(name)


def _named(name: str, words: list[str], exact: list[bool]) -> tuple[list[str], list[str] | None]:
    toks = _name_tokens(name)
    return toks, _name_hits(toks, words, exact)


def _name_hits(name_tokens: list[str], words: list[str], exact: list[bool]) -> list[str] | None:
    """For every typed word the name token it matched (the word itself when ``exact``, else a word
    starting with it), or None when one is not in the name."""
    hits = []
    for w, e in zip(words, exact, strict=True):
        hit = next((t for t in name_tokens if (t == w if e else t.startswith(w))), None)
        if hit is None:
            return None
        hits.append(hit)
    return hits


def prefix_matches(text: str, query: str) -> bool:
    """Whether every word of ``query`` starts a word of ``text`` (what a type-ahead match means)."""
    have = tokens(text)
    return all(any(h.startswith(w) for h in have) for w in tokens(query))


__all__: Sequence[str] = ["Typeahead", "TypeaheadResult", "prefix_matches"]
