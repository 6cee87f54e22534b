"""Time-split evaluation of the recommender, and the choice of the hybrid's weights.

The log is cut at a time: everything before it builds the state and the models, the projects
each user touches in the following window are what a good recommendation lists. Weights are
tuned on a validation cut one window earlier, then measured on the test cut, so the reported
numbers never saw the data that chose them.

Recall@k is hits / min(k, relevant) (a user can touch more than k projects in a week), NDCG@k
uses binary relevance, coverage is the share of projects recommended to anyone.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..analytics.history import InteractionColumns
from ..services.corpus import ProjectText
from .collab import CollabModel, fit_collab
from .content import ContentModel, fit_content
from .hybrid import COMPONENTS, DEFAULT_WEIGHTS, Scorer
from .signals import user_view
from .state import DAY_MS, UsageState, replay

K = 10
GRID = (0.0, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1.0)
SINGLE = {
    "content": "content",
    "collaborative": "collab",
    "popularity": "popularity",
    "own_frecency": "own",
    "team_coview": "team",
}


@dataclass
class Cut:
    at_ms: int
    state: UsageState
    content: ContentModel | None
    collab: CollabModel | None
    relevant: dict[str, set[int]]  # user -> state project indexes touched in the window
    signals: dict[str, dict[str, np.ndarray]]  # user -> signal -> vector


def relevant_after(cols: InteractionColumns, state: UsageState, lo_ms: int, hi_ms: int) -> dict[str, set[int]]:
    a, b = np.searchsorted(cols.ts_ms, [lo_ms, hi_ms], side="right")
    out: dict[str, set[int]] = {}
    for u, p in zip(cols.user[a:b].tolist(), cols.project[a:b].tolist(), strict=True):
        out.setdefault(cols.users[u], set()).add(state.project_index(cols.projects[p]))
    return out


def make_cut(
    cols: InteractionColumns,
    texts: dict[str, ProjectText] | None,
    at_ms: int,
    window_ms: int,
    *,
    max_users: int = 300,
    seed: int = 0,
    content: ContentModel | None = None,
    state: UsageState | None = None,
) -> Cut:
    state = replay(cols, until_ms=at_ms, state=state)
    if content is None and texts:
        content = fit_content(texts)
    collab = fit_collab(state, at_ms, seed=seed)
    relevant = relevant_after(cols, state, at_ms, at_ms + window_ms)
    users = sorted(u for u in relevant if u in state.users and state.users[u].cut(at_ms) > 0)
    if len(users) > max_users:
        users = sorted(random.Random(seed).sample(users, max_users))
    scorer = Scorer(state, content, collab)
    signals = {u: scorer.signals(user_view(state, u, at_ms)) for u in users}
    return Cut(at_ms, state, content, collab, {u: relevant[u] for u in users}, signals)


def _metrics(lists: dict[str, list[int]], cut: Cut, n_items: int) -> dict[str, float]:
    recall = ndcg = 0.0
    shown: set[int] = set()
    for u, items in lists.items():
        rel = cut.relevant[u]
        hits = [1.0 if j in rel else 0.0 for j in items[:K]]
        recall += sum(hits) / min(K, len(rel))
        dcg = sum(h / math.log2(i + 2) for i, h in enumerate(hits))
        ideal = sum(1 / math.log2(i + 2) for i in range(min(K, len(rel))))
        ndcg += dcg / ideal
        shown.update(items[:K])
    n = max(1, len(lists))
    return {
        "recall@10": round(recall / n, 4),
        "ndcg@10": round(ndcg / n, 4),
        "coverage": round(len(shown) / max(1, n_items), 4),
        "users": len(lists),
    }


def _top(score: np.ndarray) -> list[int]:
    k = min(K, len(score))
    top = np.argpartition(-score, k - 1)[:k]
    return [int(j) for j in top[np.argsort(-score[top], kind="stable")] if score[j] > 0]


def rank_with(cut: Cut, weights: dict[str, float]) -> dict[str, list[int]]:
    out = {}
    for u, sig in cut.signals.items():
        score, _ = Scorer.blend(sig, weights, known=True)
        out[u] = _top(score)
    return out


def score(cut: Cut, weights: dict[str, float]) -> dict[str, float]:
    return _metrics(rank_with(cut, weights), cut, cut.state.n_projects)


def tune_weights(cut: Cut, start: dict[str, float] | None = None, passes: int = 2) -> tuple[dict[str, float], float]:
    """Coordinate ascent over a grid, maximising recall@10 (ties: NDCG) on the validation cut."""
    best = dict(start or DEFAULT_WEIGHTS)

    def value(w: dict[str, float]) -> tuple[float, float]:
        m = score(cut, w)
        return m["recall@10"], m["ndcg@10"]

    best_v = value(best)
    for _ in range(passes):
        improved = False
        for name in COMPONENTS:
            for g in GRID:
                if g == best[name]:
                    continue
                trial = {**best, name: g}
                if sum(trial.values()) <= 0:
                    continue
                v = value(trial)
                if v > best_v:
                    best, best_v, improved = trial, v, True
        if not improved:
            break
    total = sum(best.values())
    return {k: round(v / total, 4) for k, v in best.items()}, best_v[0]


def evaluate_recommender(
    cols: InteractionColumns,
    texts: dict[str, ProjectText] | None,
    *,
    window_days: int = 7,
    max_users: int = 300,
    seed: int = 0,
    weights: dict[str, float] | None = None,
    progress: Callable[[float, str], None] | None = None,
    state: UsageState | None = None,
    content: ContentModel | None = None,
) -> dict[str, Any]:
    """Tune on the validation cut (unless ``weights`` are given), report every algorithm on the test cut.

    One replay serves both cuts; pass ``state`` (empty) to keep it, replayed up to the test cut.
    """
    say = progress or (lambda _f, _m: None)
    end = int(cols.ts_ms[-1])
    window = window_days * DAY_MS
    test_at, val_at = end - window, end - 2 * window
    if content is None and texts:
        content = fit_content(texts)
    state = state if state is not None else UsageState()
    tuned_on = None
    if weights is None:
        say(0.1, "tuning the hybrid's weights on the validation window")
        val = make_cut(cols, None, val_at, window, max_users=max_users, seed=seed, content=content, state=state)
        weights, tuned_on = tune_weights(val)
    say(0.5, "measuring on the test window")
    test = make_cut(cols, None, test_at, window, max_users=max_users, seed=seed, content=content, state=state)
    n = test.state.n_projects
    report: dict[str, Any] = {"hybrid": _metrics(rank_with(test, weights), test, n)}
    for name, signal in SINGLE.items():
        lists = {u: _top(sig.get(signal, np.zeros(n))) for u, sig in test.signals.items()}
        report[name] = _metrics(lists, test, n)
    return {
        "algorithms": report,
        "weights": weights,
        "validation_recall@10": tuned_on,
        "test_from": int(test_at),
        "window_days": window_days,
        "projects": n,
    }
