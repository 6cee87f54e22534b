"""The background search indexer: extraction, then embeddings, whenever the index changed.

A daemon thread. It wakes up every ``interval`` seconds (or at once after :meth:`wake`, e.g.
when a re-index finished), does nothing when the store has not changed since its last pass,
and otherwise runs :meth:`SearchService.index_content` in bounded slices so it can stop quickly.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .service import SearchService

log = logging.getLogger(__name__)

SLICE = 256  # documents per pass of each worker before checking for stop


class BackgroundIndexer(threading.Thread):
    """Keeps extracted text and embeddings up to date while the server runs."""

    def __init__(self, service: SearchService, *, interval: float = 30.0, initial_delay: float = 5.0) -> None:
        super().__init__(name="quicknav-search-indexer", daemon=True)
        self.service = service
        self.interval = interval
        self.initial_delay = initial_delay
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._seen: object = None

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    def run(self) -> None:
        # Short-lived sessions (one question, then exit) should not pay for a model load.
        self._wake.wait(self.initial_delay)
        self._wake.clear()
        while not self._stop.is_set():
            try:
                self._pass()
            except Exception:  # a bad pass must not kill the worker; it retries later
                log.exception("background search indexing failed")
            self._wake.wait(self.interval)
            self._wake.clear()

    def _pass(self) -> None:
        store = self.service.store
        generation = store.generation()
        if generation == self._seen:
            return
        while not self._stop.is_set():
            report = self.service.index_content(max_docs=SLICE, cancel=self._stop)
            extracted = report.get("extract", {}).get("processed", 0)
            embedded = report.get("embed", {}).get("documents", 0)
            if extracted or embedded:
                log.info("search index: %d extracted, %d embedded", extracted, embedded)
            if not extracted and not embedded:
                break
        self._seen = store.generation()
