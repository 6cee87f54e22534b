"""The interpreter's thread-switch interval, lowered while some part of the process asks for it.

Background builds and the file watcher each want a shorter interval than Python's 5 ms while they
run (a thread waiting for the interpreter then gets it sooner). The interval is the smallest any
holder asks for, and the original comes back after the last (:mod:`.shared_setting`).
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from .shared_setting import SharedSetting

_SETTING = SharedSetting(sys.getswitchinterval, sys.setswitchinterval, lambda original, asks: min(original, *asks))


def hold(seconds: float) -> int:
    """Ask for an interval of at most ``seconds``; returns the token to :func:`release`."""
    return _SETTING.hold(seconds)


def release(token: int) -> None:
    """End the hold ``token`` (a second release of it does nothing)."""
    _SETTING.release(token)


@contextlib.contextmanager
def lowered(seconds: float) -> Iterator[None]:
    """Hold an interval of at most ``seconds`` while the block runs."""
    with _SETTING.held(seconds):
        yield
