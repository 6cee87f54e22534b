"""Reciprocal rank fusion of ranked id lists, and the per-candidate re-ranking step of document search."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .query import ParsedQuery

RRF_K = 60
DRAFT_TAGS = ("DRAFT", "ENG DRAFT")
# Numbers a request can name: the candidate's attribute, the boost when it holds that number, the
# damping when it does not, and the reason shown (formatted with the number).
ASKED_NUMBERS = (
    ("revision", 2.0, 0.8, "rev {}"),
    ("room", 1.7, 0.8, "room {}"),
    ("change_order", 2.0, 0.7, "CO{}"),
)


def rrf(lists: Iterable[tuple[str, float, Sequence[int]]], k: int = RRF_K) -> tuple[dict[int, float], Sources]:
    """Fuse ranked id lists: ``score(id) = sum(weight / (k + rank))`` (an id's first place in a list
    counts, added up in the lists' order); also which lists had each id (:class:`Sources`).

    Each list's share is one dict built by C loops from the shares kept per weight (:func:`_shares`);
    only ids already fused from an earlier list are added up one by one (a search's ~200-600 ids:
    ~4x faster than a loop over every id)."""
    scores: dict[int, float] = {}
    held: list[tuple[str, Collection[int]]] = []
    for name, weight, ids in lists:
        if not ids:
            continue
        share = dict(zip(ids, _shares(weight, k, len(ids)), strict=False))  # (the shares may run longer)
        if len(share) != len(ids):  # an id repeats: its first place counts
            share = {}
            for rank, item in enumerate(ids, start=k + 1):
                if item not in share:
                    share[item] = weight / rank
        if scores:
            for item in share.keys() & scores.keys():
                share[item] = scores[item] + share[item]
            scores.update(share)  # ids new to the fusion come after the others, in this list's order
        else:
            scores = dict(share)
        held.append((name, share))  # (its keys are the list's ids, each once: only its values change)
    return scores, Sources(held, scores)


SHARES_KEPT = 64  # (weight, k) pairs whose shares are kept
_SHARES: dict[tuple[float, int], list[float]] = {}


def _shares(weight: float, k: int, n: int) -> Sequence[float]:
    """At least ``n`` shares ``weight / (k + rank)``, rank 1 first, worked out as :func:`rrf` always
    has: kept per float weight and ``k`` (a search fuses lists of a few fixed weights; dividing anew
    for every id of every list cost a search ~30-60 µs)."""
    if type(weight) is not float:  # (an int weight divides as an int: not shared with its float)
        return list(map(weight.__truediv__, range(k + 1, k + 1 + n)))
    key = (weight, k)
    found = _SHARES.get(key)
    if found is None or len(found) < n:
        found = list(map(weight.__truediv__, range(k + 1, k + 1 + max(n, 256, 2 * len(found or ())))))
        if len(_SHARES) >= SHARES_KEPT:  # (weights are a handful of constants; a NaN is never found again)
            _SHARES.clear()
        _SHARES[key] = found
    return found


class Sources(Mapping[int, list[str]]):
    """Which of the fused lists had each id, in the lists' order (what :func:`rrf` fused); worked
    out when an id is asked for: a search reads it for the few candidates it scores and shows."""

    __slots__ = ("_held", "_ids")

    def __init__(self, held: list[tuple[str, Collection[int]]], ids: Mapping[int, float]) -> None:
        self._held = held
        self._ids = ids

    def __getitem__(self, item: int) -> list[str]:
        found = [name for name, ids in self._held if item in ids]
        if not found:
            raise KeyError(item)
        return found

    def get(self, item: int, default: Any = None) -> Any:
        """(``Mapping.get`` without its exception: each scored candidate asks.)"""
        return [name for name, ids in self._held if item in ids] or default

    def __contains__(self, item: object) -> bool:
        return any(item in ids for _, ids in self._held)

    def __iter__(self) -> Iterator[int]:
        return iter(list(self._ids))

    def __len__(self) -> int:
        return len(self._ids)


class CandidateFacts(Protocol):
    """What the re-ranking reads of a candidate (``repo.documents.DocumentFacts``, or a whole row)."""

    id: int
    code: str
    doc_type: str
    revision: int | None
    room: int | None
    change_order: int | None
    is_as_built: bool
    is_current: bool
    is_archive: bool
    is_handover_copy: bool
    status_tags: tuple[str, ...]
    mtime: float


@dataclass(slots=True)
class RankContext:
    """What one query and the firm say, read once per search and shared by every candidate."""

    pq: ParsedQuery
    now: float
    popularity: Mapping[str, float] = field(default_factory=dict)
    mine: Mapping[str, float] = field(default_factory=dict)
    codes: frozenset[str] = frozenset()
    asked: tuple[tuple[str, int, float, float, str], ...] = field(init=False, default=())
    most: float = field(init=False, default=1.0)
    """What the popularity and the user's projects can give a candidate at most (:func:`boost_bound`)."""

    def __post_init__(self) -> None:
        """The numbers the request names, each with its boost, damping and reason (:data:`ASKED_NUMBERS`),
        and :attr:`most`."""
        pq = self.pq
        self.asked = tuple(
            (attr, value, hit, miss, label.format(value))
            for attr, hit, miss, label in ASKED_NUMBERS
            if (value := getattr(pq, attr)) is not None
        )
        self.most = (1.0 + 0.1 * max(0.0, max(self.popularity.values(), default=0.0))) * (
            1.0 + 0.15 * max(0.0, max(self.mine.values(), default=0.0))
        )

    @classmethod
    def of(cls, pq: ParsedQuery, now: float, popularity: Mapping[str, float], mine: Mapping[str, float]) -> RankContext:
        return cls(pq, now, popularity, mine, frozenset(pq.codes))


def document_boost(d: CandidateFacts, ctx: RankContext) -> tuple[float, list[str]]:
    """One candidate's multiplier on its fused score, and the reasons to show for it: what the
    query asks (code, family, revision, room, change order, as-built, archive) and what the firm
    knows (current revision, drafts, recency, popularity, the user's recent projects).

    The one place a candidate's facts meet the parsed query: further boosts extend it here."""
    pq = ctx.pq
    why: list[str] = []
    mult = 1.0
    if d.code in ctx.codes:
        mult *= 1.5
        why.append(f"code {d.code}")
    if pq.doc_types:
        if d.doc_type in pq.doc_types:
            mult *= 1.6
            why.append(f"type {d.doc_type}")
        else:
            mult *= 0.75
    for attr, value, hit, miss, reason in ctx.asked:
        if getattr(d, attr) == value:
            mult *= hit
            why.append(reason)
        else:
            mult *= miss
    if pq.as_built:
        if d.is_as_built:
            mult *= 1.5
            why.append("as-built")
    elif d.is_as_built:
        mult *= 1.05
    explicit_rev = pq.revision is not None
    if d.is_current:
        mult *= 1.3 if not explicit_rev else 1.0
        why.append("current")
    elif (not explicit_rev and d.revision is not None) or d.is_handover_copy:
        mult *= 0.85
        why.append("superseded" if not d.is_handover_copy else "handover copy")
    if d.is_archive and not pq.wants_archive and not explicit_rev:
        mult *= 0.6
        why.append("archive")
    if d.status_tags and any(t in DRAFT_TAGS for t in d.status_tags):
        mult *= 0.9
    age_days = max(0.0, (ctx.now - d.mtime) / 86400) if d.mtime else 3650
    mult *= 1.0 + 0.1 * math.exp(-age_days / 365)
    p = ctx.popularity.get(d.code, 0.0)
    if p:
        mult *= 1.0 + 0.1 * p
        if p > 0.5:
            why.append("popular")
    m = ctx.mine.get(d.code, 0.0)
    if m:
        mult *= 1.0 + 0.15 * m
        why.append("your recent project")
    return mult, why


def boost_bound(ctx: RankContext, doc_type: str | None = None) -> float:
    """The largest multiplier :func:`document_boost` can give any candidate (or any of ``doc_type``)
    under ``ctx``: search stops reading candidates whose fused score times this cannot reach the
    page (keep in step)."""
    pq = ctx.pq
    bound = 1.5 if ctx.codes else 1.0
    if pq.doc_types:
        bound *= 1.6 if doc_type is None or doc_type in pq.doc_types else 0.75
    for _, _, hit, miss, _ in ctx.asked:
        bound *= max(hit, miss)
    bound *= 1.5 if pq.as_built else 1.05
    if pq.revision is None:
        bound *= 1.3  # current
    bound *= 1.1  # recency
    return bound * ctx.most
