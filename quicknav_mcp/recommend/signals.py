"""Per-query signals over the usage state, shared by the recommender and the next-step predictor.

A :class:`UserView` is one user's history cut at the context time and summarised per project
(decayed weight, counts this week, last touch, time-of-day habit). Team co-activity and
transitions read the shared state. Every function returns plain dicts keyed by project index:
a user touches tens of projects, so sparse dicts beat dense vectors here.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np

from .state import DAY_MS, HOUR_MS, UsageState

OWN_HALF_LIFE_DAYS = 10.0
MAX_USER_EVENTS = 3000  # the newest events of a user are plenty for their profile
TEAM_WINDOW_MS = 21 * DAY_MS
TEAM_NEIGHBOURS = 25


@dataclass(slots=True)
class UserView:
    """One user's history up to the context time, summarised per project index."""

    user: str
    at_ms: int
    own: dict[int, float] = field(default_factory=dict)  # decayed weight
    count: dict[int, int] = field(default_factory=dict)  # events, all time (up to at_ms)
    week_events: dict[int, int] = field(default_factory=dict)
    week_docs: dict[int, int] = field(default_factory=dict)
    last_ms: dict[int, int] = field(default_factory=dict)
    habit: dict[int, float] = field(default_factory=dict)  # share of events at a similar hour/day type
    sequence: list[int] = field(default_factory=list)  # distinct projects, most recent first (≤ 20)
    last_project: int | None = None
    last_project_ms: int | None = None
    total: int = 0
    team: tuple[dict[int, float], dict[str, int]] | None = None  # team_scores, computed once

    @property
    def known(self) -> bool:
        return self.total > 0


def _same_slot(ts: np.ndarray, at_ms: int) -> np.ndarray:
    """Same kind of day (weekday/weekend) and within two hours of the same time of day."""
    weekend = (ts // DAY_MS + 3) % 7 >= 5  # epoch day 0 was a Thursday
    at_weekend = (at_ms // DAY_MS + 3) % 7 >= 5
    diff = np.abs((ts % DAY_MS) - (at_ms % DAY_MS)) / HOUR_MS
    return (weekend == at_weekend) & (np.minimum(diff, 24 - diff) <= 2.0)


def user_view(state: UsageState, user: str, at_ms: int) -> UserView:
    """Summarise ``user``'s interactions at or before ``at_ms`` (vectorised: ~0.3 ms for 3,000 events)."""
    view = UserView(user=user, at_ms=at_ms)
    log = state.users.get(user)
    if log is None:
        return view
    end = log.cut(at_ms)
    start = max(0, end - MAX_USER_EVENTS)
    view.total = end
    if end == 0:
        return view
    ts = np.array(log.ts[start:end], np.int64)
    pj = np.array(log.project[start:end], np.int64)
    w = np.array(log.weight[start:end])
    doc = np.array(log.doc[start:end], bool)
    uniq, inv = np.unique(pj, return_inverse=True)
    decay = math.log(2) / (OWN_HALF_LIFE_DAYS * DAY_MS)
    own = np.bincount(inv, weights=w * np.exp(-decay * (at_ms - ts)))
    count = np.bincount(inv)
    last = np.zeros(len(uniq), np.int64)
    np.maximum.at(last, inv, ts)
    habit = np.bincount(inv, weights=_same_slot(ts, at_ms).astype(np.float64)) / count
    week = ts >= at_ms - 7 * DAY_MS
    week_events = np.bincount(inv[week], minlength=len(uniq))
    week_docs = np.bincount(inv[week & doc], minlength=len(uniq))
    keys = uniq.tolist()
    view.own = dict(zip(keys, own.tolist(), strict=True))
    view.count = dict(zip(keys, count.tolist(), strict=True))
    view.last_ms = dict(zip(keys, last.tolist(), strict=True))
    view.habit = {j: h for j, h in zip(keys, habit.tolist(), strict=True) if h > 0}
    view.week_events = {j: n for j, n in zip(keys, week_events.tolist(), strict=True) if n}
    view.week_docs = {j: n for j, n in zip(keys, week_docs.tolist(), strict=True) if n}
    view.last_project = int(pj[-1])
    view.last_project_ms = int(ts[-1])
    rev = pj[::-1]
    _, first = np.unique(rev, return_index=True)
    view.sequence = rev[np.sort(first)][:20].tolist()
    return view


def team_scores(
    state: UsageState, view: UserView, *, window_ms: int = TEAM_WINDOW_MS
) -> tuple[dict[int, float], dict[str, int]]:
    """Team co-activity: what the people who share the user's recent projects worked on lately.

    Returns (project -> score, neighbour -> number of shared projects).
    """
    if view.team is not None and window_ms == TEAM_WINDOW_MS:
        return view.team
    at = view.at_ms
    since = at - window_ms
    mine = [j for j in view.sequence[:10] if view.last_ms.get(j, 0) >= since] or view.sequence[:5]
    overlap: dict[str, int] = {}
    for j in mine:
        for other, ts in state.project_users.get(j, {}).items():
            if ts >= since and other != view.user:
                overlap[other] = overlap.get(other, 0) + 1
    neighbours = sorted(overlap.items(), key=lambda kv: -kv[1])[:TEAM_NEIGHBOURS]
    scores: dict[int, float] = {}
    for other, shared in neighbours:
        log = state.users.get(other)
        if log is None:
            continue
        end = log.cut(at)
        lo = bisect.bisect_left(log.ts, since, 0, end)
        for j in set(log.project[max(lo, end - 400) : end]):
            scores[j] = scores.get(j, 0.0) + shared
    result = scores, dict(neighbours)
    if window_ms == TEAM_WINDOW_MS:
        view.team = result
    return result


def transition_scores(
    state: UsageState, view: UserView, current: int | None
) -> tuple[dict[int, float], dict[int, float]]:
    """P(next = j | current) across all users, and the user's own transition counts from current."""
    if current is None:
        return {}, {}
    row = state.transitions.get(current, {})
    total = sum(row.values())
    shared = {j: n / total for j, n in row.items()} if total else {}
    own = dict(state.user_transitions.get(view.user, {}).get(current, {}))
    return shared, own
