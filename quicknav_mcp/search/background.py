"""The background search indexer: extraction, then embeddings, whenever the index changed.

A daemon thread. It wakes up every ``interval`` seconds (or at once after :meth:`wake`, e.g.
when a re-index finished), does nothing when the store has not changed since its last pass,
and otherwise runs :meth:`SearchService.index_content` in bounded slices so it can stop quickly.

The worker *has* a thread rather than *being* one: a ``threading.Thread`` subclass that sets
attributes such as ``_stop`` silently replaces the thread's own internals (``join()`` then
raised on every shutdown).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .service import SearchService

log = logging.getLogger(__name__)

SLICE = 256  # documents per pass of each worker before checking for stop


class BackgroundIndexer:
    """Keeps extracted text and embeddings up to date while the server runs."""

    def __init__(self, service: SearchService, *, interval: float = 30.0, initial_delay: float = 5.0) -> None:
        self.service = service
        self.interval = interval
        self.initial_delay = initial_delay
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._seen: object = None
        self._thread = threading.Thread(target=self._run, name="quicknav-search-indexer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def wake(self) -> None:
        self._wake.set()

    def request_stop(self) -> None:
        """Ask the worker to stop without waiting (a pass ends at its next check)."""
        self._stopping.set()
        self._wake.set()

    def stop(self, timeout: float = 1.0) -> bool:
        """Ask the worker to stop and wait up to ``timeout`` s; return whether it has stopped.

        A pass stops at its next slice boundary; one stuck in a slow step (a model load) is
        left behind as a daemon thread rather than holding the process's shutdown up.
        """
        self.request_stop()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("background search indexer still busy after %.1fs; not waiting for it", timeout)
            return False
        return True

    def _run(self) -> None:
        # Short-lived sessions (one question, then exit) should not pay for a model load.
        self._wake.wait(self.initial_delay)
        self._wake.clear()
        while not self._stopping.is_set():
            try:
                self._pass()
            except Exception:  # a bad pass must not kill the worker; it retries later
                if self._stopping.is_set():  # the store was closed under a pass that overran stop()
                    log.debug("background search indexing ended by shutdown", exc_info=True)
                    break
                log.exception("background search indexing failed")
            self._wake.wait(self.interval)
            self._wake.clear()

    def _pass(self) -> None:
        store = self.service.store
        generation = store.generation()
        if generation == self._seen:
            return
        while not self._stopping.is_set():
            report = self.service.index_content(max_docs=SLICE, cancel=self._stopping)
            extracted = report.get("extract", {}).get("processed", 0)
            embedded = report.get("embed", {}).get("documents", 0)
            if extracted or embedded:
                log.info("search index: %d extracted, %d embedded", extracted, embedded)
            if not extracted and not embedded:
                break
        self.service.segments.merge()  # full-text indexes back to one segment each (segments.py)
        if not self.service.segments.due():  # a deferred merge: the next wake-up tries again
            self._seen = store.generation()
