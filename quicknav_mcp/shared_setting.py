"""A process-wide interpreter setting that several parts of the process ask to change at once.

Each part saving and restoring the setting on its own loses the other's when their lifetimes
overlap (the second to start restores the first's value when it ends). Holders ask here instead:
while any holds, the setting is what ``pick`` makes of the original and every ask; the original
comes back after the last. Used by :mod:`.switch_interval` and :mod:`.gc_threshold`.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
from collections.abc import Callable, Iterator
from typing import Any


class SharedSetting:
    """``read``/``write`` the setting; ``pick(original, asks)`` is its value while ``asks`` are held."""

    def __init__(
        self, read: Callable[[], Any], write: Callable[[Any], None], pick: Callable[[Any, list[Any]], Any]
    ) -> None:
        self._read, self._write, self._pick = read, write, pick
        self._lock = threading.Lock()
        self._holders: dict[int, Any] = {}
        self._original: Any = None
        self._tokens = itertools.count(1)

    def hold(self, ask: Any) -> int:
        """Ask for ``ask``; returns the token to :meth:`release`."""
        with self._lock:
            if not self._holders:
                self._original = self._read()
            token = next(self._tokens)
            self._holders[token] = ask
            self._write(self._pick(self._original, list(self._holders.values())))
            return token

    def release(self, token: int) -> None:
        """End the hold ``token`` (a second release of it does nothing)."""
        with self._lock:
            if self._holders.pop(token, None) is None:
                return
            asks = list(self._holders.values())
            self._write(self._pick(self._original, asks) if asks else self._original)

    @contextlib.contextmanager
    def held(self, ask: Any) -> Iterator[None]:
        """Hold ``ask`` while the block runs."""
        token = self.hold(ask)
        try:
            yield
        finally:
            self.release(token)
