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


@dataclass(slots=True)
class UserLog:
    """One user's interactions in time order, as parallel lists (cheap appends)."""

    ts: list[int] = field(default_factory=list)
    project: list[int] = field(default_factory=list)
    weight: list[float] = field(default_factory=list)
    doc: list[bool] = field(default_factory=list)  # a document was opened
    docs: list[str | None] = field(default_factory=list)

    def cut(self, until_ms: int | None) -> int:
        """How many events happened at or before ``until_ms``."""
        return len(self.ts) if until_ms is None else bisect.bisect_right(self.ts, until_ms)


class UsageState:
    """Incrementally maintained usage aggregates; ``add`` is the fold-in of one event."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.index: dict[str, int] = {}
        self._pop = np.zeros(64)  # decayed weight sum, relative to self._ref
        self._last = np.zeros(64, np.int64)  # newest event on each project (ms), 0 = never
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
            if i >= self._pop.shape[0]:
                grow = max(64, i)
                self._pop = np.concatenate([self._pop, np.zeros(grow)])
                self._last = np.concatenate([self._last, np.zeros(grow, np.int64)])
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
        j = self.project_index(project)
        w = INTERACTION_WEIGHTS.get(kind, 1.0)
        log = self.users.get(user)
        if log is None:
            log = self.users[user] = UserLog()
        prev = log.project[-1] if log.project else None
        prev_ts = log.ts[-1] if log.ts else None
        if not log.ts or ts_ms >= log.ts[-1]:
            log.ts.append(ts_ms)
            log.project.append(j)
            log.weight.append(w)
            log.doc.append(kind == "document_access")
            log.docs.append(document)
        else:  # a late event: insert in place (rare; the stream is almost ordered)
            k = bisect.bisect_right(log.ts, ts_ms)
            log.ts.insert(k, ts_ms)
            log.project.insert(k, j)
            log.weight.insert(k, w)
            log.doc.insert(k, kind == "document_access")
            log.docs.insert(k, document)
            prev = None  # do not invent a transition out of order
        if prev is not None and prev != j and prev_ts is not None and ts_ms - prev_ts <= SESSION_GAP_MS:
            row = self.transitions.setdefault(prev, {})
            row[j] = row.get(j, 0.0) + 1.0
            urow = self.user_transitions.setdefault(user, {}).setdefault(prev, {})
            urow[j] = urow.get(j, 0.0) + 1.0
        users = self.project_users.setdefault(j, {})
        if users.get(user, 0) < ts_ms:
            users[user] = ts_ms
        self._add_pop(j, w, ts_ms)
        if ts_ms > self._last[j]:
            self._last[j] = ts_ms
        if ts_ms > self.latest_ms:
            self.latest_ms = ts_ms
        if seq > self.last_seq:
            self.last_seq = seq
        self.events += 1

    def add_interaction(self, it: Interaction) -> None:
        self.add(it.user_id, it.project_number, it.event_type, it.ts_ms, document=it.document, seq=it.seq)

    def _add_pop(self, j: int, w: float, ts_ms: int) -> None:
        tau = POP_HALF_LIFE_DAYS * DAY_MS / _LN2
        if self._ref == 0:
            self._ref = ts_ms
        exponent = (ts_ms - self._ref) / tau
        if exponent > 200:  # keep the sums finite: move the reference time forward
            self._pop *= math.exp(-exponent)
            self._ref = ts_ms
            exponent = 0.0
        self._pop[j] += w * math.exp(exponent)

    # ---- reads ----------------------------------------------------------------------------------
    def popularity(self, at_ms: int) -> np.ndarray:
        """Decayed activity of every project at ``at_ms`` (half-life 14 days)."""
        n = self.n_projects
        if not n or self._ref == 0:
            return np.zeros(n)
        tau = POP_HALF_LIFE_DAYS * DAY_MS / _LN2
        return self._pop[:n] * math.exp(max(-700.0, -(at_ms - self._ref) / tau))

    def last_activity(self) -> np.ndarray:
        return self._last[: self.n_projects]

    def active_users(self, j: int, since_ms: int, until_ms: int | None = None) -> int:
        return sum(
            1
            for ts in self.project_users.get(j, {}).values()
            if ts >= since_ms and (until_ms is None or ts <= until_ms)
        )


def replay(cols: InteractionColumns, *, until_ms: int | None = None, state: UsageState | None = None) -> UsageState:
    """A state from columnar history (events at or before ``until_ms``).

    Given a ``state`` that already replayed part of the same columns, it continues from there,
    so one pass can stop at several cut times.
    """
    state = state or UsageState()
    n = len(cols) if until_ms is None else int(np.searchsorted(cols.ts_ms, until_ms, side="right"))
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
