"""The embedding worker's pool of niced background threads (the serving thread keeps its core)."""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from quicknav_mcp.heap import release_free_memory

BACKGROUND_NICE = 10
BACKGROUND_WORKERS_MAX = 4  # threads of the background pool at most (one torch thread each)
POOL_START_TIMEOUT_S = 60.0  # a pool thread that cannot set up within this fails the call, not hangs it


def cpus() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_END = object()


class BackgroundPool:
    """Daemon threads for the worker's model calls, started on first use: each runs torch on one
    thread of its own and is niced by :data:`BACKGROUND_NICE` (Linux nices threads one by one),
    so the serving thread keeps its core. Threads share the model: no second copy in memory."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self.native_ids: list[int] = []  # the pool's threads as the OS knows them
        self._jobs: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._started = False
        self._closed = False
        self._threads: list[threading.Thread] = []
        self._ending: list[threading.Thread] = []  # stopped (:meth:`stop`), maybe still in a call
        self._changed = threading.Condition()  # a map() runner finished, or the pool stopped

    def map(self, fn: Callable[[Any], None], items: Iterable[Any]) -> None:
        """``fn(item)`` for every item, on the pool's threads (each takes the next item when
        done, so uneven calls balance); returns when all are done, raising the first error."""
        items = list(items)
        if not items:
            return
        if self._closed:
            raise RuntimeError("the embedding model is closed")
        self._start()
        pending = iter(items)
        take = threading.Lock()
        errors: list[BaseException] = []
        left = [min(self.size, len(items))]  # runners still at work, under self._changed

        def drain() -> None:
            try:
                while not errors:
                    if self._closed:  # the process is shutting down: no further model call
                        raise RuntimeError("the embedding model is closed")
                    with take:
                        item = next(pending, _END)
                    if item is _END:
                        return
                    fn(item)
            except BaseException as exc:  # re-raised in the caller's thread
                errors.append(exc)
            finally:
                with self._changed:
                    left[0] -= 1
                    self._changed.notify_all()

        with self._lock:  # queued before close()'s stop marks (and then run), or not at all
            if self._closed:
                raise RuntimeError("the embedding model is closed")
            for _ in range(left[0]):
                self._jobs.put(drain)
        with self._changed:
            # Stopping (shutdown) wakes this at once: the caller does not wait for the calls under
            # way (close() does, when it must); their results would be dropped anyway.
            while left[0] and not self._closed:
                self._changed.wait()
            if left[0]:
                raise RuntimeError("the embedding model is closed")
        # The calls' activations were freed into the pool threads' arenas: hand the pages back.
        release_free_memory()
        if errors:
            raise errors[0]

    def _start(self) -> None:
        with self._lock:
            if self._started:
                return
            ready = threading.Barrier(self.size + 1, timeout=POOL_START_TIMEOUT_S)
            for n in range(self.size):
                thread = threading.Thread(target=self._serve, args=(ready,), name=f"quicknav-embed-{n}", daemon=True)
                thread.start()
                self._threads.append(thread)
            try:
                ready.wait()  # set up (threads, niceness) before the first call
            except threading.BrokenBarrierError:
                raise RuntimeError("the embedding threads did not start") from None
            self._started = True

    def stop(self) -> None:
        """Refuse new calls and let the threads end after their current call, without waiting."""
        with self._lock:
            self._closed = True
            threads, self._threads = self._threads, []
            self._ending += threads
        for _ in threads:
            self._jobs.put(None)
        with self._changed:
            self._changed.notify_all()  # map() callers stop waiting

    def close(self, timeout: float = 10.0) -> None:
        """Stop the threads once their current model call returns (torch must not be running on a
        thread the interpreter tears down at exit: that aborts the process)."""
        self.stop()
        deadline = time.monotonic() + timeout
        for thread in list(self._ending):
            thread.join(max(0.0, deadline - time.monotonic()))

    def _serve(self, ready: threading.Barrier) -> None:
        try:
            tid = threading.get_native_id()
            with contextlib.suppress(AttributeError, OSError):  # not Linux, or not allowed: run un-niced
                os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + BACKGROUND_NICE))
            self.native_ids.append(tid)
        except BaseException:
            ready.abort()  # the caller's wait fails at once instead of hanging with the pool's lock held
            raise
        ready.wait()
        while (job := self._jobs.get()) is not None:
            job()
