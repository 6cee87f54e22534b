"""Shared state of a scan: report types, tunables, path helpers and the bookkeeping every phase uses.

:class:`ScanBase` holds what one scan knows (the root, the report, stored rows, pending writes) and
records problems and progress; the phases are layered on it (:mod:`.scan_write` writes batches,
:mod:`.scan_walk` lists folders and parses files, :mod:`.scan_reconcile` matches them with stored
rows) and :mod:`.filesystem` runs them in order.
"""

from __future__ import annotations

import abc
import errno
import logging
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, make_dataclass
from operator import attrgetter
from pathlib import Path
from typing import Any

from quicknav_mcp.domain import is_transient
from quicknav_mcp.domain.models import ProjectFolder
from quicknav_mcp.errors import ConfigError
from quicknav_mcp.models import SCAN_COUNTERS, ScanSummary
from quicknav_mcp.repo.bulk import restore_doc_fts_merging
from quicknav_mcp.store import Store
from quicknav_mcp.timestamps import now_iso

from . import scan_rows

log = logging.getLogger("quicknav_mcp.indexers.filesystem")

#: How deep below the root project folders are looked for (root = 0). The firm root
#: ``…/Project Files`` holds ``Project Folders/<range>/<project>``, i.e. depth 4.
MAX_DEPTH = 4
#: Minimum seconds between two progress callbacks.
PROGRESS_INTERVAL = 0.2
#: Problems kept in ``scan_problems`` per scan (all are counted) and in the report.
MAX_STORED_PROBLEMS = 10_000
PROBLEM_SAMPLES = 50

_by_name = attrgetter("name")
_scandir = os.scandir  # indirection so tests can simulate listing failures

# Positions in the rows kept for the documents already stored (see ScanReconciler._load_documents).
_REL, _ID, _PID, _SIZE, _MTIME = range(5)
#: A discovered project folder: ``(rel_path, abs_path, folder, range_folder, mtime)``.
Found = tuple[str, str, ProjectFolder, str | None, float | None]
#: A file to parse: ``(project_id, folders, name, project_rel_path, size, mtime, stored row id or None)``; sent
#: as it is to the parse workers (see :mod:`.scan_parse`), which read its first six fields.
Job = tuple[int, tuple[str, ...], str, str, int, float, int | None]
#: Where a job's stored row id is (None: a new file).
JOB_ROW_ID = 6


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


@dataclass
class _ReportHead:
    """Which scan: the fields a report lists before its counters."""

    root: str
    root_id: int
    scan_id: int
    status: str = "running"  # running | done | cancelled | failed
    started_at: str = ""
    finished_at: str | None = None
    seconds: float = 0.0


#: A scan's counters: :class:`~quicknav_mcp.models.ScanCounts` (the one definition, ``files_seen`` …
#: ``problems``), with ``kept`` (stored rows kept because their folder could not be read this time; not a
#: column of ``scans``) before ``problems``, where a report has always listed it.
_Counters = make_dataclass(
    "_Counters",
    [
        *((name, int, field(default=0)) for name in SCAN_COUNTERS if name != "problems"),
        ("kept", int, field(default=0)),
        ("problems", int, field(default=0)),
    ],
)


