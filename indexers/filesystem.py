"""Filesystem indexer: find project folders under a root and reconcile their files with the store.

A scan has three phases:

1. **discover** — list the root down to ``max_depth`` levels and keep every folder whose name
   parses as a project folder (``21614 - PLWRX  TR L1 Upgrades``). The root may be the firm
   root, ``Project Folders``, a range folder, a flat folder of projects or one project folder.
   Project folders are not searched for nested projects. New project folders are inserted at once
   through :func:`quicknav_mcp.repo.bulk.insert_projects` (their search rows written set-based).
2. **walk** — ``os.scandir`` every project folder and compare each file with the rows already
   stored for the root (loaded once into a dict): same relative path, size and mtime means
   *unchanged* and the file is not parsed again; otherwise it is parsed with
   :func:`quicknav_mcp.domain.parse_document` and written in batches (``executemany``, one
   short ``BEGIN IMMEDIATE`` transaction per batch so other writers are never blocked long).
   New rows go in through :func:`quicknav_mcp.repo.bulk.insert_documents`: their search rows,
   change counter and project-facts marks are written set-based per batch, not by a trigger per
   row. The rows already stored are read once, as ``(rel_path, id, project_id, size, mtime)``; a
   rescan that finds every file where it was compares only those (every file is still stat-ed:
   a file's change does not change its folder's mtime).
3. **reconcile** — files that vanished from one path and appeared at another with the same
   name, size and mtime are *moves* (the row, and so the document id, is kept); the rest of
   the vanished files are deleted, vanished project folders too (cascade). A project folder
   whose path changed keeps its id when its code is the same and it is the only candidate.

Robustness policy — nothing below stops a scan; each is recorded in ``scan_problems`` and in
the :class:`ScanReport`:

* unreadable folders (``permission``) and other listing errors (``error``): the folder is
  skipped and the rows already stored under it are **kept**, so a transient share or ACL
  problem never wipes part of the index;
* symbolic links to folders are **never followed** (so no loops and nothing outside the root
  is read). A link pointing at its own folder or an ancestor is recorded as ``loop``, any
  other folder link as ``error``. Links to files are indexed only when their target is inside
  the root;
* names that are not valid UTF-8 (``surrogateescape`` on POSIX) cannot be stored as text or
  reliably opened again; they are skipped and recorded as ``encoding`` (a folder with such a
  name is skipped with everything in it);
* folders nested deeper than ``MAX_WALK_DEPTH`` inside a project: ``loop`` (a backstop for
  Windows junctions, which look like ordinary folders);
* paths the OS refuses as too long: ``too_long``; files or folders that disappear between
  listing and ``stat``: ``vanished`` (their rows are deleted as usual).

Cancellation (``cancel`` event) is checked between folders: the pending batch is committed,
nothing is deleted (the walk was incomplete) and the scan ends with status ``cancelled``.
Once the walk has finished, reconciliation always runs to completion.

Scans of the same root through the same database file are serialised within one process.

A *narrow* scan (:func:`scan_changes`, what the file watcher calls) runs the same phases over the
project folders that hold the given changed paths: discovery still lists the root (so new, renamed
and vanished project folders are handled exactly as by a full scan), but only the stored documents
of the touched, new, renamed and vanished projects are loaded, walked and reconciled.

The phases are layered one module each: :mod:`.scan_base` (report types, tunables, problem and
progress bookkeeping), :mod:`.scan_write` (batched writes), :mod:`.scan_walk` (discovery and the
walk), :mod:`.scan_reconcile` (stored rows against what the walk saw); this module runs them and
holds the public entry points; :mod:`.scan_project` is the walk of one project's folders. Helpers speed
up large scans without changing what they write: :mod:`.scan_parse` (names parsed in worker processes, in
order; on a root's large first scan the workers walk whole projects, parse their names and compute their
facts, and the scan only records and writes what comes back) and :mod:`.scan_prefetch` (the next project
folders listed on a helper thread while the walk compares the current one); :mod:`.scan_folders` records
the folders each project had, for quick rescans.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from quicknav_mcp.store import Store

from . import project_facts, scan_folders
from .scan_base import MAX_DEPTH, ScanOptions, ScanProblem, ScanProgress, ScanReport, _resolve_root, log
from .scan_reconcile import ScanReconciler

_root_locks: dict[tuple[str, str], threading.Lock] = {}
_root_locks_guard = threading.Lock()


def _root_lock(store: Store, root: Path) -> threading.Lock:
    key = (str(store.path.resolve()), str(root))
    with _root_locks_guard:
        return _root_locks.setdefault(key, threading.Lock())


class Scan(ScanReconciler):
    """One scan of one root; :meth:`run` does the work."""

    def run(self) -> ScanReport:
        log.info("scan %d of %s started", self.report.scan_id, self.root_str)
        try:
            # First the project facts a killed scan left uncomputed: right even if this scan is killed too.
            project_facts.refresh(self.store, batch=self.facts_batch)
            found = self._discover()
            # What the last complete scan recorded: trusted by a quick rescan, and only changes are saved
            # (a narrow scan, which walks a few projects, saves theirs without reading every project's).
            if self.quick or self.only is None:
                self.trusted = scan_folders.load(self.store, self.root_id)
            if self.quick:
                self._find_unchanged(found)
            self._load_documents(found)
            self._sync_projects(found)
            self.phase = "walk"
            complete = self._walk_all()
            self._flush(force=True)
            if complete:
                self.phase = "reconcile"
                self._tick(force=True)
                self._reconcile()
                # Only now do the stored rows match every folder walked: the next quick rescan may trust them.
                changed = {pid: t for pid, t in self.trees.items() if t != self.trusted.get(pid)}
                if changed:
                    with self.store.transaction() as conn:
                        scan_folders.save(conn, changed)
            pool = self._pool
            facts = pool.facts if pool is not None else project_facts.compute_all
            project_facts.refresh(self.store, batch=self.facts_batch, compute_many=facts)
            self._finish("done" if complete else "cancelled")
        except BaseException:
            with contextlib.suppress(BaseException):
                self._wait_writer()
            self._finish_failed()
            raise
        finally:
            self._close_pool()
            self._writer.shutdown(wait=True)
        rep = self.report
        log.info(
            "scan %d of %s %s in %.2fs: %d files, %d added, %d updated, %d moved, %d deleted, "
            "%d unchanged, %d problems",
            rep.scan_id,
            rep.root,
            rep.status,
            rep.seconds,
            rep.files_seen,
            rep.added,
            rep.updated,
            rep.moved,
            rep.deleted,
            rep.unchanged,
            rep.problems,
        )
        if rep.problems:
            log.warning("scan of %s recorded %d problem(s); see scan_problems", rep.root, rep.problems)
        return rep


# --------------------------------------------------------------------------- public API


def scan_root(
    store: Store,
    root: str | Path,
    *,
    progress: Callable[[ScanProgress], None] | None = None,
    cancel: threading.Event | None = None,
    force: bool = False,
    max_depth: int = MAX_DEPTH,
    shared: bool = False,
    quick: bool = False,
) -> ScanReport:
    """Index (or re-index) the project folders under ``root`` and return what changed.

    ``force`` re-parses every file even when unchanged (use after the name parser changed).
    ``shared``: small, paced write transactions, for a process that serves lookups meanwhile.
    ``quick``: folders unchanged since the last complete scan are not listed again; it sees every
    name added, removed, renamed or moved, not files edited in place (see :mod:`.scan_folders`).
    Raises :class:`ConfigError` when ``root`` does not exist or is not a directory.
    """
    path = _resolve_root(root)
    options = ScanOptions(progress, cancel, force, max_depth, shared=shared, quick=quick)
    with _root_lock(store, path):
        return Scan(store, path, options).run()


def scan_changes(
    store: Store,
    root: str | Path,
    paths: Iterable[str | Path],
    *,
    cancel: threading.Event | None = None,
    max_depth: int = MAX_DEPTH,
    shared: bool = False,
) -> ScanReport:
    """Reconcile just the project folders holding ``paths`` (changed files or folders under ``root``).

    The file watcher's entry point: the same discovery, upsert, move and delete code as
    :func:`scan_root`, narrowed to what changed. A path outside the root is ignored; the root
    itself (or a folder above every project) widens it to a full scan.
    """
    path = _resolve_root(root)
    base = str(path)
    only: list[str] = []
    for p in paths:
        rel = os.path.relpath(os.path.abspath(p), base)
        if rel == os.curdir:
            rel = ""
        elif rel == os.pardir or rel.startswith(os.pardir + os.sep):
            continue
        only.append(rel.replace(os.sep, "/"))
    with _root_lock(store, path):
        return Scan(store, path, ScanOptions(cancel=cancel, max_depth=max_depth, only=only, shared=shared)).run()


def scan_roots(
    store: Store,
    roots: Iterable[str | Path],
    *,
    progress: Callable[[ScanProgress], None] | None = None,
    cancel: threading.Event | None = None,
    force: bool = False,
    max_depth: int = MAX_DEPTH,
    quick: bool = False,
) -> list[ScanReport]:
    """Scan several roots in turn; every root is checked before any is scanned."""
    paths = [_resolve_root(r) for r in roots]
    reports: list[ScanReport] = []
    for path in paths:
        if cancel is not None and cancel.is_set():
            break
        reports.append(
            scan_root(store, path, progress=progress, cancel=cancel, force=force, max_depth=max_depth, quick=quick)
        )
    return reports


__all__ = ["MAX_DEPTH", "ScanProblem", "ScanProgress", "ScanReport", "scan_changes", "scan_root", "scan_roots"]
