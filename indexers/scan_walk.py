"""The walk: find the project folders under a root, then list each one and parse its files.

Symbolic links to folders are never followed; names that are not valid UTF-8 are skipped; every
problem is recorded (see :mod:`.filesystem` for the policy) and never stops the walk.
"""

from __future__ import annotations

import os
import stat
from operator import attrgetter
from typing import Any

from quicknav_mcp.domain import is_transient, parse_document, parse_project_folder, parse_range_folder
from quicknav_mcp.domain.models import ParsedDocument
from quicknav_mcp.repo.documents import document_values

from . import scan_base, scan_folders
from .scan_base import (
    _ID,
    _MTIME,
    _PID,
    _SIZE,
    Found,
    Job,
    Project,
    _join,
    _kind,
    _message,
    _safe,
    _skipped,
    _storable,
    log,
)
from .scan_prefetch import PoolPrefetcher, Prefetcher
from .scan_write import ScanWriter

#: Backstop against loops the symlink check cannot see (Windows junctions look like folders).
MAX_WALK_DEPTH = 64
#: From this many projects to walk, a helper thread lists them ahead of the walk (scan_prefetch).
PREFETCH_MIN_PROJECTS = 50


def _folder_mtime(path: str) -> float | None:
    """A folder's mtime (None when it cannot be read or is no longer a folder: it is listed, which says why)."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return st.st_mtime if stat.S_ISDIR(st.st_mode) else None


class ScanWalker(ScanWriter):
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
        ahead: Prefetcher | PoolPrefetcher | None = None
        # A quick rescan lists only the folders that changed: listing every folder ahead would undo it.
        if not self.shared and not self.quick and len(todo) >= PREFETCH_MIN_PROJECTS:
            paths = [p.abs_path for p in todo]
            pool = self._start_pool()  # a large first scan: its workers list the folders too
            if pool is not None:
                ahead = PoolPrefetcher(paths, pool.submit_listing, MAX_WALK_DEPTH)
            else:
                ahead = Prefetcher(paths, lambda path: scan_base._scandir(path), MAX_WALK_DEPTH)
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
                self._project_walked(proj)
                self.projects_walked += 1
                self._tick()
        finally:
            self.prefetched = None
            if ahead is not None:
                ahead.close()
        self.current = None
        return True

    def _walk_project(self, proj: Project) -> bool:
        # (absolute folder, folders between project and it, its path relative to the root, its mtime
        # taken before it is listed or None when not taken yet)
        stack: list[tuple[str, tuple[str, ...], str, float | None]] = [(proj.abs_path, (), proj.rel_path, proj.mtime)]
        report = self.report
        existing = self.existing
        force = self.force
        pid = proj.id
        is_reg, is_link = stat.S_ISREG, stat.S_ISLNK
        # What the last complete scan saw of this project's folders (quick rescans; never for a new or
        # moved project), and what this walk sees, recorded for the next one.
        trusted = self.trusted.get(pid) if self.quick and pid not in self.fresh else None
        below = scan_folders.children(trusted) if trusted else {}
        tree: scan_folders.Tree = {}
        racy = self.wall_t0 - scan_folders.RACY_SECONDS
        may_move = self.stored_rows > 0  # a new file may be a stored one moved (never on a root's first scan)
        while stack:
            if self._cancelled():
                return False
            abs_dir, folders, dir_rel, dir_mtime = stack.pop()
            key = "/".join(folders)
            if dir_mtime is None:
                dir_mtime = _folder_mtime(abs_dir)
            tree[key] = dir_mtime if dir_mtime is not None and dir_mtime < racy else None
            rows = (
                self.stored_in(dir_rel)
                if trusted is not None and dir_mtime is not None and trusted.get(key) == dir_mtime
                else None
            )
            if rows is not None and all(existing[rel][_PID] == pid for rel in rows):
                # Unchanged since the last complete scan listed it: the same names, so the same stored
                # files (edited in place they would not be seen: see scan_folders) and subfolders.
                for rel in rows:
                    del existing[rel]
                report.files_seen += len(rows)
                report.unchanged += len(rows)
                rel_prefix = dir_rel + "/" if dir_rel else ""
                abs_prefix = abs_dir + os.sep
                stack.extend(
                    [
                        (abs_prefix + name, (*folders, name), rel_prefix + name, None)
                        for name in reversed(below.get(key, ()))
                    ]
                )
                continue
            jobs = self.jobs  # a new list after each flush
            entries = self._list(abs_dir, dir_rel)
            if entries is None:
                tree[key] = None  # not listed: its subfolders are unknown, so it is never trusted
                continue
            # Path prefixes are built once per folder, not per file.
            rel_prefix = dir_rel + "/" if dir_rel else ""
            pp_prefix = "/".join(folders) + "/" if folders else ""
            subdirs: list[tuple[str, tuple[str, ...], str, float | None]] = []
            seen = unchanged = 0
            for entry in entries:
                name = entry.name
                if is_transient(name):
                    continue
                if not name.isascii() and not _storable(name):
                    self._problem(rel_prefix + name, "encoding", "name is not valid UTF-8; skipped")
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if len(folders) >= MAX_WALK_DEPTH:
                            self._problem(
                                rel_prefix + name, "loop", f"nested deeper than {MAX_WALK_DEPTH} folders; not followed"
                            )
                        else:
                            try:  # its mtime before it is listed (cached on the entry by a listing ahead)
                                sub_mtime: float | None = entry.stat(follow_symlinks=False).st_mtime
                            except OSError:
                                sub_mtime = None
                            subdirs.append((entry.path, (*folders, name), rel_prefix + name, sub_mtime))
                        continue
                    st = entry.stat(follow_symlinks=False)
                    if is_link(st.st_mode):
                        st = self._link_target(entry, rel_prefix + name)
                        if st is None:
                            continue
                    elif not is_reg(st.st_mode):
                        continue  # fifos, sockets, devices
                except OSError as exc:
                    self._problem(rel_prefix + name, _kind(exc), _message(exc))
                    continue

                size, mtime = st.st_size, st.st_mtime
                rel = rel_prefix + name
                seen += 1
                row = existing.pop(rel, None)
                if row is not None:
                    if not force and row[_SIZE] == size and row[_MTIME] == mtime and row[_PID] == pid:
                        unchanged += 1
                        continue
                    jobs.append((pid, folders, name, pp_prefix + name, size, mtime, row[_ID]))
                elif may_move and (name, size, mtime) in self.move_keys():
                    self.deferred.append((proj, folders, name, size, mtime, rel, pp_prefix + name))
                else:
                    jobs.append((pid, folders, name, pp_prefix + name, size, mtime, None))
            report.files_seen += seen
            report.unchanged += unchanged
            stack.extend(reversed(subdirs))
            if jobs or self.pending_problems:  # a rescan finds nothing to write in most folders
                self._flush()
            self._tick()
        self.trees[pid] = tree
        return True

    def _values_of(self, job: Job) -> tuple[Any, ...] | None:
        pid, folders, name, rel_pp, size, mtime, _ = job
        doc = self._parse(folders, name, self._rel_of(job))
        return None if doc is None else (self.root_id, *document_values(pid, rel_pp, name, size, mtime, doc))

    def _parse(self, folders: tuple[str, ...], name: str, rel: str) -> ParsedDocument | None:
        try:
            return parse_document(folders, name)
        except Exception as exc:  # a parser bug on one odd name must not stop the scan
            log.exception("parse_document failed on %s", _safe(rel))
            self._problem(rel, "error", f"could not parse the name: {type(exc).__name__}: {exc}")
            return None
