"""The walk: find the project folders under a root, then list each one and parse its files.

Symbolic links to folders are never followed; names that are not valid UTF-8 are skipped; every
problem is recorded (see :mod:`.filesystem` for the policy) and never stops the walk.
"""

from __future__ import annotations

import os
from collections import deque
from concurrent.futures import Future, wait
from operator import attrgetter
from typing import Any

from quicknav_mcp.domain import parse_document, parse_project_folder, parse_range_folder
from quicknav_mcp.domain.models import ParsedDocument
from quicknav_mcp.repo.documents import document_values

from . import project_facts, scan_base, scan_parse, scan_project
from .scan_base import Found, Job, Project, _join, _kind, _message, _skipped, _storable
from .scan_prefetch import Prefetcher
from .scan_project import ProjectWalk
from .scan_write import ScanWriter

#: From this many projects to walk, a helper thread lists them ahead of the walk (scan_prefetch).
PREFETCH_MIN_PROJECTS = 50
#: A first scan's walks in the workers: projects a task, and tasks kept in flight (the workers never wait
#: for the next while the scan takes in what came back).
WALK_CHUNK = 8
WALK_AHEAD = 12
#: Seconds between checks for a cancel (and progress reports) while waiting for the workers' walks.
WALK_POLL_S = 0.1


class ScanWalker(ScanWriter, ProjectWalk):
    """Discovery of project folders and the walk of their files."""

    def _discover(self) -> list[Found]:
        """Find project folders: ``(rel_path, abs_path, folder, range_folder, mtime)``."""
        self._tick(force=True)
        own = parse_project_folder(self.root.name)
        if own is not None and parse_range_folder(self.root.name) is None:  # the root is itself one project folder
            parent = self.root.parent.name
            rng = parent if parse_range_folder(parent) is not None else None
            return [("", self.root_str, own, rng, self.root.stat().st_mtime)]
        found: list[Found] = []
        stack: list[tuple[str, str, int]] = [(self.root_str, "", 0)]
        while stack:
            abs_dir, rel, depth = stack.pop()
            entries = self._list(abs_dir, rel)
            if entries is None:
                continue
            here = os.path.basename(abs_dir)
            rng = here if parse_range_folder(here) is not None else None
            subdirs: list[tuple[str, str, int]] = []
            for entry in entries:
                name = entry.name
                if _skipped(name):
                    continue
                child = _join(rel, name)
                try:
                    if not entry.is_dir(follow_symlinks=False):
                        if entry.is_symlink() and entry.is_dir():
                            self._link_target(entry, child)  # records why it is not followed
                        continue
                except OSError as exc:
                    self._problem(child, _kind(exc), _message(exc))
                    continue
                if not _storable(name):
                    self._problem(child, "encoding", "folder name is not valid UTF-8; skipped")
                    continue
                # '21000 - 21999' also looks like '<code> - <rest>': ranges are never projects.
                folder = None if parse_range_folder(name) is not None else parse_project_folder(name)
                if folder is None:
                    if depth + 1 < self.max_depth:
                        subdirs.append((entry.path, child, depth + 1))
                    continue
                try:
                    mtime: float | None = entry.stat(follow_symlinks=False).st_mtime
                except OSError:
                    mtime = None  # the walk will report what is wrong with it
                found.append((child, entry.path, folder, rng, mtime))
            stack.extend(reversed(subdirs))
            self._tick()
        self.projects_total = len(found)
        return found

    def _walk_all(self) -> bool:
        """Walk every project; False when cancelled."""
        todo = [
            proj
            for proj in sorted(self.projects.values(), key=attrgetter("rel_path"))
            # A narrow scan walks the projects it touches (their stored rows alone were loaded).
            if proj.id in self.fresh or self._touched(proj.rel_path)
        ]
        if self.first_scan and not (self.quick and self.trusted) and self._start_pool() is not None:
            return self._walk_in_workers(todo)
        ahead: Prefetcher | None = None
        # A quick rescan lists only the folders that changed: listing every folder ahead would undo it.
        if not self.shared and not self.quick and len(todo) >= PREFETCH_MIN_PROJECTS:
            ahead = Prefetcher(
                [p.abs_path for p in todo], lambda path: scan_base._scandir(path), scan_project.MAX_WALK_DEPTH
            )
        try:
            for proj in todo:
                if self._cancelled():
                    return False
                if ahead is not None:
                    self.prefetched = ahead.next()
                self.current = proj.folder.code
                skip = self.unchanged.get(proj.id)
                if skip is not None:  # a quick rescan found every folder as recorded: its stored files are there
                    self.trees[proj.id], files = skip
                    self.report.files_seen += files
                    self.report.unchanged += files
                elif not self._walk_project(proj):
                    return False
                self.projects_walked += 1
                self._tick()
        finally:
            self.prefetched = None
            if ahead is not None:
                ahead.close()
        self.current = None
        return True

    def _walk_in_workers(self, todo: list[Project]) -> bool:
        """A root's first scan of many projects: the workers walk whole projects, parse their names and compute
        their facts (:func:`.scan_project.walk_projects`); this thread records what comes back, in walk order, as
        its own walk would have (problems, counts, rows, folders) and writes it. False when cancelled."""
        pool = self._pool
        assert pool is not None
        futures: deque[Future[list[scan_project.Walked]]] = deque()
        sent = 0

        def fill() -> None:
            nonlocal sent
            while sent < len(todo) and len(futures) < WALK_AHEAD:
                part = todo[sent : sent + WALK_CHUNK]
                sent += len(part)
                futures.append(
                    pool.submit_projects(scan_project.walk_projects, self.root_id, self.root_real, self.wall_t0, part)
                )

        fill()
        done = 0  # projects taken in
        report = self.report
        try:
            while futures:
                head = futures[0]
                while not wait((head,), timeout=WALK_POLL_S).done:  # a slow share: stay cancellable, report progress
                    if self._cancelled():
                        pool.cancel()
                        return False
                    self._tick()
                results = futures.popleft().result()
                fill()
                for rows, failed, problems, seen, tree, facts in results:
                    if self._cancelled():
                        pool.cancel()
                        return False
                    proj = todo[done]
                    done += 1
                    self.current = proj.folder.code
                    for rel, kind, message, keep in problems:
                        self._problem(rel, kind, message, keep=keep)
                    report.files_seen += seen
                    self.inserts.extend(rows)
                    report.added += len(rows)
                    for rel_pp, why in failed:
                        self._not_parsed(_join(proj.rel_path, rel_pp), why)
                    self.trees[proj.id] = tree
                    self.facts_known[proj.id] = project_facts.Ahead(
                        proj.folder, os.path.basename(proj.abs_path), *facts
                    )
                    self.projects_walked += 1
                    self._flush()
                    self._tick()
        finally:
            for future in futures:
                future.cancel()
        self.current = None
        return True

    def _values_of(self, job: Job) -> tuple[Any, ...] | None:
        pid, folders, name, rel_pp, size, mtime, _ = job
        doc = self._parse(folders, name, self._rel_of(job))
        return None if doc is None else (self.root_id, *document_values(pid, rel_pp, name, size, mtime, doc))

    def _parse(self, folders: tuple[str, ...], name: str, rel: str) -> ParsedDocument | None:
        try:
            return parse_document(folders, name)
        except Exception as exc:  # a parser bug on one odd name must not stop the scan
            self._not_parsed(rel, scan_parse.failure(exc), exc)
            return None
