"""The live usage state both recommendations and predictions read: built by replaying the event
log once, then kept current by folding in each new event (microseconds, no retrain).

Everything is kept "as of the newest event": per-user event lists (so a user's own profile can
be cut at any context time exactly), per-project users, decayed popularity, and project-to-
project transitions (the next project a person opens within a working session).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..analytics.history import INTERACTION_WEIGHTS, Interaction, InteractionColumns

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
POP_HALF_LIFE_DAYS = 14.0
SESSION_GAP_MS = 4 * HOUR_MS  # a switch of project within this gap counts as a transition
_LN2 = math.log(2)
_INV_TAU = _LN2 / (POP_HALF_LIFE_DAYS * DAY_MS)
_WEIGHTS = INTERACTION_WEIGHTS


@dataclass(slots=True)
class UserLog:
    """One user's interactions in time order, as parallel lists (cheap appends)."""

    ts: list[int] = field(default_factory=list)
    project: list[int] = field(default_factory=list)
    weight: list[float] = field(default_factory=list)
    doc: list[bool] = field(default_factory=list)  # a document was opened

    def cut(self, until_ms: int | None) -> int:
        """How many events happened at or before ``until_ms``."""
        return len(self.ts) if until_ms is None else bisect.bisect_right(self.ts, until_ms)


