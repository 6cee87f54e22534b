"""The learned ranker's place in document search: re-order the hand-weighted candidates by a
model's scores over their features (:mod:`.features`), or leave them as they are.

Search knows nothing of the registry: a :class:`RankerSource` (the model service's
``quicknav_mcp.ml.ltr.SearchRanker``, wired in by the application) says which model, if any,
serves a user — the active version, or the user's variant while an A/B test runs — and is told
what was shown so clicks can be credited. Without a source, or without a trained model, the
hand-weighted order stands (today's ranker is the fallback).

Training replays searches through this same hook with :meth:`LearnedRanker.capture`, so the
rows a model learns from are the rows it is later served.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .features import FEATURES, Ranked, candidate_features
from .popularity import PopularitySource
from .query import ParsedQuery

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

MAX_CANDIDATES = 40  # the model re-orders the hand-weighted top 40 (as it was trained); the rest keep their order below
SHOWN = 10  # what a person sees first: the items an impression logs


class Scorer(Protocol):
    def decision(self, x: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class ServedRanker:
    """The model serving one search: its scores, registry version and A/B test (if any)."""

    scorer: Scorer
    version: int
    features: tuple[str, ...]
    ab_test: str | None = None
    variant: int | None = None


class RankerSource(Protocol):
    def ranker_for(self, user: str | None) -> ServedRanker | None:
        """The model to serve ``user`` (None: the hand-weighted order)."""
        ...

    def shown(self, served: ServedRanker, user: str | None, query: str, items: list[str], total: int) -> None:
        """The first results a served model ranked (root-relative paths, best first)."""
        ...


@dataclass
class Captured:
    """One replayed search's candidates: hand-weighted order, their paths and features."""

    query: str
    paths: list[str] = field(default_factory=list)
    x: Any = None


class LearnedRanker:
    """The hook document search calls after its hand-weighted re-ranking."""

    def __init__(self, popularity: PopularitySource, source: RankerSource | None = None) -> None:
        self.popularity = popularity
        self.source = source
        self._capture = threading.local()

    @contextmanager
    def capture(self) -> Iterator[list[Captured]]:
        """Within the block, searches on this thread record their candidates' features and keep the
        hand-weighted order (training replays logged searches this way)."""
        self._capture.out = out = []
        try:
            yield out
        finally:
            self._capture.out = None

    def reorders(self, user: str | None) -> bool:
        """Whether :meth:`rerank` may read or re-order the candidates for ``user`` (a model is
        served, or features are being captured); when not, search may rank only the best ones."""
        if getattr(self._capture, "out", None) is not None:
            return True
        served = self.source.ranker_for(user) if self.source is not None else None
        return served is not None and served.features == FEATURES

    def rerank(
        self,
        ranked: Ranked,
        fused: Mapping[int, float],
        sources: Mapping[int, list[str]],
        pq: ParsedQuery,
        user: str | None,
        sims: Mapping[int, float],
    ) -> Ranked:
        """``ranked`` re-ordered by the serving model, each with why; unchanged without one."""
        captured = getattr(self._capture, "out", None)
        if not ranked or (captured is None and self.source is None):
            return ranked
        if captured is not None:
            head = ranked[:MAX_CANDIDATES]
            x = self._features(head, fused, sources, pq, user, sims)
            captured.append(Captured(pq.text, [d.rel_path for d, _, _ in head], x))
            return ranked
        served = self.source.ranker_for(user) if self.source is not None else None
        if served is None or served.features != FEATURES:
            return ranked  # no model, or one trained on other columns: today's ranker
        head, tail = ranked[:MAX_CANDIDATES], ranked[MAX_CANDIDATES:]
        try:
            scores = served.scorer.decision(self._features(head, fused, sources, pq, user, sims))
        except Exception as exc:  # a bad model must never fail a search
            log.warning("learned ranker version %d failed, hand-weighted order kept: %s", served.version, exc)
            return ranked
        import numpy as np

        label = f"learned ranker v{served.version}"
        order = np.argsort(-scores, kind="stable")  # ties keep the hand-weighted order
        # Scores in [0.5, 1], spread by the model's own scores (a sigmoid of scores that carry the
        # prior's -6*log1p(position) would round to 0 past the first few), above the tail below.
        ordered = scores[order].astype(float)
        spread = float(ordered[0] - ordered[-1])
        relative = (ordered - ordered[-1]) / spread if spread > 0 else np.ones(len(ordered))
        shown = np.round(0.5 + 0.5 * relative, 5).tolist()
        out = [(head[i][0], p, [*head[i][2], label]) for i, p in zip(order.tolist(), shown, strict=True)]
        if tail:  # below the learned ones, in their own order: scores stay comparable within the answer
            floor, first = out[-1][1] * 0.5, tail[0][1] or 1.0
            out += [(d, round(floor * s / first, 6), why) for d, s, why in tail]
        try:
            self.source.shown(served, user, pq.text, [d.rel_path for d, _, _ in out[:SHOWN]], len(out))  # type: ignore[union-attr]
        except Exception as exc:  # logging what was shown must not fail the search either
            log.debug("search impression not recorded: %s", exc)
        return out

    def _features(
        self,
        head: Ranked,
        fused: Mapping[int, float],
        sources: Mapping[int, list[str]],
        pq: ParsedQuery,
        user: str | None,
        sims: Mapping[int, float],
    ) -> np.ndarray:
        pop = self.popularity.popularity_map()
        mine = self.popularity.recent_for(user)
        return candidate_features(head, fused, sources, pq, sims, pop, mine)
