"""The live usage state shared by recommendations and predictions, kept current by fold-in.

The first call replays the log once; every later call first folds in the interactions stored
since its cursor (one indexed query, usually empty), so the event just tracked counts in the
very next answer. A context time in the past gets a state replayed up to that time (cached),
because only events up to it may count.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from pathlib import Path

from ..analytics import history
from ..analytics.db import Conn
from .state import UsageState, replay

PAST_STATES = 3


class LiveUsage:
    def __init__(self, db_path: str | Path) -> None:
        self._path = Path(db_path)
        self._conn: Conn | None = None
        self._lock = threading.RLock()
        self._state: UsageState | None = None
        self._past: OrderedDict[int, UsageState] = OrderedDict()
        self.fold_seconds = 0.0

    @property
    def lock(self) -> threading.RLock:
        """Hold it while reading a state: a concurrent call may be folding events into it."""
        return self._lock

    @property
    def conn(self) -> Conn:
        if self._conn is None:
            self._conn = Conn(self._path)
        return self._conn

    def current(self) -> UsageState:
        """The state including every interaction stored so far."""
        with self._lock:
            if self._state is None:
                cols = history.columns(self.conn)
                self._state = replay(cols)
                self._state.last_seq = max(self._state.last_seq, int(cols.seq.max()) if len(cols) else 0)
            self._fold()
            return self._state

    def _fold(self) -> None:
        state = self._state
        assert state is not None
        started = time.perf_counter()
        while True:
            batch = history.since_event(self.conn, state.last_seq, limit=5000)
            for it in batch:
                state.add_interaction(it)
            if len(batch) < 5000:
                break
        self.fold_seconds = time.perf_counter() - started

    def at(self, at_ms: int) -> UsageState:
        """The state as of ``at_ms``: the live one for now, a replay for a time in the past."""
        state = self.current()
        if at_ms >= state.latest_ms:
            return state
        key = at_ms
        with self._lock:
            past = self._past.get(key)
            if past is None:
                past = replay(history.columns(self.conn, until=at_ms))
                self._past[key] = past
                while len(self._past) > PAST_STATES:
                    self._past.popitem(last=False)
            self._past.move_to_end(key)
            return past

    def reset(self) -> None:
        with self._lock:
            self._state = None
            self._past.clear()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
