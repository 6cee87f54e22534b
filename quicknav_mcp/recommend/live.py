"""The live usage state shared by recommendations and predictions, kept current by fold-in.

The first call replays the log once; every later call first folds in the interactions stored
since its cursor, so the event just tracked counts in the very next answer. That read is kept
off SQLite when it can be: events this process stored are handed over by the writer (the log's
tail, see :func:`history.tail`), and ``PRAGMA data_version`` (no page read) tells whether any
other connection wrote since; only then does one indexed range query on ``seq`` run. A context time in the
past gets a state replayed up to that time (cached), because only events up to it may count.
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
    def __init__(self, db_path: str | Path, *, readonly: bool = False) -> None:
        self._path = Path(db_path)
        self._readonly = readonly
        self._conn: Conn | None = None
        self._lock = threading.RLock()
        self._state: UsageState | None = None
        self._past: OrderedDict[int, UsageState] = OrderedDict()
        self._tail = history.tail(self._path)
        self._version: int | None = None  # data_version at the last query of the log
        self.fold_seconds = 0.0
        self.fold_queries = 0  # range queries run by fold-in (the rest came from the tail)

    @property
    def lock(self) -> threading.RLock:
        """Hold it while reading a state: a concurrent call may be folding events into it."""
        return self._lock

    @property
    def conn(self) -> Conn:
        if self._conn is None:
            self._conn = Conn(self._path, readonly=self._readonly)
        return self._conn

    def current(self) -> UsageState:
        """The state including every interaction stored so far."""
        with self._lock:
            if self._state is None:
                self._version = self._data_version()
                high_water = history.last_seq(self.conn)  # read first: every row up to it is committed
                self._state = replay(history.columns(self.conn))
                self._state.last_seq = max(self._state.last_seq, high_water)
            self._fold()
            return self._state

    def _data_version(self) -> int:
        return int(self.conn.query_one("PRAGMA data_version")[0])

    def _fold(self) -> None:
        state = self._state
        assert state is not None
        started = time.perf_counter()
        handed = self._tail.after(state.last_seq)
        if handed is not None and handed[1] > state.last_seq:  # this process stored them: no query
            for it in handed[0]:
                state.add_interaction(it)
            state.last_seq = max(state.last_seq, handed[1])
            self.fold_seconds = time.perf_counter() - started
            return
        # Nothing new in this process's tail: did another connection or process write since?
        version = self._data_version()
        if handed is not None and version == self._version:
            self.fold_seconds = time.perf_counter() - started
            return
        self._version = version
        self.fold_queries += 1
        high_water = history.last_seq(self.conn)
        while True:
            batch = history.since_event(self.conn, state.last_seq, limit=5000)
            for it in batch:
                state.add_interaction(it)
            if len(batch) < 5000:
                break
        state.last_seq = max(state.last_seq, high_water)
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
