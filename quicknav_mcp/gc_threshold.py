"""The cycle collector's first threshold, raised while some part of the process asks for it.

A large first scan moves rows, listings and results through the process in bursts of thousands of
objects (a batch unpickled, a project's listing), and each burst past Python's threshold (700 objects
more allocated than freed) starts a collection that traverses every young object: ~400 of them, ~0.4
CPU-s of a 116k-file scan, for objects that are freed a moment later without any cycle. Holders ask
here, as for the switch interval (switch_interval.py): the threshold is the largest any holder asks
for, and the original comes back after the last.
"""

from __future__ import annotations

import contextlib
import gc
import itertools
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_holders: dict[int, int] = {}
_original: tuple[int, int, int] = (0, 0, 0)
_tokens = itertools.count(1)


def hold(threshold: int) -> int:
    """Ask for a first threshold of at least ``threshold``; returns the token to :func:`release`."""
    global _original
    with _lock:
        if not _holders:
            _original = gc.get_threshold()
        token = next(_tokens)
        _holders[token] = threshold
        if _original[0]:  # (0: the process turned automatic collection off; a hold does not turn it on)
            gc.set_threshold(max(_original[0], *_holders.values()), *_original[1:])
        return token


def release(token: int) -> None:
    """End the hold ``token`` (a second release of it does nothing)."""
    with _lock:
        if _holders.pop(token, None) is None:
            return
        first = max(_original[0], *_holders.values()) if _holders and _original[0] else _original[0]
        gc.set_threshold(first, *_original[1:])


@contextlib.contextmanager
def raised(threshold: int) -> Iterator[None]:
    """Hold a first threshold of at least ``threshold`` while the block runs."""
    token = hold(threshold)
    try:
        yield
    finally:
        release(token)


__all__ = ["hold", "raised", "release"]
