"""Typo-tolerant retrieval of projects: by their folder names (the project service's fuzzy
search) and by the client words of a query (``poolwrex`` -> Poolwerx's projects)."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Mapping

from rapidfuzz import process
from rapidfuzz.distance import OSA

from ..repo import ProjectRow
from ..services.projects import ProjectService
from .project_sites import ProjectsById, ProjectSites
from .query import ParsedQuery
from .text import STOPWORDS, tokens
from .vocab import Vocabulary, max_edits

_NO_SITES: dict[int, tuple[str, ...]] = {}
FUZZY_MIN_SCORE = 80  # project-service scores (0-100+) a fuzzy candidate needs


class ProjectWords:
    """Projects by id (with their learnt sites), and which projects each word of their client names belongs to."""

    sites: ProjectSites | None = None  # the projects' learnt sites (set by the search service)

    def __init__(self, projects: ProjectService, vocab: Vocabulary) -> None:
        self.projects = projects
        self.vocab = vocab
        self._lock = threading.Lock()
        self._records: object = None
        # The sites build the projects by id carry (its number, sites, words).
        self._served: tuple[int, Mapping[int, tuple[str, ...]], Mapping[int, frozenset[str]] | None] = (-1, {}, None)
        self._by_id: ProjectsById = ProjectsById()
        self._by_token: dict[str, set[int]] = {}
        self._token_list: list[str] = []

    def index(self) -> tuple[dict[int, ProjectRow], dict[str, set[int]], list[str]]:
        """Projects by id, the projects of each client word, and the words of 4+ letters.

        Rebuilt when the project service reloads its records (a new list), not on every commit:
        analytics writes would otherwise rebuild it on almost every query."""
        records = self.projects.all()
        served: tuple[int, Mapping[int, tuple[str, ...]], Mapping[int, frozenset[str]] | None] = (0, _NO_SITES, None)
        if self.sites is not None:
            self.sites.current()
            served = self.sites.served()
        with self._lock:
            # A later build of the sites (never an earlier one a slower thread read): the same rows,
            # carrying them (cheap; the words below stay).
            if served[0] > self._served[0] or records is not self._records:
                if served[0] > self._served[0]:
                    self._served = served
                self._by_id = ProjectsById(records, self._served[1], self._served[2])
            if records is not self._records:
                by_token: dict[str, set[int]] = defaultdict(set)
                for rec in records:
                    # Client abbreviations and names only: folder words (cities, "upgrade") are too
                    # common to point at a project on their own.
                    for text in (rec.client or "", *rec.client_names):
                        for tok in tokens(text):
                            if len(tok) >= 2 and not tok.isdigit():
                                by_token[tok].add(rec.id)
                self._by_token = dict(by_token)
                self._token_list = [t for t in by_token if len(t) >= 4]
                self._records = records
        return self._by_id, self._by_token, self._token_list

    def by_id(self) -> dict[int, ProjectRow]:
        return self.index()[0]

    def hints(self, pq: ParsedQuery, corrections: dict[str, str]) -> tuple[set[int], list[str]]:
        """Projects that some query words identify (client names, site words), and those words."""
        by_id, by_token, token_list = self.index()
        if not by_id:
            return set(), []
        cap = max(3, len(by_id) // 50)
        hinted: set[int] = set()
        used: list[str] = []
        snap = self.vocab.snapshot()
        for term in pq.terms:
            if term in STOPWORDS or len(term) < 3 or term.isdigit():
                continue
            ids = by_token.get(term)
            if ids is None and term not in snap.project_df and len(term) >= 4 and token_list:
                best = _closest(term, by_token, token_list)
                if best is not None:
                    ids = by_token.get(best)
                    corrections.setdefault(term, best)
            if ids and len(ids) <= cap:
                hinted |= ids
                used.append(term)
        return hinted, used

    def closest_client_word(self, term: str) -> str | None:
        """The client word a slip of ``term`` most likely meant: fewest edits (a swap of neighbouring
        letters is one), then a shared first letter, then the word of most projects."""
        _, by_token, token_list = self.index()
        return _closest(term, by_token, token_list)

    def by_name(self, words: str) -> list[int]:
        """Projects whose folder or client names are close to ``words``, best first."""
        return [m.project.id for m in self.projects.search(words, limit=50) if m.score >= FUZZY_MIN_SCORE]


def _closest(term: str, by_token: Mapping[str, set[int]], token_list: list[str]) -> str | None:
    """:meth:`ProjectWords.closest_client_word` over one read of the index."""
    found = process.extract(term, token_list, scorer=OSA.distance, score_cutoff=max_edits(term), limit=8)
    if not found:
        return None
    return min(found, key=lambda f: (f[1], f[0][:1] != term[:1], -len(by_token[f[0]])))[0]
