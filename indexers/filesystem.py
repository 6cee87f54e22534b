"""Filesystem indexer: find project folders under a root and reconcile their files with the store.

A scan has three phases:

1. **discover** — list the root down to ``max_depth`` levels and keep every folder whose name
   parses as a project folder (``21614 - PLWRX  TR L1 Upgrades``). The root may be the firm
   root, ``Project Folders``, a range folder, a flat folder of projects or one project folder.
   Project folders are not searched for nested projects.
2. **walk** — ``os.scandir`` every project folder and compare each file with the rows already
   stored for the root (loaded once into a dict): same relative path, size and mtime means
   *unchanged* and the file is not parsed again; otherwise it is parsed with
   :func:`quicknav_mcp.domain.parse_document` and written in batches (``executemany``, one
   short ``BEGIN IMMEDIATE`` transaction per batch so other writers are never blocked long).
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
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from quicknav_mcp.domain import (
    is_transient,
    parse_document,
    parse_project_folder,
    parse_range_folder,
)
from quicknav_mcp.domain.models import ParsedDocument, ProjectFolder
from quicknav_mcp.errors import ConfigError
from quicknav_mcp.repo import projects as projects_repo
from quicknav_mcp.repo.documents import INSERT_SQL as INSERT_DOC_SQL
from quicknav_mcp.repo.documents import UPDATE_SQL as UPDATE_DOC_SQL
from quicknav_mcp.repo.documents import document_values
from quicknav_mcp.store import Store

from . import project_facts, scan_rows

log = logging.getLogger(__name__)

#: How deep below the root project folders are looked for (root = 0). The firm root
#: ``…/Project Files`` holds ``Project Folders/<range>/<project>``, i.e. depth 4.
MAX_DEPTH = 4
#: Backstop against loops the symlink check cannot see (Windows junctions look like folders).
MAX_WALK_DEPTH = 64
#: Rows written per transaction; also written when this many seconds passed since the last.
BATCH_ROWS = 2000
BATCH_SECONDS = 0.5
#: ``shared`` scans (the watcher's, inside a serving process whose lookups share the store's one
#: connection): this many rows per transaction, then a pause of SHARED_PAUSE times the transaction
#: (capped), so the writer holds the store at most a third of the time while it absorbs a burst.
SHARED_BATCH_ROWS = 25
SHARED_PAUSE = 2.0
SHARED_PAUSE_MAX = 0.1
SHARED_FACTS_BATCH = 5  # projects whose facts one transaction recomputes (a big project takes a while)
#: Minimum seconds between two progress callbacks.
PROGRESS_INTERVAL = 0.2
#: Problems kept in ``scan_problems`` per scan (all are counted) and in the report.
MAX_STORED_PROBLEMS = 10_000
MASS_VANISH_MIN = 20  # fewer vanished projects than this are ordinary housekeeping
PROBLEM_SAMPLES = 50

_by_name = attrgetter("name")
_scandir = os.scandir  # indirection so tests can simulate listing failures

_NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
# Positions in the tuples kept for the rows already stored.
_ID, _PID, _NAME, _SIZE, _MTIME = range(5)

_root_locks: dict[tuple[str, str], threading.Lock] = {}
_root_locks_guard = threading.Lock()


@dataclass(frozen=True, slots=True)
class ScanProblem:
    """Something that could not be indexed; ``path`` is relative to the root, display-safe."""

    path: str
    kind: str  # permission | loop | vanished | too_long | encoding | suspect | error
    message: str


@dataclass(frozen=True, slots=True)
class ScanProgress:
    """A progress snapshot passed to the ``progress`` callback."""

    root: str
    phase: str  # discover | walk | reconcile | done
    files_seen: int
    projects_seen: int
    projects_total: int
    current_project: str | None


@dataclass(slots=True)
class ScanReport:
    """The outcome of one scan of one root (also stored in the ``scans`` table)."""

    root: str
    root_id: int
    scan_id: int
    status: str = "running"  # running | done | cancelled | failed
    started_at: str = ""
    finished_at: str | None = None
    seconds: float = 0.0
    files_seen: int = 0
    added: int = 0
    updated: int = 0
    moved: int = 0
    deleted: int = 0
    unchanged: int = 0
    kept: int = 0  # stored rows kept because their folder could not be read this time
    problems: int = 0
    projects_seen: int = 0
    projects_added: int = 0
    projects_renamed: int = 0
    projects_deleted: int = 0
    problem_samples: list[ScanProblem] = field(default_factory=list)

    @property
    def files_per_s(self) -> float:
        return self.files_seen / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["files_per_s"] = round(self.files_per_s, 1)
        return data


@dataclass(slots=True)
class _Project:
    id: int
    rel_path: str
    abs_path: str
    folder: ProjectFolder
    range_folder: str | None
    mtime: float | None


# --------------------------------------------------------------------------- helpers


def _now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _join(prefix: str, name: str) -> str:
    return f"{prefix}/{name}" if prefix else name


def _storable(name: str) -> bool:
    """Whether ``name`` is valid Unicode that SQLite can store (no lone surrogates)."""
    if name.isascii():
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _safe(text: str) -> str:
    """Display-safe text: undecodable bytes become ``\\xff`` escapes instead of surrogates."""
    if _storable(text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # lone surrogates from Windows names
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _kind(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "permission"
    if isinstance(exc, FileNotFoundError | NotADirectoryError):
        return "vanished"
    if exc.errno == errno.ENAMETOOLONG:
        return "too_long"
    if exc.errno == errno.ELOOP:
        return "loop"
    return "error"


def _message(exc: OSError) -> str:
    return _safe(exc.strerror or str(exc) or type(exc).__name__)


def _skipped(name: str) -> bool:
    """Hidden entries, lock and temp files, shell litter, partial downloads (the domain's rule)."""
    return is_transient(name)


def _under(rel: str, prefixes: list[str]) -> bool:
    """Whether ``rel`` is one of ``prefixes`` or inside one ('' is the whole root)."""
    return any(not p or rel == p or rel.startswith(p + "/") for p in prefixes)


def _resolve_root(root: str | Path) -> Path:
    path = Path(root).expanduser()
    if not path.exists():
        raise ConfigError(f"scan root {path} does not exist")
    if not path.is_dir():
        raise ConfigError(f"scan root {path} is not a directory")
    resolved = path.resolve()
    if not _storable(str(resolved)):
        raise ConfigError(f"scan root {_safe(str(resolved))} is not a valid UTF-8 path")
    return resolved


def _root_lock(store: Store, root: Path) -> threading.Lock:
    key = (str(store.path.resolve()), str(root))
    with _root_locks_guard:
        return _root_locks.setdefault(key, threading.Lock())


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --------------------------------------------------------------------------- the scan


class _Scan:
    """State of one scan; :meth:`run` does the work."""

    def __init__(
        self,
        store: Store,
        root: Path,
        progress: Callable[[ScanProgress], None] | None,
        cancel: threading.Event | None,
        force: bool,
        max_depth: int,
        only: list[str] | None = None,
        shared: bool = False,
    ) -> None:
        self.store = store
        self.batch_rows = SHARED_BATCH_ROWS if shared else BATCH_ROWS
        self.facts_batch = SHARED_FACTS_BATCH if shared else project_facts.BATCH_PROJECTS
        self.shared = shared
        # A narrow scan: the changed paths (relative to the root) whose project folders are walked.
        self.only = only
        self.fresh: set[int] = set()  # projects added or renamed by this scan: always walked
        self.root = root
        self.root_str = str(root)
        self.root_real = os.path.realpath(root)
        self.progress = progress
        self.cancel = cancel
        self.force = force
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scan-writer")
        self._writer_future: Future[None] | None = None
        self.max_depth = max_depth
        self.t0 = time.monotonic()
        self.last_flush = self.t0
        self.last_tick = 0.0
        self.phase = "discover"
        self.current: str | None = None
        self.projects_total = 0
        self.projects_walked = 0
        # Folders whose listing failed: rows stored under them are kept, not deleted.
        self.unreadable: list[str] = []
        # Stored documents of the root not seen yet: rel_path -> (id, project_id, name, size, mtime).
        self.existing: dict[str, tuple[int, int, str, int, float]] = {}
        self.keys: set[tuple[str, int, float]] = set()
        # New files whose (name, size, mtime) matches a stored row: maybe moves, decided at the end.
        self.deferred: list[tuple[_Project, tuple[str, ...], str, int, float, str, str]] = []
        self.inserts: list[tuple[Any, ...]] = []
        self.updates: list[tuple[Any, ...]] = []
        self.pending_problems: list[tuple[int, str, str, str]] = []
        self.projects: dict[int, _Project] = {}
        self.vanished_projects: list[int] = []

        started = _now_iso()
        with store.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO roots (path) VALUES (?)", (self.root_str,))
            root_id = conn.execute("SELECT id FROM roots WHERE path = ?", (self.root_str,)).fetchone()[0]
            scan_id = scan_rows.open_row(conn, root_id, started)
        self.root_id: int = root_id
        self.report = ScanReport(root=self.root_str, root_id=root_id, scan_id=scan_id, started_at=started)

    # ---------------------------------------------------------------- bookkeeping

    def _cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def _tick(self, *, force: bool = False) -> None:
        if self.progress is None:
            return
        now = time.monotonic()
        if not force and now - self.last_tick < PROGRESS_INTERVAL:
            return
        self.last_tick = now
        snapshot = ScanProgress(
            root=self.root_str,
            phase=self.phase,
            files_seen=self.report.files_seen,
            projects_seen=self.projects_walked,
            projects_total=self.projects_total,
            current_project=self.current,
        )
        try:
            self.progress(snapshot)
        except Exception:  # a broken progress display must not abort the scan
            log.exception("scan progress callback failed")

    def _problem(self, rel: str, kind: str, message: str, *, keep: bool = False) -> None:
        """Record a problem; ``keep`` protects the rows stored under ``rel`` from deletion."""
        rep = self.report
        rep.problems += 1
        problem = ScanProblem(_safe(rel) or ".", kind, message)
        log.debug("scan problem %s: %s (%s)", kind, problem.path, message)
        if len(rep.problem_samples) < PROBLEM_SAMPLES:
            rep.problem_samples.append(problem)
        if rep.problems <= MAX_STORED_PROBLEMS:
            self.pending_problems.append((rep.scan_id, problem.path, kind, message))
        if keep:
            self.unreadable.append(rel)

    def _list(self, abs_dir: str, rel: str) -> list[os.DirEntry[str]] | None:
        """Sorted entries of a folder, or None (problem recorded) when it cannot be listed."""
        try:
            with _scandir(abs_dir) as it:
                return sorted(it, key=_by_name)
        except OSError as exc:
            kind = _kind(exc)
            # A folder that vanished is really gone; for any other failure we do not know.
            self._problem(rel, kind, _message(exc), keep=kind != "vanished")
            return None

    def _link_target(self, entry: os.DirEntry[str], rel: str) -> os.stat_result | None:
        """Stat a symlink's target when it may be indexed; record why not otherwise."""
        try:
            st = os.stat(entry.path)
        except FileNotFoundError:
            self._problem(rel, "error", "broken symbolic link")
            return None
        except OSError as exc:
            self._problem(rel, _kind(exc), _message(exc))
            return None
        target = os.path.realpath(entry.path)
        if stat.S_ISDIR(st.st_mode):
            here = os.path.realpath(os.path.dirname(entry.path))
            if here == target or here.startswith(target.rstrip(os.sep) + os.sep):
                self._problem(rel, "loop", "symbolic link to a parent folder, not followed")
            else:
                self._problem(rel, "error", "symbolic link to a folder, not followed")
            return None
        if not target.startswith(self.root_real.rstrip(os.sep) + os.sep):
            self._problem(rel, "error", "symbolic link to a file outside the root, not indexed")
            return None
        return st if stat.S_ISREG(st.st_mode) else None

    def _flush(self, *, force: bool = False) -> None:
        pending = len(self.inserts) + len(self.updates) + len(self.pending_problems)
        if not pending:
            return
        now = time.monotonic()
        if not force and pending < self.batch_rows and now - self.last_flush < BATCH_SECONDS:
            return
        inserts, updates, problems = self.inserts, self.updates, self.pending_problems
        self.inserts, self.updates, self.pending_problems = [], [], []
        # SQLite releases the GIL while it writes, so the batch is written on a helper thread while
        # this one goes on walking and parsing. One batch in flight at most: order is preserved and
        # memory stays bounded; a write error surfaces at the next flush.
        self._wait_writer()
        self._writer_future = self._writer.submit(self._write_batch, inserts, updates, problems)
        if force:
            self._wait_writer()
        self.last_flush = time.monotonic()

    def _write_batch(self, inserts: list[Any], updates: list[Any], problems: list[Any]) -> None:
        n = self.batch_rows  # one folder's files come in one batch: a shared scan splits it
        for i in range(0, max(len(inserts) + len(updates), 1), n):
            ins, upd = inserts[i : i + n], updates[max(0, i - len(inserts)) : max(0, i + n - len(inserts))]
            with self._paced(), self.store.transaction() as conn:
                if ins:
                    conn.executemany(INSERT_DOC_SQL, ins)
                if upd:
                    conn.executemany(UPDATE_DOC_SQL, upd)
                if problems and not i:
                    conn.executemany(
                        "INSERT INTO scan_problems (scan_id, path, kind, message) VALUES (?, ?, ?, ?)", problems
                    )
                self._write_counts(conn)

    @contextlib.contextmanager
    def _paced(self) -> Iterator[None]:
        """A shared scan leaves the store to lookups after each write (SHARED_PAUSE times as long as it held it)."""
        t = time.monotonic()
        yield
        if self.shared:
            time.sleep(min((time.monotonic() - t) * SHARED_PAUSE, SHARED_PAUSE_MAX))

    def _wait_writer(self) -> None:
        future, self._writer_future = self._writer_future, None
        if future is not None:
            future.result()

    def _write_counts(self, conn: Any, *, status: str | None = None) -> None:
        r = self.report
        conn.execute(
            "UPDATE scans SET files_seen = ?, added = ?, updated = ?, moved = ?, deleted = ?, "
            "unchanged = ?, problems = ?, seconds = ?, status = coalesce(?, status), "
            "finished_at = coalesce(?, finished_at) WHERE id = ?",
            (
                r.files_seen,
                r.added,
                r.updated,
                r.moved,
                r.deleted,
                r.unchanged,
                r.problems,
                round(time.monotonic() - self.t0, 3),
                status,
                r.finished_at if status else None,
                r.scan_id,
            ),
        )

    # ---------------------------------------------------------------- phases

    def run(self) -> ScanReport:
        log.info("scan %d of %s started", self.report.scan_id, self.root_str)
        try:
            # First the project facts a killed scan left uncomputed: right even if this scan is killed too.
            project_facts.refresh(self.store, batch=self.facts_batch)
            found = self._discover()
            self._load_documents(found)
            self._sync_projects(found)
            self.phase = "walk"
            complete = self._walk_all()
            self._flush(force=True)
            if complete:
                self.phase = "reconcile"
                self._tick(force=True)
                self._reconcile()
            project_facts.refresh(self.store, batch=self.facts_batch)
            self._finish("done" if complete else "cancelled")
        except BaseException:
            with contextlib.suppress(BaseException):
                self._wait_writer()
            self._finish_failed()
            raise
        finally:
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

    def _discover(self) -> list[tuple[str, str, ProjectFolder, str | None, float | None]]:
        """Find project folders: ``(rel_path, abs_path, folder, range_folder, mtime)``."""
        self._tick(force=True)
        own = parse_project_folder(self.root.name)
        if own is not None and parse_range_folder(self.root.name) is None:  # the root is itself one project folder
            parent = self.root.parent.name
            rng = parent if parse_range_folder(parent) is not None else None
            return [("", self.root_str, own, rng, self.root.stat().st_mtime)]
        found: list[tuple[str, str, ProjectFolder, str | None, float | None]] = []
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

    def _touched(self, rel: str) -> bool:
        """Whether a narrow scan covers the project folder at ``rel`` (a full scan covers all)."""
        if self.only is None:
            return True
        return any(not c or c == rel or c.startswith(rel + "/") or rel.startswith(c + "/") for c in self.only)

    def _load_documents(self, found: list[tuple[str, str, ProjectFolder, str | None, float | None]]) -> None:
        sql = "SELECT id, project_id, rel_path, name, size, mtime FROM documents WHERE root_id = ?"
        if self.only is None:
            rows = self.store.query(sql, (self.root_id,))
        else:
            # Touched projects, and vanished ones (deleted, or renamed: their rows are re-keyed and walked).
            here = {item[0] for item in found}
            pids = [
                r["id"]
                for r in self.store.query(projects_repo.STORED_SQL, (self.root_id,))
                if self._touched(r["rel_path"]) or r["rel_path"] not in here
            ]
            rows = []
            for chunk in _chunks(pids, 500):
                marks = ", ".join("?" for _ in chunk)
                rows.extend(self.store.query(f"{sql} AND project_id IN ({marks})", (self.root_id, *chunk)))
        existing = self.existing
        keys = self.keys
        for r in rows:
            existing[r[2]] = (r[0], r[1], r[3], r[4], r[5])
            keys.add((r[3], r[4], r[5]))

    def _sync_projects(self, found: list[tuple[str, str, ProjectFolder, str | None, float | None]]) -> None:
        """Insert new project folders, keep ids of renamed ones, note vanished ones."""
        stored = {r["rel_path"]: r for r in self.store.query(projects_repo.STORED_SQL, (self.root_id,))}
        seen: set[str] = set()
        new: list[tuple[str, str, ProjectFolder, str | None, float | None]] = []
        changed: list[tuple[Any, ...]] = []
        for item in found:
            rel, abs_path, folder, rng, mtime = item
            row = stored.get(rel)
            if row is None:
                new.append(item)
                continue
            seen.add(rel)
            self.projects[row["id"]] = _Project(row["id"], rel, abs_path, folder, rng, mtime)
            fields = projects_repo.project_values(folder, os.path.basename(abs_path), rel, rng, mtime)
            if fields != tuple(row[k] for k in projects_repo.WRITE_COLUMNS):
                changed.append((*fields, row["id"]))
        self._guard_mass_vanish(stored, seen, bool(found))
        vanished = [r for rel, r in stored.items() if rel not in seen and not _under(rel, self.unreadable)]
        kept = [r for rel, r in stored.items() if rel not in seen and _under(rel, self.unreadable)]
        if kept:
            log.info("%d project folder(s) under unreadable folders kept", len(kept))
        new_by_code: dict[str, list[Any]] = defaultdict(list)
        for item in new:
            new_by_code[item[2].code].append(item)
        gone_by_code: dict[str, list[Any]] = defaultdict(list)
        for r in vanished:
            gone_by_code[r["code"]].append(r)

        renamed: list[tuple[Any, Any]] = []
        for code, items in new_by_code.items():
            gone = gone_by_code.get(code, [])
            if len(items) == 1 and len(gone) == 1:
                renamed.append((items[0], gone[0]))
        renamed_ids = {old["id"] for _, old in renamed}
        self.vanished_projects = [r["id"] for r in vanished if r["id"] not in renamed_ids]
        renamed_new = {id(item) for item, _ in renamed}

        # Stored document paths of the renamed projects, collected in one pass over the rows.
        paths_of: dict[int, list[str]] = defaultdict(list)
        if renamed:
            for path, row in self.existing.items():
                if row[_PID] in renamed_ids:
                    paths_of[row[_PID]].append(path)

        with self.store.transaction() as conn:
            conn.executemany(projects_repo.UPDATE_SQL, changed)
            for item, old in renamed:
                self._rename_project(conn, item, old, paths_of[old["id"]])
            for item in new:
                if id(item) in renamed_new:
                    continue
                rel, abs_path, folder, rng, mtime = item
                values = projects_repo.project_values(folder, os.path.basename(abs_path), rel, rng, mtime)
                pid = conn.execute(projects_repo.INSERT_SQL, (self.root_id, *values)).lastrowid
                self.projects[pid] = _Project(pid, rel, abs_path, folder, rng, mtime)
                self.fresh.add(pid)
                self.report.projects_added += 1
        self.report.projects_seen = len(found)

    def _rename_project(self, conn: Any, item: Any, old: Any, old_paths: list[str]) -> None:
        """Keep the project's id and rewrite its documents' paths (ids kept, counted as moved)."""
        rel, abs_path, folder, rng, mtime = item
        pid, old_rel = old["id"], old["rel_path"]
        values = projects_repo.project_values(folder, os.path.basename(abs_path), rel, rng, mtime)
        conn.execute(projects_repo.UPDATE_SQL, (*values, pid))
        moved = conn.execute(
            f"UPDATE documents SET rel_path = ? || substr(rel_path, ?), indexed_at = {_NOW_SQL} WHERE project_id = ?",
            (rel, len(old_rel) + 1, pid),
        ).rowcount
        # Re-key the stored rows so the walk finds them at their new paths.
        cut = len(old_rel)
        for old_path in old_paths:
            self.existing[rel + old_path[cut:]] = self.existing.pop(old_path)
        self.projects[pid] = _Project(pid, rel, abs_path, folder, rng, mtime)
        self.fresh.add(pid)
        self.report.moved += moved
        self.report.projects_renamed += 1
        log.info("project %s moved from %s to %s", folder.code, _safe(old_rel), _safe(rel))

    def _walk_all(self) -> bool:
        """Walk every project; False when cancelled."""
        for proj in sorted(self.projects.values(), key=attrgetter("rel_path")):
            if proj.id not in self.fresh and not self._touched(proj.rel_path):
                continue  # a narrow scan: its stored rows were not loaded either
            if self._cancelled():
                return False
            self.current = proj.folder.code
            if not self._walk_project(proj):
                return False
            self.projects_walked += 1
            self._tick()
        self.current = None
        return True

    def _walk_project(self, proj: _Project) -> bool:
        stack: list[tuple[str, tuple[str, ...]]] = [(proj.abs_path, ())]
        report = self.report
        existing = self.existing
        force = self.force
        while stack:
            if self._cancelled():
                return False
            abs_dir, folders = stack.pop()
            dir_rel = proj.rel_path
            for f in folders:
                dir_rel = _join(dir_rel, f)
            entries = self._list(abs_dir, dir_rel)
            if entries is None:
                continue
            subdirs: list[tuple[str, tuple[str, ...]]] = []
            for entry in entries:
                name = entry.name
                if _skipped(name):
                    continue
                if not _storable(name):
                    self._problem(_join(dir_rel, name), "encoding", "name is not valid UTF-8; skipped")
                    continue
                try:
                    if entry.is_dir(follow_symlinks=False):
                        if len(folders) >= MAX_WALK_DEPTH:
                            self._problem(
                                _join(dir_rel, name),
                                "loop",
                                f"nested deeper than {MAX_WALK_DEPTH} folders; not followed",
                            )
                        else:
                            subdirs.append((entry.path, (*folders, name)))
                        continue
                    st = entry.stat(follow_symlinks=False)
                    if stat.S_ISLNK(st.st_mode):
                        st = self._link_target(entry, _join(dir_rel, name))
                        if st is None:
                            continue
                    elif not stat.S_ISREG(st.st_mode):
                        continue  # fifos, sockets, devices
                except OSError as exc:
                    self._problem(_join(dir_rel, name), _kind(exc), _message(exc))
                    continue

                size, mtime = st.st_size, st.st_mtime
                rel_pp = "/".join((*folders, name))
                rel = _join(proj.rel_path, rel_pp)
                report.files_seen += 1
                row = existing.pop(rel, None)
                if row is not None:
                    if not force and row[_SIZE] == size and row[_MTIME] == mtime and row[_PID] == proj.id:
                        report.unchanged += 1
                        continue
                    doc = self._parse(folders, name, rel)
                    if doc is None:
                        continue
                    self.updates.append((*document_values(proj.id, rel, rel_pp, name, size, mtime, doc), row[_ID]))
                    report.updated += 1
                elif (name, size, mtime) in self.keys:
                    self.deferred.append((proj, folders, name, size, mtime, rel, rel_pp))
                else:
                    doc = self._parse(folders, name, rel)
                    if doc is None:
                        continue
                    self.inserts.append((self.root_id, *document_values(proj.id, rel, rel_pp, name, size, mtime, doc)))
                    report.added += 1
            stack.extend(reversed(subdirs))
            self._flush()
            self._tick()
        return True

    def _parse(self, folders: tuple[str, ...], name: str, rel: str) -> ParsedDocument | None:
        try:
            return parse_document(folders, name)
        except Exception as exc:  # a parser bug on one odd name must not stop the scan
            log.exception("parse_document failed on %s", _safe(rel))
            self._problem(rel, "error", f"could not parse the name: {type(exc).__name__}: {exc}")
            return None

    def _guard_mass_vanish(self, stored: dict[str, Any], seen: set[str], found_any: bool) -> None:
        """An unmounted share or a moved root looks like every project was deleted. Deleting
        would throw away ids, extracted text and embeddings, so when a root suddenly lists no
        projects, or most of them vanish at once, keep the rows and say so (``force`` accepts it)."""
        missing = [rel for rel in stored if rel not in seen and not _under(rel, self.unreadable)]
        if not missing or self.force:
            return
        if found_any and not (len(missing) >= MASS_VANISH_MIN and len(missing) * 2 > len(stored)):
            return
        self._problem(
            "",
            "suspect",
            f"{len(missing)} of {len(stored)} project folders are missing: the share may be unmounted or the "
            "root moved, so nothing under them was deleted; rescan with force=True to accept the deletions",
        )
        for rel in missing:
            self.unreadable.append(rel)

    def _reconcile(self) -> None:
        """Pair vanished rows with deferred new files (moves); delete the rest."""
        report = self.report
        missing: dict[tuple[str, int, float], list[tuple[str, tuple[int, int, str, int, float]]]] = {}
        kept = 0
        for rel in sorted(self.existing):
            row = self.existing[rel]
            if _under(rel, self.unreadable):
                kept += 1
                continue
            missing.setdefault((row[_NAME], row[_SIZE], row[_MTIME]), []).append((rel, row))
        report.kept = kept

        moves: list[tuple[Any, ...]] = []
        inserts: list[tuple[Any, ...]] = []
        self.deferred.sort(key=lambda d: d[5])
        for proj, folders, name, size, mtime, rel, rel_pp in self.deferred:
            doc = self._parse(folders, name, rel)
            if doc is None:
                continue
            candidates = missing.get((name, size, mtime))
            values = document_values(proj.id, rel, rel_pp, name, size, mtime, doc)
            if candidates:
                _, row = candidates.pop(0)
                moves.append((*values, row[_ID]))
                report.moved += 1
            else:
                inserts.append((self.root_id, *values))
                report.added += 1
        deletes: list[tuple[int]] = []
        for rows in missing.values():
            for _, row in rows:
                deletes.append((row[_ID],))
        report.deleted += len(deletes)
        self.existing.clear()
        self.deferred.clear()

        # Moves first (their new paths are free), then deletes, then vanished projects.
        for sql, items in (
            (UPDATE_DOC_SQL, moves),
            (INSERT_DOC_SQL, inserts),
            ("DELETE FROM documents WHERE id = ?", deletes),
        ):
            for chunk in _chunks(items, self.batch_rows):
                with self._paced(), self.store.transaction() as conn:
                    conn.executemany(sql, chunk)
        if self.vanished_projects:
            with self.store.transaction() as conn:
                for chunk in _chunks(self.vanished_projects, 500):
                    marks = ", ".join("?" for _ in chunk)
                    # Rows another scan inserted meanwhile go with the cascade; count them too.
                    report.deleted += conn.execute(
                        f"SELECT count(*) FROM documents WHERE project_id IN ({marks})", chunk
                    ).fetchone()[0]
                    conn.execute(f"DELETE FROM projects WHERE id IN ({marks})", chunk)
            report.projects_deleted = len(self.vanished_projects)

    def _finish(self, status: str) -> None:
        rep = self.report
        rep.status = status
        rep.finished_at = _now_iso()
        rep.seconds = round(time.monotonic() - self.t0, 3)
        problems, self.pending_problems = self.pending_problems, []
        with self.store.transaction() as conn:
            if problems:
                conn.executemany(
                    "INSERT INTO scan_problems (scan_id, path, kind, message) VALUES (?, ?, ?, ?)", problems
                )
            self._write_counts(conn, status=status)
        self.phase = "done"
        self._tick(force=True)

    def _finish_failed(self) -> None:
        rep = self.report
        rep.status = "failed"
        rep.finished_at = _now_iso()
        rep.seconds = round(time.monotonic() - self.t0, 3)
        try:
            with self.store.transaction() as conn:
                self._write_counts(conn, status="failed")
        except Exception:
            log.exception("could not mark scan %d as failed", rep.scan_id)


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
) -> ScanReport:
    """Index (or re-index) the project folders under ``root`` and return what changed.

    ``force`` re-parses every file even when unchanged (use after the name parser changed).
    ``shared``: small, paced write transactions, for a process that serves lookups meanwhile.
    Raises :class:`ConfigError` when ``root`` does not exist or is not a directory.
    """
    path = _resolve_root(root)
    with _root_lock(store, path):
        return _Scan(store, path, progress, cancel, force, max_depth, shared=shared).run()


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
        return _Scan(store, path, None, cancel, False, max_depth, only=only, shared=shared).run()


def scan_roots(
    store: Store,
    roots: Iterable[str | Path],
    *,
    progress: Callable[[ScanProgress], None] | None = None,
    cancel: threading.Event | None = None,
    force: bool = False,
    max_depth: int = MAX_DEPTH,
) -> list[ScanReport]:
    """Scan several roots in turn; every root is checked before any is scanned."""
    paths = [_resolve_root(r) for r in roots]
    reports: list[ScanReport] = []
    for path in paths:
        if cancel is not None and cancel.is_set():
            break
        reports.append(scan_root(store, path, progress=progress, cancel=cancel, force=force, max_depth=max_depth))
    return reports


__all__ = ["ScanProblem", "ScanProgress", "ScanReport", "scan_changes", "scan_root", "scan_roots"]
