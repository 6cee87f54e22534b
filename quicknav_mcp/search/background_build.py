"""One in-memory copy built in the background: at most one build at a time, waited for, stopped at close.

The candidate table (:mod:`.candidates`), the in-memory postings (:mod:`.doc_postings`), the
project summaries (:mod:`.project_about`) and the vector shortlist (:mod:`.vectors`) each keep a
copy of what the store holds, built on a daemon thread at start-up and again when the store moved.
:class:`BackgroundBuild` is what they share: claiming the one build that may run (not again before
a time the owner says: the owners space rebuilds differently), running it on a thread or inline,
waiting for it (:meth:`~BackgroundBuild.wait`), logging a build that fails (the owner's last copy,
or SQL, keeps serving; the next ask builds again) and stopping at close. When should a copy be
rebuilt is each owner's rule; this class only runs builds.

Builds give way to the foreground (:data:`FOREGROUND`): Python runs one thread at a time, and a build
looping in Python made each call that gave the interpreter up (every SQLite statement does) wait up to
the switch interval (5 ms) to get it back: for the first ~20 s after a 116k firm's server opened,
``navigate_project`` took 28-44 ms instead of ~1. So while a build runs on a thread the switch interval
is lowered (:data:`SWITCH_INTERVAL_S`), and at each checkpoint (:meth:`BackgroundBuild.check`, which
builds call every few milliseconds of work) a build waits while a call a person or an assistant waits
for is under way (the MCP server, the HTTP gateway and the TUI mark theirs), up to :data:`PARK_MAX_S` at a time
and then runs for :data:`RUN_QUANTUM_S` regardless: a stream of calls slows the builds, never stops them,
and calls under way for over :data:`LONG_CALL_S` are not waited for.

After a build on a thread the C heap's free pages are handed back to the system
(:func:`..heap.release_free_memory`): a build's temporaries (rows, sets of words, float32 blocks) are
freed into the arena of the thread that made them, where glibc keeps them resident.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Literal

from .. import switch_interval
from ..heap import release_free_memory

log = logging.getLogger(__name__)

SMALL_WAIT_S = 5.0  # seconds a small firm's search waits for a build it started (its answer then uses it)
CLOSE_WAIT_S = 5.0  # seconds close() waits for a running build to stop
PARK_MAX_S = 0.05  # at most this long a build waits at one checkpoint for the foreground's calls to end ...
PARK_SLICE_S = 0.005  # a park rechecks for callers waiting on the build this often
RUN_QUANTUM_S = 0.005  # ... after which it runs this long without waiting (its share under a stream of calls)
LONG_CALL_S = 0.5  # a call running longer (a first search loading the vectors) no longer holds builds back
SWITCH_INTERVAL_S = 0.0005  # the interpreter's switch interval while a build runs on a thread (default 5 ms)

Claim = Literal["claimed", "running", "refused"]


class Foreground:
    """The calls someone is waiting for that are under way in this process (tool calls, HTTP requests).

    One per process (:data:`FOREGROUND`), as the interpreter lock it arbitrates is: a front door wraps
    each call in :meth:`call`; builds call :meth:`give_way` at their checkpoints."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: dict[int, float] = {}  # each call under way: time.monotonic() it began
        self._tokens = itertools.count()
        self._idle = threading.Event()
        self._idle.set()

    @property
    def busy(self) -> bool:
        """A call began less than :data:`LONG_CALL_S` ago and is still under way (builds wait for
        quick calls; one that runs for seconds, a reindex or a first search loading the vectors,
        would otherwise hold them back as long, yet the quick calls beside it still count)."""
        if not self._started:
            return False
        recent = time.monotonic() - LONG_CALL_S
        with self._lock:
            return any(t > recent for t in self._started.values())

    @contextlib.contextmanager
    def call(self) -> Iterator[None]:
        """Mark a call as under way while the block runs (calls may overlap and nest)."""
        with self._lock:
            token = next(self._tokens)
            self._started[token] = time.monotonic()
            self._idle.clear()
        try:
            yield
        finally:
            with self._lock:
                del self._started[token]
                if not self._started:
                    self._idle.set()

    def give_way(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s, without holding the interpreter, while a call is under way;
        whether none is."""
        return self._idle.wait(timeout)


FOREGROUND = Foreground()


class Pace:
    """A background worker's checkpoints (:meth:`check`): while the foreground is busy, wait up to
    :data:`PARK_MAX_S` for its calls to end, then run :data:`RUN_QUANTUM_S` regardless. ``stop``
    (checked every :data:`PARK_SLICE_S` of a park) ends a park at once: someone waits for the work."""

    def __init__(self, stop: Callable[[], bool] = lambda: False) -> None:
        self._stop = stop
        self._free_until = 0.0  # time.monotonic() until which check() does not wait for the foreground

    def check(self) -> None:
        if FOREGROUND.busy and not self._stop():
            now = time.monotonic()
            if now >= self._free_until and not self._park(now + PARK_MAX_S):
                self._free_until = time.monotonic() + RUN_QUANTUM_S  # still busy: run a while, then again

    def _park(self, until: float) -> bool:
        """Give way until the foreground is idle (True) or ``until``; short slices, so ``stop`` ends
        the park within one."""
        while not self._stop():
            left = until - time.monotonic()
            if left <= 0:
                return False
            if FOREGROUND.give_way(min(left, PARK_SLICE_S)):
                return True
        return True


class BuildStopped(Exception):
    """Raised inside a build by :meth:`BackgroundBuild.check` once the builder is closing."""


class BackgroundBuild:
    """Runs one owner's builds, one at a time, on daemon threads named ``name`` (or inline)."""

    def __init__(self, name: str, what: str, *, closing: Callable[[], bool] = lambda: False) -> None:
        self.name = name
        self.what = what  # for the log: "candidate table", ...
        self._closing = closing  # the store is closing: a failure then is expected, logged quietly
        self._lock = threading.Lock()
        self._running = False
        self._again = False
        self._idle = threading.Event()  # set while no build runs
        self._idle.set()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.began = -1e9  # time.monotonic() the last build began
        self.ended = -1e9  # ... and ended (whether or not it succeeded)
        self.seconds = 0.0  # how long the last build took
        self.failures = 0  # builds that raised
        self._waiters = 0  # threads in wait(): while any, the build does not wait for the foreground
        self._pace = Pace(lambda: bool(self._waiters) or self._stopping.is_set())

    @property
    def running(self) -> bool:
        return self._running

    @property
    def closed(self) -> bool:
        return self._stopping.is_set()

    def claim(self, *, after: float = -1e9) -> Claim:
        """Mark a build as running: ``"claimed"`` (the caller then calls :meth:`run` or :meth:`spawn`),
        ``"running"`` when one already runs, ``"refused"`` before ``after`` (a ``time.monotonic()``)
        or once closed."""
        with self._lock:
            if self._running:
                return "running"
            if self._stopping.is_set() or time.monotonic() < after:
                return "refused"
            self._running = True
            self.began = time.monotonic()
            self._idle.clear()
            return "claimed"

    def start(self, work: Callable[[], object], *, after: float = -1e9, again: bool = False) -> Claim:
        """Claim a build and run ``work`` on a thread. ``again``: when one already runs, run ``work``
        once more after it (the copy it makes is already out of date)."""
        claim = self.claim(after=after)
        if claim == "claimed":
            self.spawn(work)
        elif claim == "running" and again:
            with self._lock:
                if self._running:
                    self._again = True
                    return claim
            return self.start(work, after=after)  # it ended meanwhile
        return claim

    def spawn(self, work: Callable[[], object]) -> None:
        """Run a claimed build on a daemon thread."""
        thread = threading.Thread(target=self._run, args=(work, True), name=self.name, daemon=True)
        with self._lock:
            self._thread = thread
        try:
            thread.start()
        except RuntimeError:  # no thread to be had: release the claim, or no build would ever run again
            with self._lock:
                self._running = self._again = False
                self._idle.set()
            raise

    def run(self, work: Callable[[], object]) -> None:
        """Run a claimed build on this thread (a small firm's, as fast as a thread's start)."""
        self._run(work, False)

    def _run(self, work: Callable[[], object], threaded: bool) -> None:
        if not threaded:  # inline: this is the foreground (a small firm's search waiting for its table)
            self._loop(work, threaded)
            return
        with switch_interval.lowered(SWITCH_INTERVAL_S):
            self._loop(work, threaded)

    def _loop(self, work: Callable[[], object], threaded: bool) -> None:
        while True:
            try:
                work()
            except BuildStopped:
                pass
            except Exception as exc:  # the last copy (or SQL) keeps serving; the next ask builds again
                self.failures += 1
                quiet = self._stopping.is_set() or self._closing()
                (log.debug if quiet else log.warning)("%s not built: %s", self.what, exc, exc_info=not quiet)
            finally:
                self.ended = time.monotonic()
                self.seconds = self.ended - self.began
                if threaded:
                    release_free_memory()
            with self._lock:
                if not self._again or self._stopping.is_set():
                    self._running = self._again = False
                    self._idle.set()
                    return
                self._again = False
                self.began = time.monotonic()

    def allow_now(self) -> None:
        """Forget when the last build ran (an owner spacing builds by it then builds at once)."""
        self.began = self.ended = -1e9

    def wait_until(self, current: Callable[[], bool], restart: Callable[[], None], timeout: float) -> bool:
        """Wait up to ``timeout`` s until ``current()`` (the owner's copy is of the store as it is now),
        calling ``restart`` (start a build at once) whenever none runs; whether it became current."""
        deadline = time.monotonic() + timeout
        while not current():
            left = deadline - time.monotonic()
            if left <= 0 or self.closed:
                return False
            if not self.running:
                self.allow_now()
                restart()
            self.wait(min(left, 1.0))
        return True

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` s (None: as long as it takes) until no build runs; whether none does.
        Meanwhile the build does not give way to the foreground: the foreground is waiting for it."""
        with self._lock:
            self._waiters += 1
        try:
            return self._idle.wait(timeout)
        finally:
            with self._lock:
                self._waiters -= 1

    def check(self) -> None:
        """Called by builds every few milliseconds of work: wait while the foreground is busy (on a
        thread; see :class:`Foreground`), and raise :class:`BuildStopped` once :meth:`close` was called
        (so close does not wait for a whole-table read)."""
        if threading.current_thread() is self._thread:
            self._pace.check()
        if self._stopping.is_set():
            raise BuildStopped(self.what)

    def close(self, timeout: float = CLOSE_WAIT_S) -> bool:
        """Start no further build and wait up to ``timeout`` s for the running one; whether it ended."""
        self._stopping.set()
        with self._lock:
            thread = self._thread
        if thread is not None and thread is threading.current_thread():
            stopped = self._idle.is_set()
        else:  # the idle flag, not the thread: it also covers a build claimed but not yet spawned, or inline
            stopped = self._idle.wait(timeout)
        if not stopped:
            log.debug("%s build still running after %.1fs; left to end on its own", self.what, timeout)
        return stopped
