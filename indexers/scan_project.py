"""The walk of one project folder: list each of its folders and hand out each file to parse.

:class:`ProjectWalk` is the one walk of a project's folders (what is skipped, followed or a problem: see
:mod:`.filesystem`); the scan runs it on its own thread (:mod:`.scan_walk`), and a root's first scan also in
its worker processes, a whole project at a time (:func:`walk_projects`, parsing through :mod:`.scan_parse`),
where there is nothing stored to compare with: every file found is a new row.
"""

from __future__ import annotations

import abc
import os
import stat
from typing import Any

from quicknav_mcp.domain import is_transient

from . import project_facts, scan_folders, scan_parse
from .scan_base import _ID, _MTIME, _PID, _SIZE, Project, WalkState, _kind, _message, _storable

#: Backstop against loops the symlink check cannot see (Windows junctions look like folders).
MAX_WALK_DEPTH = 64


def _folder_mtime(path: str) -> float | None:
    """A folder's mtime (None when it cannot be read or is no longer a folder: it is listed, which says why)."""
    try:
        st = os.stat(path, follow_symlinks=False)
    except OSError:
        return None
    return st.st_mtime if stat.S_ISDIR(st.st_mode) else None


class ProjectWalk(WalkState, abc.ABC):
    """The walk of one project's folders, against the rows stored for it (none on a root's first scan).

    It has no ``__init__`` of its own: in a scan (``ScanWalker``) ``ScanBase.__init__``'s ``super()`` call
    reaches :class:`WalkState` through it, with ScanBase's arguments."""

    @abc.abstractmethod
    def _cancelled(self) -> bool: ...

    @abc.abstractmethod
    def _flush(self, *, force: bool = False) -> None: ...

    @abc.abstractmethod
    def _tick(self, *, force: bool = False) -> None: ...

    @abc.abstractmethod
    def stored_in(self, dir_rel: str) -> list[str]: ...

    @abc.abstractmethod
    def move_keys(self) -> set[tuple[str, int, float]]: ...

    def _walk_project(self, proj: Project) -> bool:
        """List ``proj``'s folders, record problems, hand out the files to parse; False when cancelled."""
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


class _Counts:
    """What a worker's walk counts of a project (a scan's report counts them for the whole root)."""

    __slots__ = ("files_seen", "unchanged")

    def __init__(self) -> None:
        self.files_seen = self.unchanged = 0


class WorkerWalk(ProjectWalk):
    """A project walked in a worker process on a root's first scan: nothing stored, nothing to flush; the
    files to parse and the problems are handed back to the scan, which records them in order."""

    def __init__(self, root_real: str, wall_t0: float) -> None:
        super().__init__(root_real, wall_t0)
        self.report = _Counts()
        # (``pending_problems`` is never filled: problems go to ``problems``, recorded by the scan.)
        self.problems: list[tuple[str, str, str, bool]] = []  # (rel, kind, message, keep), in walk order

    def _problem(self, rel: str, kind: str, message: str, *, keep: bool = False) -> None:
        self.problems.append((rel, kind, message, keep))

    def _cancelled(self) -> bool:
        return scan_parse.stopped()

    def _flush(self, *, force: bool = False) -> None:
        pass  # the jobs go back with the project

    def _tick(self, *, force: bool = False) -> None:
        pass

    def stored_in(self, dir_rel: str) -> list[str]:
        return []

    def move_keys(self) -> set[tuple[str, int, float]]:
        return set()


#: One project walked in a worker: ``(rows, names not parsed as (project_rel_path, why), problems as (rel, kind,
#: message, keep), files seen, its folders (scan_folders.Tree), (digest of its names, its facts))``.
Walked = tuple[
    list[tuple[Any, ...]],
    list[tuple[str, str]],
    list[tuple[str, str, str, bool]],
    int,
    dict[str, float | None],
    tuple[bytes, tuple[int, list[str]]],
]


def walk_projects(root_id: int, root_real: str, wall_t0: float, projects: list[Project]) -> list[Walked]:
    """Walk each project (a root's first scan: nothing stored), parse its names and compute its facts from the
    names parsed, sorted as the stored names are read (runs in a worker)."""
    out: list[Walked] = []
    for proj in projects:
        walk = WorkerWalk(root_real, wall_t0)
        if walk._cancelled():  # the scan was cancelled: what is left is not wanted
            break
        walk._walk_project(proj)
        jobs = walk.jobs
        rows: list[tuple[Any, ...]] = []
        failed: list[tuple[str, str]] = []
        names: list[str] = []
        for job, row in zip(jobs, scan_parse.parse_values(root_id, jobs), strict=True):
            if isinstance(row, str):
                failed.append((job[3], row))
            else:
                rows.append(row)
                names.append(job[2])
        names.sort()  # as the writer sorts the stored names (code points: the order of their UTF-8 bytes)
        facts = (project_facts.names_digest(names), project_facts.compute(proj.folder, names))
        out.append((rows, failed, walk.problems, walk.report.files_seen, walk.trees[proj.id], facts))
    return out


__all__ = ["MAX_WALK_DEPTH", "ProjectWalk", "Walked", "WorkerWalk", "walk_projects"]
