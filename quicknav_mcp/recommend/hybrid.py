"""The hybrid scorer: each signal as a [0, 1] vector over projects, blended by learned weights.

Signals: the user's own frecency (with their time-of-day habit), collaborative filtering,
content similarity to what they work on, firm-wide popularity, team co-activity; with a
context, the current project's neighbours (transitions, content, factors) and the query's
words. Weights are chosen on a time-based validation split (see :mod:`.evaluate`) and stored
with the model; a score is the weighted mean of the signals, so it is already in [0, 1].
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .collab import CollabModel, user_row
from .content import ContentModel
from .signals import UserView, team_scores, transition_scores
from .state import DAY_MS, UsageState

COMPONENTS = ("own", "collab", "content", "popularity", "team")
DEFAULT_WEIGHTS = {"own": 0.5, "collab": 0.1, "content": 0.05, "popularity": 0.1, "team": 0.25}
CONTEXT_WEIGHTS = {"current": 0.35, "query": 0.5}
COLD_WEIGHTS = {"popularity": 0.6, "recent": 0.4}
DORMANT_MS = 60 * DAY_MS
PROFILE_PROJECTS = 10


def _unit(v: np.ndarray) -> np.ndarray:
    peak = float(v.max(initial=0.0))
    return v / peak if peak > 0 else v


def _dense(d: dict[int, float], n: int) -> np.ndarray:
    v = np.zeros(n)
    if d:
        keys = np.fromiter(d.keys(), np.int64, len(d))
        vals = np.fromiter(d.values(), np.float64, len(d))
        keep = keys < n
        v[keys[keep]] = vals[keep]
    return v


@dataclass
class Ranked:
    index: int  # state project index
    score: float
    parts: dict[str, float] = field(default_factory=dict)  # weighted contribution of each signal


class Scorer:
    """Scores every project for one user view; the models may be None (heuristic fallback)."""

    def __init__(self, state: UsageState, content: ContentModel | None, collab: CollabModel | None) -> None:
        self.state = state
        self.content = content
        self.collab = collab
        self._mapped_at = -1
        self._s2m = np.zeros(0, np.int64)  # state index -> collab index (-1 none)
        self._c2s = np.zeros(0, np.int64)  # content index -> state index

    def _maps(self) -> None:
        n = self.state.n_projects
        if n == self._mapped_at:
            return
        if self.content is not None:
            self.state.ensure_projects(self.content.codes)
            self._c2s = np.array([self.state.index[c] for c in self.content.codes], np.int64)
            n = self.state.n_projects
        if self.collab is not None:
            self._s2m = np.array([self.collab.index.get(c, -1) for c in self.state.codes], np.int64)
        self._mapped_at = n

    # ---- signals --------------------------------------------------------------------------------
    def signals(self, view: UserView, *, current: int | None = None, query: str | None = None) -> dict[str, np.ndarray]:
        self._maps()
        state = self.state
        n = state.n_projects
        out: dict[str, np.ndarray] = {}
        out["popularity"] = _unit(np.log1p(state.popularity(view.at_ms)))
        if view.known:
            own = _dense(view.own, n)
            habit = _dense(view.habit, n)
            out["own"] = _unit(own * (0.85 + 0.3 * habit))
            out["team"] = _unit(_dense(team_scores(state, view)[0], n))
            out["collab"] = self._collab(view, n)
            out["content"] = self._content_profile(view, n)
        else:
            age = view.at_ms - state.last_activity()
            out["recent"] = np.where(state.last_activity() > 0, np.clip(1 - age / (14 * DAY_MS), 0, 1), 0.0)
        if current is not None:
            out["current"] = self._around(view, current, n)
        if query and self.content is not None:
            q = self.content.query_scores(query)
            out["query"] = _unit(_dense({int(self._c2s[i]): s for i, s in q.items()}, n))
        return out

    def _collab(self, view: UserView, n: int) -> np.ndarray:
        if self.collab is None:
            return np.zeros(n)
        x = user_row(view.own, len(self.collab.codes), self._s2m)
        if x is None:
            return np.zeros(n)
        scores = self.collab.scores(x, exclude_user=view.user)
        m = (
            self._s2m[:n]
            if self._s2m.shape[0] >= n
            else np.concatenate([self._s2m, -np.ones(n - len(self._s2m), np.int64)])
        )
        return _unit(np.where(m >= 0, scores[np.maximum(m, 0)], 0.0))

    def _content_profile(self, view: UserView, n: int) -> np.ndarray:
        if self.content is None:
            return np.zeros(n)
        top = sorted(view.own.items(), key=lambda kv: -kv[1])[:PROFILE_PROJECTS]
        if not top:
            return np.zeros(n)
        peak = top[0][1]
        v = np.zeros(n)
        for j, w in top:
            ci = self.content.index.get(self.state.codes[j])
            if ci is None:
                continue
            nbrs = self.content.nbr_idx[ci]
            keep = nbrs >= 0
            np.add.at(v, self._c2s[nbrs[keep]], (w / peak) * self.content.nbr_sim[ci][keep])
        return _unit(v)

    def _around(self, view: UserView, current: int, n: int) -> np.ndarray:
        shared, own = transition_scores(self.state, view, current)
        v = 0.5 * _unit(_dense(shared, n)) + 0.2 * _unit(_dense(own, n))
        if self.content is not None:
            ci = self.content.index.get(self.state.codes[current])
            if ci is not None:
                nbrs = self.content.nbr_idx[ci]
                keep = nbrs >= 0
                c = np.zeros(n)
                c[self._c2s[nbrs[keep]]] = self.content.nbr_sim[ci][keep]
                v += 0.3 * _unit(c)
        v[current] = 0.0  # "what goes with the current project", not the project itself
        return _unit(v)

    # ---- blending -------------------------------------------------------------------------------
    @staticmethod
    def blend(
        signals: dict[str, np.ndarray], weights: dict[str, float], known: bool
    ) -> tuple[np.ndarray, dict[str, float]]:
        """The weighted mean of the present signals; returns (scores, normalised weights)."""
        base = dict(weights) if known else dict(COLD_WEIGHTS)
        for name, w in CONTEXT_WEIGHTS.items():
            if name in signals:
                base[name] = w
        used = {k: w for k, w in base.items() if k in signals and w > 0}
        total = sum(used.values()) or 1.0
        used = {k: w / total for k, w in used.items()}
        n = next(iter(signals.values())).shape[0]
        score = np.zeros(n)
        for k, w in used.items():
            score += w * signals[k]
        return score, used

    def rank(
        self,
        view: UserView,
        weights: dict[str, float],
        *,
        limit: int,
        current: int | None = None,
        query: str | None = None,
        allowed: np.ndarray | None = None,
        exclude: set[int] | None = None,
    ) -> list[Ranked]:
        signals = self.signals(view, current=current, query=query)
        score, used = self.blend(signals, weights, view.known)
        # Dormant projects (nobody for two months) step back unless the user still works there.
        last = self.state.last_activity()
        dormant = (last > 0) & (view.at_ms - last > DORMANT_MS)
        if dormant.any():
            score = np.where(dormant & ~(_dense(view.own, len(score)) > 0), score * 0.75, score)
        if allowed is not None:
            mask = np.zeros(len(score), bool)
            mask[: min(len(allowed), len(score))] = allowed[: len(score)]
            score = np.where(mask, score, -1.0)
        if current is not None and "query" not in signals:
            score[current] = -1.0
        for j in exclude or ():
            if j < len(score):
                score[j] = -1.0
        k = min(limit, len(score))
        if k <= 0:
            return []
        top = np.argpartition(-score, k - 1)[:k]
        top = top[np.argsort(-score[top], kind="stable")]
        return [
            Ranked(int(j), float(score[j]), {name: float(w * signals[name][j]) for name, w in used.items()})
            for j in top
            if score[j] > 0
        ]
