"""The interpreter's thread-switch interval, lowered while some part of the process asks for it.

Background builds and the file watcher each want a shorter interval than Python's 5 ms while they
run (a thread waiting for the interpreter then gets it sooner). Each saving and restoring the
interval on its own lost the other's setting when their lifetimes overlapped, so holders ask here:
the interval is the smallest any holder asks for, and the original comes back after the last.
"""

from __future__ import annotations

import contextlib
import itertools
import sys
import threading
from collections.abc import Iterator

_lock = threading.Lock()
_holders: dict[int, float] = {}
_original = 0.0
_tokens = itertools.count(1)


def hold(seconds: float) -> int:
    """Ask for an interval of at most ``seconds``; returns the token to :func:`release`."""
    global _original
    with _lock:
        if not _holders:
            _original = sys.getswitchinterval()
        token = next(_tokens)
        _holders[token] = seconds
        sys.setswitchinterval(min(_original, *_holders.values()))
        return token


def release(token: int) -> None:
    """End the hold ``token`` (a second release of it does nothing)."""
    with _lock:
        if _holders.pop(token, None) is None:
            return
        sys.setswitchinterval(min(_original, *_holders.values()) if _holders else _original)


@contextlib.contextmanager
def lowered(seconds: float) -> Iterator[None]:
    """Hold an interval of at most ``seconds`` while the block runs."""
    token = hold(seconds)
    try:
        yield
    finally:
        release(token)
