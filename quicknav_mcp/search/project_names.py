"""The words of every project's folder and client names, folded once per project list and shared.

Type-ahead (prefix lookups per keystroke), autocomplete (word-start keys) and project search's
re-ranking (how many request words a name covers) all read the same words: each project's folder
name, client abbreviation and fuller client names as the index folds them (:func:`.text.tokens`).
:class:`ProjectNames` builds them once per project list (the project service hands out a new list
when the projects change) and every reader takes the same build.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass, field

from ..repo import ProjectRow
from ..services.projects import ProjectService
from .text import tokens


@dataclass(frozen=True, slots=True)
class NamedProject:
    """One project's folded words."""

    row: ProjectRow
    code: str
    number: float  # the code as a number: newer projects have higher codes
    name_words: tuple[str, ...]  # the folder name's
    client_words: tuple[tuple[str, ...], ...]  # each of (client, *client_names)'s, "" for no client
    words: tuple[str, ...]  # folder name, then client abbreviation and fuller names (the code excluded)
    word_set: frozenset[str]
    joined: str  # " " before each word: ``" " + prefix in joined`` tests whether a word starts with it


@dataclass(slots=True)
class NameIndex:
    """One build: the projects' words in list order, every word (codes too) sorted, with its projects."""

    records: list[ProjectRow] | None = None
    entries: list[NamedProject] = field(default_factory=list)
    words: list[str] = field(default_factory=list)
    postings: dict[str, list[int]] = field(default_factory=dict)
    by_id: dict[int, NamedProject] = field(default_factory=dict)

    @classmethod
    def build(cls, records: list[ProjectRow]) -> NameIndex:
        entries: list[NamedProject] = []
        postings: dict[str, list[int]] = {}
        for i, r in enumerate(records):
            name_words = tuple(tokens(r.name))
            client_words = tuple(tuple(tokens(c or "")) for c in (r.client, *r.client_names))
            words = name_words + tuple(w for c in client_words for w in c)
            number = float(r.code) if r.code.isdigit() else 0.0
            joined = "".join(" " + w for w in words)
            entries.append(NamedProject(r, r.code, number, name_words, client_words, words, frozenset(words), joined))
            for w in {r.code, *words}:
                postings.setdefault(w, []).append(i)
        return cls(records, entries, sorted(postings), postings, {e.row.id: e for e in entries})

    def starting(self, prefix: str) -> set[int]:
        """Entries with a word (or the code) starting with ``prefix``."""
        out: set[int] = set()
        i = bisect.bisect_left(self.words, prefix)
        while i < len(self.words) and self.words[i].startswith(prefix):
            out.update(self.postings[self.words[i]])
            i += 1
        return out


class ProjectNames:
    """The current :class:`NameIndex` of the project service's list (thread-safe)."""

    def __init__(self, projects: ProjectService) -> None:
        self.projects = projects
        self._lock = threading.Lock()
        self._index = NameIndex()

    def index(self) -> NameIndex:
        """The build of the project service's current list (built now if the list changed)."""
        records = self.projects.all()
        index = self._index
        if index.records is records:
            return index
        with self._lock:
            if self._index.records is not records:
                self._index = NameIndex.build(records)
            return self._index
