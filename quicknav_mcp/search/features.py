"""Ranking features of document-search candidates: one row per candidate, one column per signal.

The columns are what the hand-weighted re-ranking (:meth:`.documents.DocumentSearch.rerank`)
already knows about each candidate — its fused score and the retrieval lists that found it,
whether it matches the asked-for code, family, revision, room, change order and as-built,
whether it is current, superseded, archived or a draft, how old and how popular it is, whether
it is one of the user's projects — plus its hand-weighted score and rank. The learned ranker
(:mod:`.learned`) scores these rows; training replays searches to build the same rows, so
training and serving share this one definition.

Built column by column from plain Python values into one float32 matrix (about 0.2 ms for 200
candidates): the ranker's whole budget is a millisecond.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING

from .query import ParsedQuery
from .text import tokens

if TYPE_CHECKING:
    import numpy as np

    from ..repo import DocumentRow

Ranked = Sequence[tuple["DocumentRow", float, list[str]]]

# Retrieval lists of document search (``documents.py``), one indicator column each.
SOURCES = ("lexical", "some words", "substring", "project", "facts", "semantic")

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
)
N_FEATURES = len(FEATURES)
_DRAFT = frozenset(("DRAFT", "ENG DRAFT"))


@lru_cache(maxsize=65_536)
def _words(text: str) -> frozenset[str]:
    # Names recur across searches: tokenising each once keeps the features inside their budget.
    return frozenset(tokens(text))


def _share(words: frozenset[str], wanted: frozenset[str]) -> float:
    return len(words & wanted) / len(wanted) if wanted else 0.0


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
    now = time.time() if now is None else now
    docs = [d for d, _, _ in ranked]
    top_score = max(ranked[0][1], 1e-9)
    top_fused = max((fused.get(d.id, 0.0) for d in docs), default=0.0) or 1.0
    codes = set(pq.codes)
    types = set(pq.doc_types)
    explicit_rev = pq.revision is not None
    srcs = [sources.get(d.id, ()) for d in docs]
    cols: list[list[float] | float] = [
        [s / top_score for _, s, _ in ranked],
        [math.log1p(i) for i in range(n)],
        [fused.get(d.id, 0.0) / top_fused for d in docs],
    ]
    cols += [[1.0 if s in found else 0.0 for found in srcs] for s in SOURCES]
    cols += [
        [float(len(found)) for found in srcs],
        [sims.get(d.id, 0.0) for d in docs],
        [1.0 if d.code in codes else 0.0 for d in docs],
        float(bool(types)),
        [1.0 if d.doc_type in types else 0.0 for d in docs],
        float(explicit_rev),
        [1.0 if explicit_rev and d.revision == pq.revision else 0.0 for d in docs],
        float(pq.room is not None),
        [1.0 if pq.room is not None and d.room == pq.room else 0.0 for d in docs],
        float(pq.change_order is not None),
        [1.0 if pq.change_order is not None and d.change_order == pq.change_order else 0.0 for d in docs],
        float(pq.as_built),
        [float(d.is_as_built) for d in docs],
        float(pq.wants_current),
        [float(d.is_current) for d in docs],
        [1.0 if not d.is_current and d.revision is not None else 0.0 for d in docs],
        [float(d.is_handover_copy) for d in docs],
        [float(d.is_archive) for d in docs],
        float(pq.wants_archive),
        [1.0 if _DRAFT.intersection(d.status_tags) else 0.0 for d in docs],
        [min(10.0, max(0.0, (now - d.mtime) / 31_557_600)) if d.mtime else 10.0 for d in docs],
        [popularity.get(d.code, 0.0) for d in docs],
        [mine.get(d.code, 0.0) for d in docs],
        float(len(pq.terms)),
    ]
    wanted = frozenset(pq.all_words)
    cols += [
        [_share(_words(d.name), wanted) for d in docs],
        [_share(_words(d.project_name), wanted) for d in docs],
        [_share(_words(d.folders), wanted) for d in docs],
    ]
    out = np.empty((n, N_FEATURES), np.float32)
    for j, col in enumerate(cols):
        out[:, j] = col
    return out
