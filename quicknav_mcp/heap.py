"""Native resources: the C heap (glibc on Linux), what Python's and the libraries' freed memory costs in
resident pages, and the BLAS library's threads.

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


def limit_blas_threads(threads: int) -> bool:
    """At most ``threads`` threads in numpy's BLAS (OpenBLAS/MKL; the default is one per core) for the
    rest of the process: the server's products are small (a query's embedding, one vector against a
    matrix), and a second BLAS thread spinning on a busy 2-core machine costs more CPU than it saves
    (a 116k-row product measured ~20 ms on one thread and ~200 ms on two under load). Whether it could."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    with contextlib.suppress(Exception):
        threadpool_limits(limits=max(1, threads), user_api="blas")  # kept: not used as a context manager
        return True
    return False
