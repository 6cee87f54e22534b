"""One in-memory copy built in the background: at most one build at a time, waited for, stopped at close.

The candidate table (:mod:`.candidates`), the in-memory postings (:mod:`.doc_postings`), the
project summaries (:mod:`.project_about`) and the vector shortlist (:mod:`.vectors`) each keep a
copy of what the store holds, built on a daemon thread at start-up and again when the store moved.
:class:`BackgroundBuild` is what they share: claiming the one build that may run (not again before
a time the owner says: the owners space rebuilds differently), running it on a thread or inline,
waiting for it (:meth:`~BackgroundBuild.wait`), logging a build that fails (the owner's last copy,
or SQL, keeps serving; the next ask builds again) and stopping at close. When should a copy be
rebuilt is each owner's rule; this class only runs builds.

After a build on a thread the C heap's free pages are handed back to the system
(:func:`..heap.release_free_memory`): a build's temporaries (rows, sets of words, float32 blocks) are
freed into the arena of the thread that made them, where glibc keeps them resident.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

from ..heap import release_free_memory

log = logging.getLogger(__name__)

SMALL_WAIT_S = 5.0  # seconds a small firm's search waits for a build it started (its answer then uses it)
CLOSE_WAIT_S = 5.0  # seconds close() waits for a running build to stop

Claim = Literal["claimed", "running", "refused"]


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

    def wait(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` s (None: as long as it takes) until no build runs; whether none does."""
        return self._idle.wait(timeout)

    def check(self) -> None:
        """Raise :class:`BuildStopped` inside a build once :meth:`close` was called (builds call it
        between chunks, so close does not wait for a whole-table read)."""
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