@dataclass(slots=True)
class ScanReport(_Counters, _ReportHead):  # type: ignore[misc,valid-type]  # fields: head, counters, these
    """The outcome of one scan of one root (also stored in the ``scans`` table).

    Its counters are plain attributes the walk increments (see ``_Counters``); :meth:`summary` is
    the same scan as a :class:`~quicknav_mcp.models.ScanSummary`."""

    projects_seen: int = 0
    projects_added: int = 0
    projects_renamed: int = 0
    projects_deleted: int = 0
    problem_samples: list[ScanProblem] = field(default_factory=list)

    @property
    def files_per_s(self) -> float:
        return self.files_seen / self.seconds if self.seconds > 0 else 0.0

    def counts(self) -> dict[str, int]:
        """The counters by name (:data:`~quicknav_mcp.models.SCAN_COUNTERS`)."""
        return {name: getattr(self, name) for name in SCAN_COUNTERS}

    def summary(self) -> ScanSummary:
        """This scan as :class:`~quicknav_mcp.models.ScanSummary` reports one (the ``scans`` row's view)."""
        return ScanSummary(
            root=self.root,
            status=self.status,
            started_at=self.started_at or None,
            finished_at=self.finished_at,
            seconds=self.seconds,
            **self.counts(),
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["files_per_s"] = round(self.files_per_s, 1)
        return data


@dataclass(frozen=True, slots=True)
class ScanOptions:
    """How one scan runs (everything but the store and the root)."""

    progress: Callable[[ScanProgress], None] | None = None
    cancel: threading.Event | None = None
    force: bool = False  # re-parse every file even when unchanged
    max_depth: int = MAX_DEPTH
    # A narrow scan: the changed paths (relative to the root) whose project folders are walked.
    only: list[str] | None = None
    shared: bool = False  # the watcher's scans, in a process serving lookups meanwhile
    quick: bool = False  # trust folders unchanged since the last complete scan (see scan_folders)


@dataclass(slots=True)
class Project:
    """A project folder being walked: its stored id and where it is now."""

    id: int
    rel_path: str
    abs_path: str
    folder: ProjectFolder
    range_folder: str | None
    mtime: float | None


# --------------------------------------------------------------------------- helpers


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


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --------------------------------------------------------------------------- state


class FolderWalk(abc.ABC):
    """Listing a folder and following a symbolic link, as every walk does (the scan's own, and a first scan's
    walks of whole projects in its worker processes: :mod:`.scan_project`)."""

    root_real: str
    # The current project's folders as listed ahead of the walk (see scan_prefetch), if they were.
    prefetched: dict[str, Any] | None

    @abc.abstractmethod
    def _problem(self, rel: str, kind: str, message: str, *, keep: bool = False) -> None:
        """Record a problem; ``keep`` protects the rows stored under ``rel`` from deletion."""

    def _list(self, abs_dir: str, rel: str) -> list[os.DirEntry[str]] | None:
        """Sorted entries of a folder, or None (problem recorded) when it cannot be listed."""
        listed = self.prefetched.pop(abs_dir, None) if self.prefetched else None
        try:
            if listed is None:
                with _scandir(abs_dir) as it:
                    return sorted(it, key=_by_name)
            if isinstance(listed, OSError):
                raise listed
            return listed
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


class WalkState(FolderWalk):
    """What the walk of a project (:class:`.scan_project.ProjectWalk`) reads and fills: a scan's, or a worker's
    on a root's first scan (nothing stored: every file found is a new row)."""

    report: Any  # its counters files_seen and unchanged (set by the subclass)

    def __init__(self, root_real: str, wall_t0: float, *, force: bool = False, quick: bool = False) -> None:
        self.root_real = root_real
        self.wall_t0 = wall_t0  # when the walk began: folders changed just before are not trusted (scan_folders)
        self.force = force  # re-parse every file even when unchanged
        self.quick = quick  # trust folders unchanged since the last complete scan (see scan_folders)
        # The current project's folders as listed ahead of the walk (see scan_prefetch), if they were.
        self.prefetched: dict[str, Any] | None = None
        # Stored documents of the root not seen yet: rel_path -> (rel_path, id, project_id, size, mtime).
        self.existing: dict[str, Any] = {}
        self.stored_rows = 0  # how many rows of the root were loaded (none: its first scan)
        self.fresh: set[int] = set()  # projects added or renamed by this scan: always walked
        # Quick rescans: the folders each project had at the last complete scan (scan_folders); the folders
        # each walk visits, recorded for the next.
        self.trusted: dict[int, Any] = {}
        self.trees: dict[int, Any] = {}
        # Files to parse, in walk order (a scan parses a batch of them in its worker processes, when started).
        self.jobs: list[Job] = []
        # New files whose (name, size, mtime) matches a stored row: maybe moves, decided at the end.
        self.deferred: list[tuple[Project, tuple[str, ...], str, int, float, str, str]] = []
        self.pending_problems: list[tuple[int, str, str, str]] = []


class ScanBase(WalkState):
    """State of one scan and the bookkeeping shared by its phases."""

    def __init__(self, store: Store, root: Path, options: ScanOptions) -> None:
        super().__init__(
            os.path.realpath(root), time.time(), force=options.force, quick=options.quick and not options.force
        )
        self.store = store
        self.shared = options.shared
        self.only = options.only
        self.root = root
        self.root_str = str(root)
        self.progress = options.progress
        self.cancel = options.cancel
        self.max_depth = options.max_depth
        self.t0 = time.monotonic()
        self.last_flush = self.t0
        self.last_tick = 0.0
        self.phase = "discover"
        self.current: str | None = None
        self.projects_total = 0
        self.projects_walked = 0
        # Folders whose listing failed: rows stored under them are kept, not deleted.
        self.unreadable: list[str] = []
        # Every loaded row, until the first file not stored at its path asks for :meth:`move_keys`.
        self.loaded: list[Any] = []
        self._move_keys: set[tuple[str, int, float]] | None = None
        self.inserts: list[tuple[Any, ...]] = []
        self.updates: list[tuple[Any, ...]] = []
        self.projects: dict[int, Project] = {}
        self.vanished_projects: list[int] = []
        # Quick rescans: projects whose every folder is as recorded -> (their tree, their stored rows'
        # count); their rows are neither loaded nor walked (see ScanReconciler._find_unchanged).
        self.unchanged: dict[int, tuple[Any, int]] = {}
        self._by_dir: dict[str, list[str]] | None = None  # the stored files by folder (quick rescans; on first use)

        started = now_iso()
        with store.transaction() as conn:
            if not self.shared:  # a scan killed in its bulk load left merging off (the watcher's scans run beside
                restore_doc_fts_merging(conn)  # a first scan's bulk load: they leave it to the next scan)
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

    def move_keys(self) -> set[tuple[str, int, float]]:
        """``(name, size, mtime)`` of every stored row loaded: a new file matching one may be a move.

        Built on first use: a rescan that finds every file where it was never needs it."""
        if self._move_keys is None:
            self._move_keys = {(r[_REL].rpartition("/")[2], r[_SIZE], r[_MTIME]) for r in self.loaded}
            self.loaded = []
            if self.unchanged:  # rows not loaded; this scan writes none of them, so they are as they were
                rows = self.store.query_tuples(
                    "SELECT project_id, project_rel_path, size, mtime FROM documents WHERE root_id = ?",
                    (self.root_id,),
                )
                skipped = self.unchanged
                self._move_keys.update((p.rpartition("/")[2], s, m) for pid, p, s, m in rows if pid in skipped)
        return self._move_keys

    def stored_in(self, dir_rel: str) -> list[str]:
        """Paths (relative to the root) of the stored files not seen yet directly in folder ``dir_rel``."""
        if self._by_dir is None:
            self._by_dir = {}
            for rel in self.existing:
                self._by_dir.setdefault(rel.rpartition("/")[0], []).append(rel)
        return self._by_dir.pop(dir_rel, [])

    @property
    def first_scan(self) -> bool:
        """A root's first full scan in a process of its own: nothing stored to compare with (every file found is
        a new row, so every project's names are the names it will store). Known once the rows are loaded."""
        return self.stored_rows == 0 and self.only is None and not self.shared

    def _touched(self, rel: str) -> bool:
        """Whether a narrow scan covers the project folder at ``rel`` (a full scan covers all)."""
        if self.only is None:
            return True
        return any(not c or c == rel or c.startswith(rel + "/") or rel.startswith(c + "/") for c in self.only)
