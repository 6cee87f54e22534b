"""Parsing the files a scan found: inline, or in worker processes when there are many.

Parsing a name (:func:`quicknav_mcp.domain.parse_document`) is most of a first scan's CPU and
holds the GIL, so a scan that has more than :data:`POOL_MIN_FILES` names to parse hands them, a
batch at a time, to :data:`WORKERS` processes while it goes on listing folders. Results come
back in the order the files were found, so rows (and their ids) are the same either way. The
watcher's (``shared``) scans are small and never start processes. The project facts a scan
recomputes go through the same workers when they were started. A root's first scan of many projects
hands them whole projects instead (:func:`.scan_project.walk_projects`): a worker walks a project's folders, parses
every name and computes the project's facts, so the scan's own thread only records and writes.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from quicknav_mcp.domain import parse_document
from quicknav_mcp.domain.models import ProjectFolder
from quicknav_mcp.repo.documents import document_values

from . import project_facts
from .scan_base import Project

#: Names parsed inline before a scan starts worker processes.
POOL_MIN_FILES = 20_000
#: A root's first scan (nothing stored yet) of this many project folders starts them before its walk, and they
#: walk whole projects (:func:`.scan_project.walk_projects`): it will parse more than POOL_MIN_FILES names (~23
#: files a project in the demo firm, more in real ones), and the names it would parse inline first (~1 CPU-s at
#: 20,000) hold it up.
POOL_MIN_PROJECTS = 800
#: Worker processes (one per core, at most two: beside them the scan's thread walks or records, a helper writes).
WORKERS = max(1, min(2, os.cpu_count() or 1))

#: Threads a scan starts itself (its writer and its folder lister): forking beside them is safe, as the
#: workers only list folders and parse names and never touch the store, queues or locks those threads hold.
SCAN_THREADS = ("scan-writer", "scan-prefetch")

#: Modules a fork server imports once for the workers it starts: the parser (here) and the first scan's walks of
#: whole projects (named, not imported: that module imports this one).
FORKSERVER_PRELOAD = (__name__, f"{__package__}.scan_project")

#: What a worker needs of one file: ``(project_id, folders, name, project_rel_path, size, mtime, ...)`` (a
#: scan's :data:`~.scan_base.Job`, sent as it is: fields after the sixth are not read).
Payload = tuple[Any, ...]

_R = TypeVar("_R")

#: The pool's stop (a multiprocessing Event), in a worker: set when the scan is cancelled.
_stop: Any = None


def failure(exc: Exception) -> str:
    """Why a name could not be parsed, as a worker hands it back (the scan records it: ScanWriter._not_parsed)."""
    return f"{type(exc).__name__}: {exc}"


def parse_values(root_id: int, payload: list[Payload]) -> list[tuple[Any, ...] | str]:
    """Each file's row of :data:`~quicknav_mcp.repo.documents.INSERT_SQL` (``root_id`` first), or why its name
    could not be parsed (runs in a worker)."""
    out: list[tuple[Any, ...] | str] = []
    append = out.append
    # Parsing makes no reference cycles, yet its many new objects would start the cycle collector
    # every few hundred names (~7 % of a batch's CPU): it is held off until the batch is parsed.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for job in payload:
            pid, folders, name, rel_pp, size, mtime = job[:6]
            try:
                append((root_id, *document_values(pid, rel_pp, name, size, mtime, parse_document(folders, name))))
            except Exception as exc:  # a parser bug on one odd name must not stop the scan
                append(failure(exc))
    finally:
        if collecting:
            gc.enable()
    return out


def _start_worker(stop: Any) -> None:
    """Set a worker up: what it inherited from a fork (the scan's own objects) is never collected in it, so
    the cycle collector neither walks nor writes to those pages (each write would copy a page); its walks
    watch the pool's ``stop`` (:func:`stopped`)."""
    global _stop
    gc.freeze()
    _stop = stop


def stopped() -> bool:
    """In a worker: whether the scan was cancelled (a walk under way ends at its next folder instead of running
    on: a slow share takes seconds a project)."""
    return _stop is not None and _stop.is_set()


def start_method() -> str:
    """How to start the workers: ``fork`` from a process running only the scan's own threads, else
    ``forkserver`` (where there is one).

    ``fork`` starts the workers at once with the parser loaded, and the caller's main module is not
    imported again (spawn and forkserver re-run a script that scans at top level without a
    ``__main__`` guard). A serving process has threads of its own (requests, the watcher, embedding)
    that may hold a lock at the moment of the fork, which the child would inherit held: from such a
    process the workers come from a fork server, started once per process (~0.9 s before the first
    batch on a loaded 2-core machine, the parser preloaded; pools after it start at once)."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" not in methods:
        return "spawn"
    others = [
        t for t in threading.enumerate() if t is not threading.main_thread() and not t.name.startswith(SCAN_THREADS)
    ]
    if not others or "forkserver" not in methods:
        return "fork"
    return "forkserver"


class ParsePool:
    """Worker processes parsing batches of names; each batch is split evenly between them."""

    def __init__(self) -> None:
        method = start_method()
        context = multiprocessing.get_context(method)
        if method == "forkserver":
            context.set_forkserver_preload(list(FORKSERVER_PRELOAD))  # imported once, by the server
        self._stop = context.Event()
        self._pool = ProcessPoolExecutor(
            max_workers=WORKERS, mp_context=context, initializer=_start_worker, initargs=(self._stop,)
        )

    def submit(self, root_id: int, payload: list[Payload]) -> list[Future[list[tuple[Any, ...] | str]]]:
        step = -(-len(payload) // WORKERS)
        return [self._pool.submit(parse_values, root_id, payload[i : i + step]) for i in range(0, len(payload), step)]

    def facts(self, items: list[tuple[ProjectFolder, list[str]]]) -> list[tuple[int, list[str]]]:
        """Project facts (:func:`.project_facts.compute_all`) split between the workers, in order."""
        step = max(1, -(-len(items) // (WORKERS * 4)))
        chunks = [items[i : i + step] for i in range(0, len(items), step)]
        return [fact for part in self._pool.map(project_facts.compute_all, chunks) for fact in part]

    def submit_projects(
        self,
        walk: Callable[[int, str, float, list[Project]], _R],
        root_id: int,
        root_real: str,
        wall_t0: float,
        projects: list[Project],
    ) -> Future[_R]:
        """``walk`` (:func:`.scan_project.walk_projects`, which parses through this module) of ``projects`` in
        one worker."""
        return self._pool.submit(walk, root_id, root_real, wall_t0, projects)

    def cancel(self) -> None:
        """The scan was cancelled: the workers' walks under way end at their next folder."""
        self._stop.set()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


__all__ = [
    "POOL_MIN_FILES",
    "POOL_MIN_PROJECTS",
    "SCAN_THREADS",
    "WORKERS",
    "ParsePool",
    "Payload",
    "failure",
    "parse_values",
    "start_method",
    "stopped",
]