class UsageState:
    """Incrementally maintained usage aggregates; ``add`` is the fold-in of one event."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.index: dict[str, int] = {}
        # Python lists, not numpy: one element updated per event is ~10x faster on a list.
        self._pop: list[float] = []  # decayed weight sum per project, relative to self._ref
        self._last: list[int] = []  # newest event on each project (ms), 0 = never
        self._arrays: tuple[np.ndarray, np.ndarray] | None = None  # numpy copies for reads
        self._ref = 0  # reference time of the decayed sums
        self.users: dict[str, UserLog] = {}
        self.project_users: dict[int, dict[str, int]] = {}  # project -> user -> last ms
        self.transitions: dict[int, dict[int, float]] = {}  # i -> j -> count over all users
        self.user_transitions: dict[str, dict[int, dict[int, float]]] = {}
        self.latest_ms = 0
        self.last_seq = 0
        self.events = 0
        self.replayed = 0  # rows of an InteractionColumns consumed by replay()

    # ---- vocabulary ---------------------------------------------------------------------------
    def project_index(self, code: str) -> int:
        i = self.index.get(code)
        if i is None:
            i = len(self.codes)
            self.index[code] = i
            self.codes.append(code)
            self._pop.append(0.0)
            self._last.append(0)
            self._arrays = None
        return i

    def ensure_projects(self, codes: Iterable[str]) -> None:
        for code in codes:
            self.project_index(code)

    @property
    def n_projects(self) -> int:
        return len(self.codes)

    # ---- fold-in --------------------------------------------------------------------------------
    def add(
        self,
        user: str,
        project: str,
        kind: str,
        ts_ms: int,
        *,
        document: str | None = None,
        seq: int = 0,
    ) -> None:
        """Fold one interaction in (events may arrive slightly out of order; lists stay sorted)."""
        j = self.index.get(project)
        if j is None:
            j = self.project_index(project)
        w = _WEIGHTS.get(kind, 1.0)
        log = self.users.get(user)
        if log is None:
            log = self.users[user] = UserLog()
        lts = log.ts
        prev = prev_ts = None
        if not lts or ts_ms >= lts[-1]:
            if lts:
                prev, prev_ts = log.project[-1], lts[-1]
            lts.append(ts_ms)
            log.project.append(j)
            log.weight.append(w)
            log.doc.append(kind == "document_access")
        else:  # a late event: insert in place (rare; the stream is almost ordered), no transition
            k = bisect.bisect_right(lts, ts_ms)
            lts.insert(k, ts_ms)
            log.project.insert(k, j)
            log.weight.insert(k, w)
            log.doc.insert(k, kind == "document_access")
        if prev is not None and prev != j and ts_ms - prev_ts <= SESSION_GAP_MS:  # type: ignore[operator]
            row = self.transitions.get(prev)
            if row is None:
                row = self.transitions[prev] = {}
            row[j] = row.get(j, 0.0) + 1.0
            urow = self.user_transitions.setdefault(user, {}).setdefault(prev, {})
            urow[j] = urow.get(j, 0.0) + 1.0
        users = self.project_users.get(j)
        if users is None:
            users = self.project_users[j] = {}
        if users.get(user, 0) < ts_ms:
            users[user] = ts_ms
        # popularity: w * 2^((ts - ref) / half-life), the reference moved forward before overflow
        if self._ref == 0:
            self._ref = ts_ms
        exponent = (ts_ms - self._ref) * _INV_TAU
        if exponent > 200:
            scale = math.exp(-exponent)
            self._pop = [p * scale for p in self._pop]
            self._ref = ts_ms
            exponent = 0.0
        self._pop[j] += w * math.exp(exponent)
        if ts_ms > self._last[j]:
            self._last[j] = ts_ms
        if ts_ms > self.latest_ms:
            self.latest_ms = ts_ms
        if seq > self.last_seq:
            self.last_seq = seq
        self.events += 1
        self._arrays = None

    def add_interaction(self, it: Interaction) -> None:
        self.add(it.user_id, it.project_number, it.event_type, it.ts_ms, document=it.document, seq=it.seq)

    # ---- reads ----------------------------------------------------------------------------------
    def popularity(self, at_ms: int) -> np.ndarray:
        """Decayed activity of every project at ``at_ms`` (half-life 14 days)."""
        n = self.n_projects
        if not n or self._ref == 0:
            return np.zeros(n)
        return self._numpy()[0] * math.exp(max(-700.0, -(at_ms - self._ref) * _INV_TAU))

    def last_activity(self) -> np.ndarray:
        return self._numpy()[1]

    def _numpy(self) -> tuple[np.ndarray, np.ndarray]:
        arrays = self._arrays
        if arrays is None or arrays[0].shape[0] != len(self._pop):
            arrays = self._arrays = (np.array(self._pop), np.array(self._last, np.int64))
        return arrays

    def active_users(self, j: int, since_ms: int, until_ms: int | None = None) -> int:
        return sum(
            1
            for ts in self.project_users.get(j, {}).values()
            if ts >= since_ms and (until_ms is None or ts <= until_ms)
        )


def replay(cols: InteractionColumns, *, until_ms: int | None = None, state: UsageState | None = None) -> UsageState:
    """A state from columnar history (events at or before ``until_ms``).

    A fresh state is built in bulk with numpy (the same result as folding each event in, about
    ten times faster); given a ``state`` that already replayed part of the same columns, it
    continues event by event from there, so one pass can stop at several cut times.
    """
    n = len(cols) if until_ms is None else int(np.searchsorted(cols.ts_ms, until_ms, side="right"))
    if state is None or (state.events == 0 and state.replayed == 0):
        fresh = bulk(cols, n)
        if state is None:
            return fresh
        state.__dict__.update(fresh.__dict__)
        return state
    lo = state.replayed
    users, projects, types = cols.users, cols.projects, cols.types
    add = state.add
    for u, p, t, ts, s in zip(
        cols.user[lo:n].tolist(),
        cols.project[lo:n].tolist(),
        cols.type[lo:n].tolist(),
        cols.ts_ms[lo:n].tolist(),
        cols.seq[lo:n].tolist(),
        strict=True,
    ):
        add(users[u], projects[p], types[t], ts, seq=s)
    state.replayed = max(lo, n)
    return state


def bulk(cols: InteractionColumns, n: int) -> UsageState:
    """The state after the first ``n`` (time-ordered) interactions, computed with array operations."""
    state = UsageState()
    state.replayed = n
    if n == 0:
        return state
    u, p, t, ts, seq = cols.user[:n], cols.project[:n], cols.type[:n], cols.ts_ms[:n], cols.seq[:n]
    # Projects are numbered in order of first appearance, as folding them in one by one would.
    uniq_p, first = np.unique(p, return_index=True)
    order = uniq_p[np.argsort(first, kind="stable")]
    for k in order.tolist():
        state.project_index(cols.projects[k])
    remap = np.full(len(cols.projects), -1, np.int64)
    remap[order] = np.arange(len(order))
    j = remap[p]
    n_proj = len(order)
    weights = np.array([INTERACTION_WEIGHTS.get(x, 1.0) for x in cols.types])[t]
    doc_code = cols.types.index("document_access") if "document_access" in cols.types else -1
    is_doc = t == doc_code
    # Per-user logs: a stable sort by user keeps each user's events in time order.
    o = np.argsort(u, kind="stable")
    us, ts_o, j_o, w_o, d_o = u[o], ts[o], j[o], weights[o], is_doc[o]
    cuts = np.flatnonzero(np.diff(us)) + 1
    starts = np.concatenate([[0], cuts]).tolist()
    ends = np.concatenate([cuts, [n]]).tolist()
    for a, b in zip(starts, ends, strict=True):
        state.users[cols.users[int(us[a])]] = UserLog(
            ts=ts_o[a:b].tolist(), project=j_o[a:b].tolist(), weight=w_o[a:b].tolist(), doc=d_o[a:b].tolist()
        )
    # Transitions: consecutive events of one user on different projects within a session gap.
    moved = (us[1:] == us[:-1]) & (j_o[1:] != j_o[:-1]) & (ts_o[1:] - ts_o[:-1] <= SESSION_GAP_MS)
    prev, nxt, who = j_o[:-1][moved], j_o[1:][moved], us[1:][moved].astype(np.int64)
    keys, counts = np.unique(prev * n_proj + nxt, return_counts=True)
    for key, c in zip(keys.tolist(), counts.tolist(), strict=True):
        state.transitions.setdefault(key // n_proj, {})[key % n_proj] = float(c)
    keys, counts = np.unique((who * n_proj + prev) * n_proj + nxt, return_counts=True)
    for key, c in zip(keys.tolist(), counts.tolist(), strict=True):
        pair, b_ = divmod(key, n_proj)
        w_, a_ = divmod(pair, n_proj)
        state.user_transitions.setdefault(cols.users[w_], {}).setdefault(a_, {})[b_] = float(c)
    # Who worked on each project, and when last: the last occurrence of each (project, user).
    n_users = len(cols.users)
    pu = (j * n_users + u)[::-1]
    keys, idx = np.unique(pu, return_index=True)
    last_ts = ts[::-1][idx]
    for key, when in zip(keys.tolist(), last_ts.tolist(), strict=True):
        state.project_users.setdefault(key // n_users, {})[cols.users[key % n_users]] = when
    ref = int(ts[-1])
    state._ref = ref
    state._pop = np.bincount(j, weights=weights * np.exp((ts - ref) * _INV_TAU), minlength=n_proj).tolist()
    last = np.zeros(n_proj, np.int64)
    np.maximum.at(last, j, ts)
    state._last = last.tolist()
    state.latest_ms = int(ts.max())
    state.last_seq = int(seq.max())
    state.events = n
    return state
