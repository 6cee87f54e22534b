"""The C heap (glibc on Linux): what Python's and the libraries' freed memory costs in resident pages.

Background builds and model calls run on threads, and glibc gives each allocating thread an arena
of its own; what they free stays resident there until trimmed. Elsewhere these are no-ops.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import sys

ARENAS = 2  # glibc malloc arenas at most (see limit_arenas)
_M_ARENA_MAX = -8  # mallopt's parameter number (malloc.h)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")  # glibc's soname (find_library would run ldconfig)
    except OSError:
        return None
    # glibc only: musl has neither malloc_trim nor mallopt's arena limit.
    names = ("gnu_get_libc_version", "malloc_trim", "mallopt")
    return libc if all(hasattr(libc, n) for n in names) else None


def release_free_memory() -> bool:
    """Hand the C heap's free pages back to the system (``malloc_trim``: every arena, not only the
    top of the main one); whether it could (glibc on Linux)."""
    libc = _libc()
    if libc is None:
        return False
    with contextlib.suppress(Exception):
        libc.malloc_trim(0)
        return True
    return False


def limit_arenas(arenas: int = ARENAS) -> bool:
    """At most ``arenas`` glibc malloc arenas (``mallopt(M_ARENA_MAX)``; the default is 8 per core):
    every thread that allocates otherwise gets an arena of its own, and what a finished build or a
    model call freed there stays resident for that arena only. Call it before threads start."""
    libc = _libc()
    if libc is None:
        return False
    with contextlib.suppress(Exception):
        return bool(libc.mallopt(_M_ARENA_MAX, max(1, arenas)))
    return False
