"""The cycle collector's first threshold, raised while some part of the process asks for it.

A large first scan moves rows through the process in bursts of thousands of objects (the projects a
worker walked, unpickled: their rows, problems and folders; a batch handed to the writer), and each
burst past Python's threshold (700 objects more allocated than freed) starts a collection that
traverses every young object, for objects that are freed a moment later without any cycle (the
listings and parsing are in the worker processes, which hold collection off while they parse). The threshold
is the largest any holder asks for, and the original comes back after the last
(:mod:`.shared_setting`); a process that turned automatic collection off (threshold 0) keeps it off.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator

from .shared_setting import SharedSetting


def _pick(original: tuple[int, int, int], asks: list[int]) -> tuple[int, int, int]:
    if not original[0]:
        return original
    return (max(original[0], *asks), *original[1:])


_SETTING = SharedSetting(gc.get_threshold, lambda t: gc.set_threshold(*t), _pick)


def hold(threshold: int) -> int:
    """Ask for a first threshold of at least ``threshold``; returns the token to :func:`release`."""
    return _SETTING.hold(threshold)


def release(token: int) -> None:
    """End the hold ``token`` (a second release of it does nothing)."""
    _SETTING.release(token)


@contextlib.contextmanager
def raised(threshold: int) -> Iterator[None]:
    """Hold a first threshold of at least ``threshold`` while the block runs."""
    with _SETTING.held(threshold):
        yield


__all__ = ["hold", "raised", "release"]
