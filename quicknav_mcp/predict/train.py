"""Training and evaluating the next-project re-ranker on the log's own transitions.

The log is replayed in time order. At each transition (a user moving from project A to B within
a working session) the state holds only what happened before it: candidates and features are
computed exactly as serving would, and the candidate that is B is the positive. Transitions
before the test cut train the model; those after it measure it and the baselines (last visited,
frecency, first-order Markov) on the same moments.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..analytics.history import InteractionColumns
from ..recommend.signals import user_view
from ..recommend.state import DAY_MS, SESSION_GAP_MS, UsageState, bulk
from .features import FEATURES, context_rows
from .gbm import ArrayGBM

MAX_TRAIN_SAMPLES = 2500
MAX_TEST_SAMPLES = 1200
WARMUP_FRACTION = 0.25  # the first quarter of the log only builds state: too little history before it
TRAIN_DAYS = 28
HISTORY = 200  # events of a test sample's history kept for sequence models (≥ 20 distinct visits)


@dataclass
class Sample:
    x: np.ndarray
    cands: list[int]
    target: int
    baselines: dict[str, list[int]] = field(default_factory=dict)
    history: list[int] = field(default_factory=list)  # test samples: the user's projects before it, oldest first


def _baselines(state: UsageState, view: Any, current: int) -> dict[str, list[int]]:
    last = [j for j in view.sequence if j != current]
    frec = [j for j, _ in sorted(view.own.items(), key=lambda kv: -kv[1]) if j != current]
    row = state.transitions.get(current, {})
    markov = [j for j, _ in sorted(row.items(), key=lambda kv: -kv[1]) if j != current]
    markov += [j for j in frec if j not in row]  # unseen transitions: fall back to frecency
    return {"last_visited": last[:10], "frecency": frec[:10], "markov": markov[:10]}


def collect(
    cols: InteractionColumns,
    *,
    test_from_ms: int,
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[list[Sample], list[Sample], UsageState]:
    """Replay the log; return (training samples, test samples, the final state)."""
    rng = random.Random(seed)
    n = len(cols)
    # Training moments come from the weeks before the test cut; everything older only builds the
    # state, in bulk (the same state, ten times faster than folding event by event).
    train_from = max(int(cols.ts_ms[int(n * WARMUP_FRACTION)]), test_from_ms - TRAIN_DAYS * DAY_MS)
    warm = int(np.searchsorted(cols.ts_ms, train_from, side="left"))
    n_test_events = int(np.count_nonzero(cols.ts_ms >= test_from_ms))
    n_train_events = max(1, n - warm - n_test_events)
    # Keep roughly MAX samples of each kind: transitions are about a third of the events.
    p_train = min(1.0, 3.0 * MAX_TRAIN_SAMPLES / n_train_events)
    p_test = min(1.0, 3.0 * MAX_TEST_SAMPLES / max(1, n_test_events))
    state = bulk(cols, warm)
    train: list[Sample] = []
    test: list[Sample] = []
    users, projects, types = cols.users, cols.projects, cols.types
    u_l, p_l, t_l, ts_l, s_l = (a.tolist() for a in (cols.user, cols.project, cols.type, cols.ts_ms, cols.seq))
    step = max(1, n // 20)
    for k in range(warm, n):
        user, code, ts = users[u_l[k]], projects[p_l[k]], ts_l[k]
        log = state.users.get(user)
        if k >= warm and log is not None and log.project:
            prev, prev_ts = log.project[-1], log.ts[-1]
            j = state.index.get(code)
            is_test = ts >= test_from_ms
            if (
                j is not None
                and prev != j
                and ts - prev_ts <= SESSION_GAP_MS
                and rng.random() < (p_test if is_test else p_train)
                and len(test if is_test else train) < (MAX_TEST_SAMPLES if is_test else MAX_TRAIN_SAMPLES)
            ):
                view = user_view(state, user, ts)
                cands, x, _, _ = context_rows(state, view, prev)
                sample = Sample(x, cands, j)
                if is_test:
                    sample.baselines = _baselines(state, view, prev)
                    sample.history = log.project[-HISTORY:]
                    test.append(sample)
                elif j in cands:
                    train.append(sample)
        state.add(user, code, types[t_l[k]], ts, seq=s_l[k])
        if progress and k % step == 0:
            progress(k / n, "replaying transitions")
    return train, test, state


def fit(samples: list[Sample], *, seed: int = 0) -> ArrayGBM | None:
    if len(samples) < 20:
        return None
    from sklearn.ensemble import GradientBoostingClassifier

    x = np.vstack([s.x for s in samples])
    y = np.concatenate([[1 if c == s.target else 0 for c in s.cands] for s in samples])
    if y.min() == y.max():
        return None
    clf = GradientBoostingClassifier(n_estimators=50, max_depth=3, learning_rate=0.15, subsample=0.7, random_state=seed)
    clf.fit(x, y)
    return ArrayGBM.from_sklearn(clf, x)


def rank_of(ranked: list[int], target: int) -> int | None:
    """1-based rank of ``target`` in ``ranked`` (None when absent)."""
    return _ranks(ranked, target)


def summary(ranks: list[int | None]) -> dict[str, float]:
    """HR@1, HR@3 and MRR of a list of ranks."""
    return _summary(ranks)


def _ranks(ranked: list[int], target: int) -> int | None:
    try:
        return ranked.index(target) + 1
    except ValueError:
        return None


def _summary(ranks: list[int | None]) -> dict[str, float]:
    n = max(1, len(ranks))
    return {
        "hr@1": round(sum(1 for r in ranks if r == 1) / n, 4),
        "hr@3": round(sum(1 for r in ranks if r is not None and r <= 3) / n, 4),
        "mrr": round(sum(1 / r for r in ranks if r is not None) / n, 4),
    }


def evaluate(model: ArrayGBM | None, test: list[Sample]) -> dict[str, Any]:
    """HR@1, HR@3 and MRR of the re-ranker and the baselines on the same test transitions."""
    out: dict[str, Any] = {}
    if model is not None:
        ranks = []
        for s in test:
            scores = model.decision(s.x)
            ranked = [s.cands[i] for i in np.argsort(-scores, kind="stable")]
            ranks.append(_ranks(ranked, s.target))
        out["reranker"] = _summary(ranks)
    for name in ("last_visited", "frecency", "markov"):
        out[name] = _summary([_ranks(s.baselines.get(name, []), s.target) for s in test])
    out["candidate_recall"] = round(sum(1 for s in test if s.target in s.cands) / max(1, len(test)), 4)
    out["test_transitions"] = len(test)
    return out


def train_next_project(
    cols: InteractionColumns,
    *,
    window_days: int = 7,
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[ArrayGBM | None, dict[str, Any]]:
    """The re-ranker fitted on transitions before the last ``window_days``, with its metrics on
    that held-out week (the served model is the one that was measured)."""
    end = int(cols.ts_ms[-1])
    test_from = end - window_days * DAY_MS
    train, test, _ = collect(cols, test_from_ms=test_from, seed=seed, progress=progress)
    model = fit(train, seed=seed)
    metrics = evaluate(model, test)
    metrics["train_transitions"] = len(train)
    return model, metrics


__all__ = ["FEATURES", "collect", "evaluate", "fit", "rank_of", "summary", "train_next_project"]
