"""Candidates for the next project and the features the re-ranker scores them by.

Candidates: the user's recent and frequent projects, where people go from the current project
(across all users and the user's own habit), what their team works on, and what is busy now.
The same code builds training rows (replaying the log) and serving rows, so they cannot drift.
"""

from __future__ import annotations

import math

import numpy as np

from ..recommend.signals import UserView, team_scores, transition_scores
from ..recommend.state import HOUR_MS, UsageState

FEATURES = (
    "hours_since_user_touch",  # log1p; large when never
    "user_events_log",
    "user_decayed",
    "transition_share",
    "own_transition_log",
    "time_of_day_habit",
    "team_coactivity",
    "project_activity_log",
    "recency_rank",
    "was_previous",
)
NEVER_HOURS = 24 * 365.0


def candidates(
    state: UsageState, view: UserView, current: int | None, pop: np.ndarray, team: dict[int, float]
) -> list[int]:
    out: dict[int, None] = {}
    for j in view.sequence[:10]:
        out[j] = None
    for j, _ in sorted(view.count.items(), key=lambda kv: -kv[1])[:10]:
        out[j] = None
    if current is not None:
        shared, own = transition_scores(state, view, current)
        for j, _ in sorted(shared.items(), key=lambda kv: -kv[1])[:10]:
            out[j] = None
        for j, _ in sorted(own.items(), key=lambda kv: -kv[1])[:8]:
            out[j] = None
    for j, _ in sorted(team.items(), key=lambda kv: -kv[1])[:8]:
        out[j] = None
    if pop.size:
        k = min(5, pop.size)
        for j in np.argpartition(-pop, k - 1)[:k].tolist():
            if pop[j] > 0:
                out[int(j)] = None
    out.pop(current, None)  # type: ignore[arg-type]
    return list(out)


def features(
    state: UsageState,
    view: UserView,
    current: int | None,
    cands: list[int],
    pop: np.ndarray,
    team: dict[int, float],
) -> np.ndarray:
    shared, own = transition_scores(state, view, current)
    rank = {j: r for r, j in enumerate(view.sequence)}
    team_peak = max(team.values(), default=0.0) or 1.0
    prev = (
        view.sequence[1]
        if len(view.sequence) > 1 and view.sequence[0] == current
        else (view.sequence[0] if view.sequence and view.sequence[0] != current else None)
    )
    x = np.zeros((len(cands), len(FEATURES)), np.float32)
    for r, j in enumerate(cands):
        last = view.last_ms.get(j)
        hours = (view.at_ms - last) / HOUR_MS if last is not None else NEVER_HOURS
        x[r] = (
            math.log1p(max(0.0, hours)),
            math.log1p(view.count.get(j, 0)),
            view.own.get(j, 0.0),
            shared.get(j, 0.0),
            math.log1p(own.get(j, 0.0)),
            view.habit.get(j, 0.0),
            team.get(j, 0.0) / team_peak,
            math.log1p(float(pop[j])) if j < pop.size else 0.0,
            rank.get(j, 25),
            1.0 if j == prev else 0.0,
        )
    return x


def context_rows(
    state: UsageState, view: UserView, current: int | None
) -> tuple[list[int], np.ndarray, dict[int, float], dict[str, int]]:
    """Candidates and their feature rows for one moment (training and serving)."""
    pop = state.popularity(view.at_ms)
    team, neighbours = team_scores(state, view) if view.known else ({}, {})
    cands = candidates(state, view, current, pop, team)
    return cands, features(state, view, current, cands, pop, team), team, neighbours
