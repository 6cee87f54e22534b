"""How much of a request naming no kind of document each candidate's name covers.

A request that names a kind ("the SWMS for …") is weighed by search/intent.py: the kind outweighs
incidental words. One that names none ("the MR upgrades rollout schedule for QPS") has only its
words, and retrieval counts every matched word alike, so a QA handbook saying "MR" and "QPS" can
rank above the rollout schedule saying "QPS ROLLOUT - Schedule". Here each candidate keeps a share of
its score by how much of the request its name, folders and project hold, each word weighed by its
rarity among the candidates (``rollout``, in a few names, counts more than ``qps``, in all of them).
Words a candidate's text holds but its name does not (it matched every word) count
:data:`TEXT_SHARE`: a name saying them says more. Why: ``covers: upgrades rollout schedule qps``.

The words' rarity is read over the best :data:`COVER_SAMPLE` candidates by fused score (:meth:`learn`),
a set that does not depend on the page asked for, so page 2 is weighed as page 1; the factor (at
most 1) is then part of each candidate's score (:meth:`effect`), so the bounded ranking's stopping
rule (documents.py ``best``) stays exact.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from ..repo import ProjectRow
from ..repo.documents import DocumentFacts
from .intent import FormTest, asks_kind, content_words, holding, project_words, word_forms, words_held
from .query import ParsedQuery
from .reasons import Reason

MAX_COVER_WORDS = 12
"""Words of a long request weighed (each is looked for in every scored candidate's name)."""
COVER_SAMPLE = 64
"""Candidates the words' rarity is read over (the best by fused score)."""
COVER_FLOOR, TEXT_SHARE = 0.2, 0.5
"""A candidate whose name, folders and project hold none of the words keeps ``COVER_FLOOR`` of its
score; a word only its text holds counts ``TEXT_SHARE`` of one its name holds."""


def cover_words(pq: ParsedQuery) -> list[str]:
    """The words weighed: those of a request naming no kind, when it has two or more (one word is
    matched or not by retrieval alone); at most :data:`MAX_COVER_WORDS`."""
    if asks_kind(pq):
        return []
    words = content_words(pq)[:MAX_COVER_WORDS]
    return words if len(words) > 1 else []


def cover_weights(words: list[str], found: Iterable[list[str]], candidates: int) -> dict[str, float]:
    """Each word's weight ``log(candidates / holding)`` over the candidates whose names hold it
    (``found``: each candidate's words); a word no name holds, or every name, weighs nothing (it
    tells no candidate from another)."""
    return {w: math.log(candidates / n) if n else 0.0 for w, n in holding(words, found).items()}


def cover_share(found: list[str], weight: Mapping[str, float], total: float, in_text: bool) -> float:
    """A candidate's share of the words its name holds (``found``); matched on every word
    (``in_text``), it holds the rest in its text, at :data:`TEXT_SHARE`."""
    said = sum(weight[w] for w in found)
    return (said + TEXT_SHARE * (total - said) if in_text else said) / total


class Coverage:
    """Name coverage of one request (:meth:`of` is None when it does not apply)."""

    def __init__(
        self,
        words: list[str],
        pq: ParsedQuery,
        projects: Mapping[int, ProjectRow],
        sources: Mapping[int, Sequence[str]],
    ) -> None:
        self.words = words
        self.forms = word_forms(pq, words)
        self.test = FormTest(self.forms)
        self.projects = projects
        self.sources = sources
        self._project_held: dict[int, frozenset[str]] = {}  # project -> the words its project_words hold
        self._held: dict[int, list[str]] = {}
        self.weight: dict[str, float] = {}
        self.total = 0.0

    @classmethod
    def of(
        cls, pq: ParsedQuery, projects: Mapping[int, ProjectRow], sources: Mapping[int, Sequence[str]]
    ) -> Coverage | None:
        words = cover_words(pq)
        return cls(words, pq, projects, sources) if words else None

    def covered(self, d: DocumentFacts) -> list[str]:
        """The words (any of their forms: ``MR`` / ``meeting room``, a typo's fix) that ``d``'s
        name, folders and project hold."""
        held = self._held.get(d.id)
        if held is None:  # read once for the weights and again for the score
            have = self._project_held.get(d.project_id)
            if have is None:
                have = self._project_held[d.project_id] = frozenset(
                    words_held(self.forms, project_words(d, self.projects))
                )
            path = self.test.held_by(d.project_rel_path, have)
            held = self._held[d.id] = [w for w in self.forms if w in have or w in path]
        return held

    def learn(self, sample: Iterable[DocumentFacts]) -> None:
        """The words' weights from ``sample`` (the best :data:`COVER_SAMPLE` candidates by fused
        score; a set the page asked for does not change)."""
        found = [self.covered(d) for d in sample]
        self.weight = cover_weights(self.words, found, len(found)) if found else {}
        self.total = sum(self.weight.values())

    def effect(self, d: DocumentFacts, lists: Sequence[str] | None = None) -> tuple[float, str]:
        """``d``'s score multiplier (at most 1; 1 when the words tell no candidate apart) and why
        (``lists``: the fused lists that had ``d``, when the caller has them already)."""
        if not self.total:
            return 1.0, ""
        ws = self.covered(d)
        if lists is None:
            lists = self.sources.get(d.id, ())
        share = cover_share(ws, self.weight, self.total, "lexical" in lists)
        # The share is also the learned ranker's ``cover_share`` column (search/features.py).
        return COVER_FLOOR + (1 - COVER_FLOOR) * share, Reason(
            "covers: " + " ".join(ws), "cover_share", share
        ) if ws else ""
