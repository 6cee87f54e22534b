"""Ranking features of document-search candidates: one row per candidate, one column per signal.

The columns are what the hand-weighted re-ranking (:meth:`.documents.DocumentSearch.rerank`)
already knows about each candidate — its fused score and the retrieval lists that found it,
whether it matches the asked-for code, family, revision, room, change order and as-built,
whether it is current, superseded, archived or a draft, how old and how popular it is, whether
it is one of the user's projects — plus its hand-weighted score and rank. The learned ranker
(:mod:`.learned`) scores these rows; training replays searches to build the same rows, so
training and serving share this one definition.

Built with one pass over the rows and numpy over the columns: the ranker's whole budget is a
millisecond for 200 candidates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING

from . import clock
from .coverage import cover_words
from .query import ParsedQuery
from .text import tokens

if TYPE_CHECKING:
    import numpy as np

    from ..repo import DocumentRow

Ranked = Sequence[tuple["DocumentRow", float, list[str]]]

# Retrieval lists of document search (``documents.py``), one indicator column each.
SOURCES = ("lexical", "some words", "substring", "project", "facts", "semantic")

# A stored ranker is served only when its feature names equal these: a column whose meaning changes
# takes a new name (``place_share`` was ``where_share``, parsed from why text) so old models fall back.
FEATURES: tuple[str, ...] = (
    "hand_score",  # the hand-weighted score over the best one's
    "hand_rank",  # log(1 + position) in the hand-weighted order
    "fused",  # the reciprocal-rank-fusion score over the best one's
    *(f"in_{s.replace(' ', '_')}" for s in SOURCES),
    "lists",  # how many retrieval lists found it
    "semantic_sim",  # cosine similarity to the query (0 when vectors took no part)
    "code_match",
    "type_asked",
    "type_match",
    "rev_asked",
    "rev_match",
    "room_asked",
    "room_match",
    "co_asked",
    "co_match",
    "as_built_asked",
    "is_as_built",
    "current_asked",
    "is_current",
    "superseded",
    "handover_copy",
    "is_archive",
    "archive_asked",
    "draft",
    "age_years",
    "popularity",
    "your_project",
    "query_words",  # how many plain words the query has (short and long requests rank differently)
    "name_words",  # share of the query's words in the document's name
    "project_words",  # ... in its project folder's name
    "folder_words",  # ... in the folders between the project and the file
    # What the request's intent (search/intent.py) found in each candidate, as values its reasons carry:
    "place_share",  # rarity-weighted share of the request's place words its project holds (0 when none were asked)
    "kind_named",  # its name says the asked kind in the request's words
    "related_kind",  # filed as other but belongs with the asked family (an SDS with the SWMS)
    "level_match",  # a drawing of the level asked for
    "latest_co",  # the project's latest change order, when the latest was asked for
    "template",  # a firm-wide template or register the request did not ask for
    "site_named",  # its project's site (learnt from its documents' text) is named by the request
    # ... and what name coverage (search/coverage.py) found, for requests naming no kind of document:
    "cover_asked",  # the request names no kind and has words that tell its candidates apart
    "cover_share",  # rarity-weighted share of the request's words its name, folders and project hold
)
N_FEATURES = len(FEATURES)
RISING = frozenset(
    (
        "hand_score",
        "fused",
        "code_match",
        "type_match",
        "rev_match",
        "room_match",
        "co_match",
        "place_share",
        "kind_named",
        "level_match",
        "latest_co",
        "site_named",
        "name_words",
        "project_words",
        "cover_share",
    )
)
"""Signals that, all else equal, never make a candidate a worse answer (a model may be held to it)."""
FALLING = frozenset(("hand_rank", "template"))
"""... and those that never make it a better one."""
MONOTONE: tuple[int, ...] = tuple(1 if f in RISING else -1 if f in FALLING else 0 for f in FEATURES)
_COLUMN = {name: j for j, name in enumerate(FEATURES)}
_ATTRIBUTES = attrgetter(
    "id",
    "code",
    "doc_type",
    "revision",
    "room",
    "change_order",
    "is_as_built",
    "is_current",
    "is_handover_copy",
    "is_archive",
    "mtime",
    "status_tags",
    "name",
    "project_name",
    "folders",
)
_DRAFT = frozenset(("DRAFT", "ENG DRAFT"))


@lru_cache(maxsize=65_536)
def _words(text: str) -> frozenset[str]:
    # Names recur across searches: tokenising each once keeps the features inside their budget.
    return frozenset(tokens(text))


def candidate_features(
    ranked: Ranked,
    fused: Mapping[int, float],
    sources: Mapping[int, list[str]],
    pq: ParsedQuery,
    sims: Mapping[int, float],
    popularity: Mapping[str, float],
    mine: Mapping[str, float],
    *,
    now: float | None = None,
) -> np.ndarray:
    """The ``(len(ranked), N_FEATURES)`` float32 matrix of ``ranked`` (hand-weighted order)."""
    import numpy as np

    n = len(ranked)
    if not n:
        return np.zeros((0, N_FEATURES), np.float32)
    now = clock.now() if now is None else now
    # Attributes read in C (attrgetter), columns through zip and numpy: per-column comprehensions
    # over 200 candidates cost about three times as much.
    docs, scores, whys = zip(*ranked, strict=True)
    ids, codes_, types_, revs, rooms, cos, built, current, handover, archive, mtimes, tags, names, projects, folders = (
        zip(*map(_ATTRIBUTES, docs), strict=True)
    )
    out = np.zeros((n, N_FEATURES), np.float32)
    col = _COLUMN
    hand = np.asarray(scores, np.float64)
    out[:, col["hand_score"]] = hand / max(hand[0], 1e-9)
    out[:, col["hand_rank"]] = np.log1p(np.arange(n))
    f = np.fromiter((fused.get(i, 0.0) for i in ids), np.float64, n)
    out[:, col["fused"]] = f / (f.max() or 1.0)
    found = [sources.get(i, ()) for i in ids]
    for name in SOURCES:
        out[:, col[f"in_{name.replace(' ', '_')}"]] = [name in fs for fs in found]
    out[:, col["lists"]] = [len(fs) for fs in found]
    if sims:
        out[:, col["semantic_sim"]] = [sims.get(i, 0.0) for i in ids]
    if pq.codes:
        wanted_codes = set(pq.codes)
        out[:, col["code_match"]] = [c in wanted_codes for c in codes_]
    if pq.doc_types:
        wanted_types = set(pq.doc_types)
        out[:, col["type_asked"]] = 1.0
        out[:, col["type_match"]] = [t in wanted_types for t in types_]
    for asked, match, wanted, have in (
        ("rev_asked", "rev_match", pq.revision, revs),
        ("room_asked", "room_match", pq.room, rooms),
        ("co_asked", "co_match", pq.change_order, cos),
    ):
        if wanted is not None:
            out[:, col[asked]] = 1.0
            out[:, col[match]] = [h == wanted for h in have]
    out[:, col["as_built_asked"]] = float(pq.as_built)
    out[:, col["is_as_built"]] = built
    out[:, col["current_asked"]] = float(pq.wants_current)
    is_current = np.asarray(current, bool)
    out[:, col["is_current"]] = is_current
    out[:, col["superseded"]] = ~is_current & np.asarray([r is not None for r in revs])
    out[:, col["handover_copy"]] = handover
    out[:, col["is_archive"]] = archive
    out[:, col["archive_asked"]] = float(pq.wants_archive)
    out[:, col["draft"]] = [bool(_DRAFT.intersection(t)) if t else False for t in tags]
    age = (now - np.asarray(mtimes, np.float64)) / 31_557_600
    out[:, col["age_years"]] = np.where(np.asarray(mtimes, np.float64) > 0, np.clip(age, 0.0, 10.0), 10.0)
    if popularity:
        out[:, col["popularity"]] = [popularity.get(c, 0.0) for c in codes_]
    if mine:
        out[:, col["your_project"]] = [mine.get(c, 0.0) for c in codes_]
    out[:, col["query_words"]] = len(pq.terms)
    wanted = frozenset(pq.all_words)
    if wanted:
        k = len(wanted)
        out[:, col["name_words"]] = [len(_words(t) & wanted) / k for t in names]
        out[:, col["project_words"]] = [len(_words(t) & wanted) / k for t in projects]
        out[:, col["folder_words"]] = [len(_words(t) & wanted) / k for t in folders]
    if cover_words(pq):
        out[:, col["cover_asked"]] = 1.0
    _intent_columns(out, whys)
    return out


INTENT_COLUMNS = frozenset(
    ("place_share", "kind_named", "related_kind", "level_match", "latest_co", "template", "site_named", "cover_share")
)
"""The columns set by the values intent's and coverage's reasons carry (:class:`.reasons.Reason`)."""


def _intent_columns(out: np.ndarray, whys: Sequence[list[str]]) -> None:
    """The intent columns from the values each candidate's reasons carry (not from their words)."""
    col = _COLUMN
    for i, why in enumerate(whys):
        for reason in why:
            feature = getattr(reason, "feature", None)
            if feature in INTENT_COLUMNS:
                out[i, col[feature]] = max(out[i, col[feature]], reason.value)  # type: ignore[attr-defined]
