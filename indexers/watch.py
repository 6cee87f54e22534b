"""The file watcher: changes under the project roots reach the index within a second or so.

One session follows every present root with watchfiles (inotify, FSEvents or ReadDirectoryChangesW;
polling on network filesystems, with ``QUICKNAV_WATCH_POLL=1``, or once the inotify watch limit is
reached). It starts with a reconcile (the ordinary incremental scan) and then hands each batch of
changes (grouped by watchfiles for up to :data:`DEBOUNCE_MS`) to
:func:`~quicknav_mcp.indexers.filesystem.scan_changes`, the scanner's own upsert / move / delete
code narrowed to the touched project folders, so there is no second writer. Search is then woken
to extract and embed what changed.

Its writes are *shared* scans (small, paced transactions) so lookups served meanwhile by the same
process never wait long for the store, and while it runs the interpreter switches threads every
millisecond (:data:`SWITCH_INTERVAL`) so they do not wait long for the GIL either. A session keeps
one ``scans`` row per root (``kind`` ``watch``) into which each batch's own row is folded, so the
history reads "scan, watch session (N batches), reconcile, watch session..." rather than a row per
batch; a new row starts when another scan of the root was recorded after it. Polling looks at
every file each round, so its default interval grows with the tree (:func:`auto_poll_ms`).

Every second the session beats (``heartbeat`` in ``index_status``; recorded in the database every few
seconds for other processes, see :mod:`.watch_beat`) and checks its roots: one that
vanished (an unmounted share, a renamed folder) ends the session and the next runs without it —
nothing under it is deleted — and when it is back a new session reconciles it. A full reconcile
also runs every ``reconcile_minutes``. :class:`WatchSupervisor` runs sessions on a thread and
restarts a failed one with backoff, counting restarts, so the watcher never dies silently.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import watchfiles
from watchfiles import Change

from quicknav_mcp import switch_interval
from quicknav_mcp.domain import is_transient
from quicknav_mcp.errors import ConfigError
from quicknav_mcp.store import Store
from quicknav_mcp.timestamps import now_iso

from . import scan_rows
from .filesystem import ScanReport, scan_changes, scan_root
from .watch_beat import Heartbeat

log = logging.getLogger(__name__)
# watchfiles logs every batch at INFO; our own line per batch says more (and `quicknav watch` prints each change).
logging.getLogger("watchfiles").setLevel(logging.WARNING)

STEP_MS = 200  # a batch closes once no change arrived for this long...
DEBOUNCE_MS = 500  # ...or this long after its first change
TICK_MS = 1000  # heartbeat and root check interval
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 60.0
HEALTHY_AFTER = 60.0  # a session that ran this long resets the backoff
# While watching, the interpreter offers the GIL to another thread every this many seconds (CPython's
# default: 5 ms). A lookup returning from SQLite waits that long for the watcher's Python work (walking,
# parsing names) at each of its steps; at 1 ms a burst costs lookups a few ms instead of tens.
SWITCH_INTERVAL = 0.001
# Polling (no interval set): each round stats every file, ~0.05 ms locally but up to ~0.5 ms on a
# share; an interval of POLL_MS_PER_FILE per indexed file keeps a round to a small share of the time.
POLL_MS_PER_FILE = 0.5
POLL_MS_MIN = 2_000
POLL_MS_MAX = 300_000
# Filesystems where inotify sees no changes made by other machines.
NETWORK_FS = frozenset(
    {"nfs", "nfs4", "cifs", "smbfs", "smb3", "9p", "fuse.sshfs", "sshfs", "davfs", "fuse.rclone", "afs", "ncpfs"}
)
_KIND = {Change.added: "added", Change.modified: "modified", Change.deleted: "deleted"}

WatchFn = Callable[..., Iterator[set[tuple[Change, str]]]]


@dataclass(slots=True)
class WatchStatus:
    """What ``index_status`` reports about the watcher."""

    state: str = "starting"  # starting | reconciling | watching | paused | restarting | stopped
    mode: str | None = None  # inotify (OS notifications) | polling
    mode_reason: str | None = None
    poll_interval_s: float | None = None  # polling mode: seconds between two looks at every file
    heartbeat: str | None = None
    last_change: str | None = None
    last_change_path: str | None = None
    changes: int = 0
    batches: int = 0
    restarts: int = 0
    last_error: str | None = None
    last_reconcile: str | None = None
    watching: list[str] = field(default_factory=list)
    paused_roots: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class FileChange:
    """One change watchfiles reported, with the root it is under."""

    root: Path
    kind: str  # added | modified | deleted
    path: str


def ignored(path: str) -> bool:
    """Whether a changed path is not worth a scan: the scanner's transient-name rule, on its name."""
    return is_transient(os.path.basename(path.rstrip("/\\")))


def _watch_filter(change: Change, path: str) -> bool:
    return not ignored(path)


def group_changes(changes: Iterable[tuple[Change, str]], roots: Sequence[Path]) -> dict[Path, list[FileChange]]:
    """The changes of one batch by root (deepest root first), ignored names and strays dropped."""
    ordered = sorted(roots, key=lambda r: len(str(r)), reverse=True)
    grouped: dict[Path, list[FileChange]] = {}
    for change, path in sorted(changes, key=lambda c: c[1]):
        if ignored(path):
            continue
        for root in ordered:
            base = str(root)
            if path == base or path.startswith(base.rstrip(os.sep) + os.sep):
                grouped.setdefault(root, []).append(FileChange(root, _KIND.get(change, "modified"), path))
                break
    return grouped


def auto_poll_ms(files: int) -> int:
    """The polling interval for a tree of ``files`` files (``QUICKNAV_WATCH_POLL_MS`` unset)."""
    return int(min(POLL_MS_MAX, max(POLL_MS_MIN, files * POLL_MS_PER_FILE)))


class SessionRows:
    """The ``scans`` rows of one watcher session, one per root, into which batch rows are folded."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._rows: dict[int, tuple[int, float]] = {}  # root id -> (row id, when it was opened)

    def fold(self, report: ScanReport) -> int:
        """Add a finished batch's counts and problems to the session's row of its root, drop the batch
        row, and return the session row's id."""
        root_id, batch = report.root_id, report.scan_id
        with self.store.transaction() as conn:
            current = self._rows.get(root_id)
            latest = conn.execute(
                "SELECT max(id) FROM scans WHERE root_id = ? AND id != ?", (root_id, batch)
            ).fetchone()[0]
            if current is None or latest != current[0]:
                # First batch, or another scan of the root came after the row: a new row keeps the
                # latest row of each root (what index_status shows) the latest activity.
                if current is not None:
                    self._finish(conn, current[0], "done")
                current = (scan_rows.open_row(conn, root_id, report.started_at, kind="watch"), time.monotonic())
                self._rows[root_id] = current
            row, opened = current
            conn.execute(
                "UPDATE scans SET files_seen = files_seen + ?, added = added + ?, updated = updated + ?, "
                "moved = moved + ?, deleted = deleted + ?, unchanged = unchanged + ?, problems = problems + ?, "
                "batches = batches + 1, seconds = ? WHERE id = ?",
                (
                    report.files_seen,
                    report.added,
                    report.updated,
                    report.moved,
                    report.deleted,
                    report.unchanged,
                    report.problems,
                    round(time.monotonic() - opened, 3),
                    row,
                ),
            )
            conn.execute("UPDATE scan_problems SET scan_id = ? WHERE scan_id = ?", (row, batch))
            conn.execute("DELETE FROM scans WHERE id = ?", (batch,))
        return row

    def close(self, status: str = "done", root_id: int | None = None) -> None:
        """End the rows of the session (or of one root); a closed store is no error at shutdown."""
        ids = [i for i in (list(self._rows) if root_id is None else [root_id]) if i in self._rows]
        if not ids:
            return
        try:
            with self.store.transaction() as conn:
                for i in ids:
                    row, opened = self._rows[i]
                    self._finish(conn, row, status, round(time.monotonic() - opened, 3))
        except Exception:
            # Kept: the next session goes on folding into them (still running) and ends them later.
            log.debug("could not close the watcher's scans rows", exc_info=True)
            return
        for i in ids:
            del self._rows[i]

    @staticmethod
    def _finish(conn: Any, row: int, status: str, seconds: float | None = None) -> None:
        conn.execute(
            "UPDATE scans SET status = ?, finished_at = ?, seconds = coalesce(?, seconds) WHERE id = ?",
            (status, now_iso(), seconds, row),
        )


def filesystem_type(path: Path) -> str | None:
    """The type of the filesystem holding ``path`` (Linux ``/proc/mounts``), or None when unknown."""
    try:
        with open("/proc/mounts", encoding="utf-8", errors="replace") as f:
            mounts = [line.split()[1:3] for line in f if len(line.split()) >= 3]
    except OSError:
        return None
    target = str(path)
    best, kind = "", None
    for mount, fstype in mounts:
        mount = mount.replace("\\040", " ")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) > len(best):
            best, kind = mount, fstype
    return kind


class RootsVanished(Exception):
    """A watched root disappeared or a paused one came back: start a new session."""


class Watcher:
    """Sessions of watching; :meth:`run_session` returns when the roots change or ``stop`` is set."""

    def __init__(
        self,
        store: Store,
        roots: Sequence[Path],
        *,
        poll: bool | None = None,
        poll_ms: int | None = None,
        reconcile_minutes: int = 60,
        on_changes: Callable[[Path, list[FileChange], ScanReport], None] | None = None,
        after_changes: Callable[[], None] | None = None,
        watch_fn: WatchFn = watchfiles.watch,
    ) -> None:
        if not roots:
            raise ConfigError("no project roots configured to watch: set QUICKNAV_ROOTS or pass --root")
        self.store = store
        self.roots = tuple(Path(r) for r in roots)
        self.poll = poll
        self.poll_ms = poll_ms  # None: scaled to the tree (auto_poll_ms)
        self.reconcile_seconds = reconcile_minutes * 60.0
        self.on_changes = on_changes
        self.after_changes = after_changes
        self.watch_fn = watch_fn
        self.status = WatchStatus()
        self._limit_reached = False  # the OS refused more watches once: poll from then on
        self._reconciled: set[Path] = set()
        self._last_reconcile = time.monotonic()
        self.rows = SessionRows(store)
        self.heartbeat = Heartbeat(store)  # the status, recorded for other processes every few seconds

    # ------------------------------------------------------------------ one session

    def run_session(self, stop: threading.Event) -> None:
        """One session; its ``scans`` rows end ``done``, or ``failed`` when it raises."""
        status = "failed"
        try:
            self._session(stop)
            status = "done"
        finally:
            self.rows.close(status)

    def _session(self, stop: threading.Event) -> None:
        with self.store.transaction() as conn:  # rows a killed process left running
            scan_rows.mark_interrupted(conn)
        present = [r for r in self.roots if r.is_dir()]
        st = self.status
        st.paused_roots = [str(r) for r in self.roots if r not in present]
        for root in st.paused_roots:
            why = "is a file, not a folder" if Path(root).exists() else "is not there"
            log.warning("watched root %s %s; paused until it returns (nothing is deleted)", root, why)
        st.watching = [str(r) for r in present]
        self._reconciled &= set(present)  # a root that is away is reconciled again when it returns
        if not present:
            st.state = "paused"
            self._beat()
            while not stop.wait(TICK_MS / 1000):
                self._beat()
                if any(r.is_dir() for r in self.roots):
                    return
            return
        pending = [r for r in present if r not in self._reconciled]
        if pending:
            self._reconcile(pending, stop)
        polling, reason = self._polling(present)
        poll_ms = self._poll_ms(present) if polling else 1000
        st.mode, st.mode_reason = ("polling" if polling else "inotify"), reason
        st.poll_interval_s = poll_ms / 1000 if polling else None
        st.state = "watching"
        self._beat()
        log.info("watching %d root(s) with %s", len(present), st.mode, extra={"roots": st.watching, "reason": reason})
        try:
            for changes in self.watch_fn(
                *present,
                watch_filter=_watch_filter,
                debounce=DEBOUNCE_MS,
                step=STEP_MS,
                stop_event=stop,
                rust_timeout=TICK_MS,
                yield_on_timeout=True,
                force_polling=polling,
                poll_delay_ms=poll_ms,
                ignore_permission_denied=True,
                raise_interrupt=False,
            ):
                self._beat()
                if changes:
                    self.apply(changes, present, stop)
                self._check_roots(present)
                if self.reconcile_seconds and time.monotonic() - self._last_reconcile >= self.reconcile_seconds:
                    self._reconcile(present, stop)
                if stop.is_set():
                    break
        except RootsVanished:
            return
        except OSError as exc:
            if "watch limit" in str(exc).lower() and not polling:
                self._limit_reached = True
                log.warning("the OS file watch limit is reached; switching to polling (%s)", exc)
                return
            if any(not r.is_dir() for r in present):
                return  # the root went away under the watcher: the next session pauses it
            raise
        if stop.is_set():
            st.state = "stopped"

    def apply(self, changes: Iterable[tuple[Change, str]], roots: Sequence[Path], stop: threading.Event) -> int:
        """Index one batch of changes through the scanner; returns how many changes were applied."""
        grouped = group_changes(changes, roots)
        applied = 0
        for root, items in grouped.items():
            try:
                report = scan_changes(self.store, root, [c.path for c in items], cancel=stop, shared=True)
            except ConfigError:
                continue  # the root vanished mid-batch; the root check pauses it
            if report.status == "done":
                report.scan_id = self.rows.fold(report)  # where the batch is recorded now
            applied += len(items)
            st = self.status
            st.changes += len(items)
            st.batches += 1
            st.last_change = now_iso()
            st.last_change_path = items[-1].path
            if self.on_changes is not None:
                self.on_changes(root, items, report)
        if applied:
            self._beat()  # the last change, recorded at once
        if applied and self.after_changes is not None:
            self.after_changes()
        return applied

    def forget_reconciled(self) -> None:
        """The next session reconciles every root first (after a failure, changes may have been missed)."""
        self._reconciled.clear()

    # ------------------------------------------------------------------ helpers

    def _beat(self) -> None:
        self.status.heartbeat = now_iso()
        self.heartbeat.beat(self.status)

    def _check_roots(self, present: Sequence[Path]) -> None:
        if any(not r.is_dir() for r in present):
            raise RootsVanished
        if any(r.is_dir() for r in self.roots if r not in present):
            log.info("a paused root is back; resuming it")
            raise RootsVanished

    def _reconcile(self, roots: Sequence[Path], stop: threading.Event) -> None:
        st = self.status
        st.state = "reconciling"
        for root in roots:
            if stop.is_set():
                return
            try:
                # A reconcile of a large share takes minutes: its progress keeps the heartbeat fresh.
                report = scan_root(self.store, root, cancel=stop, progress=lambda _p: self._beat(), shared=True)
            except ConfigError as exc:  # vanished since the check: the next session pauses it
                log.warning("reconcile of %s skipped: %s", root, exc)
                continue
            self._reconciled.add(root)
            self.rows.close("done", report.root_id)  # later batches start a row after the reconcile's
            log.info(
                "reconciled %s: %d added, %d updated, %d moved, %d deleted",
                root,
                report.added,
                report.updated,
                report.moved,
                report.deleted,
            )
        self._last_reconcile = time.monotonic()
        st.last_reconcile = now_iso()
        if self.after_changes is not None:
            self.after_changes()
        st.state = "watching"

    def _poll_ms(self, roots: Sequence[Path]) -> int:
        if self.poll_ms is not None:
            return self.poll_ms
        marks = ", ".join("?" for _ in roots)
        row = self.store.query_one(
            f"SELECT count(*) FROM documents d JOIN roots r ON r.id = d.root_id WHERE r.path IN ({marks})",
            [str(r) for r in roots],
        )
        return auto_poll_ms(int(row[0]) if row else 0)

    def _polling(self, roots: Sequence[Path]) -> tuple[bool, str | None]:
        if self._limit_reached:
            return True, "the OS file watch limit was reached"
        if self.poll is not None:
            return self.poll, "QUICKNAV_WATCH_POLL" if self.poll else None
        for root in roots:
            kind = filesystem_type(root)
            if kind in NETWORK_FS:
                return True, f"{root} is on a network filesystem ({kind})"
        return False, None


class WatchSupervisor:
    """Runs a :class:`Watcher` on a daemon thread and restarts a failed session with backoff."""

    def __init__(self, watcher: Watcher) -> None:
        self.watcher = watcher
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.run, name="quicknav-watcher", daemon=True)
        self._switch: int | None = None  # the switch-interval hold to release on stop
        # Set when run() has finished its cleanup. Thread.is_alive() can read False while the thread
        # still runs once a signal interrupted a join() on it (`quicknav watch` on SIGTERM): waiting on
        # this instead lets the heartbeat row be removed before the process exits.
        self._done = threading.Event()

    def start(self) -> WatchSupervisor:
        self._switch = switch_interval.hold(SWITCH_INTERVAL)
        self._thread.start()
        return self

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def status(self) -> dict[str, Any]:
        data = self.watcher.status.to_dict()
        data["alive"] = self._thread.is_alive() or threading.current_thread() is self._thread
        return data

    def request_stop(self) -> None:
        """Ask the watcher to stop without waiting (it ends at its next step)."""
        self._stop.set()

    def stop(self, timeout: float = 3.0) -> bool:
        """Stop watching; returns whether the thread ended within ``timeout`` seconds."""
        self._stop.set()
        if self._thread.ident is not None and threading.current_thread() is not self._thread:
            self._done.wait(timeout)
            self._thread.join(0.5)
        self.watcher.status.state = "stopped"
        if self._switch is not None:
            switch_interval.release(self._switch)
            self._switch = None
        return not self._thread.is_alive()

    def run(self) -> None:
        """Sessions until stopped (in the calling thread when not :meth:`start`-ed)."""
        try:
            self._sessions()
        finally:
            self.watcher.status.state = "stopped"
            self.watcher.heartbeat.clear()
            self._done.set()

    def _sessions(self) -> None:
        backoff = BACKOFF_FIRST
        st = self.watcher.status
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.watcher.run_session(self._stop)
                continue
            except Exception as exc:
                if self._stop.is_set():  # the store closed under a session during shutdown
                    log.debug("watcher session ended by shutdown", exc_info=True)
                    break
                if time.monotonic() - started >= HEALTHY_AFTER:
                    backoff = BACKOFF_FIRST
                st.restarts += 1
                st.state = "restarting"
                st.last_error = f"{type(exc).__name__}: {exc}"
                self.watcher.forget_reconciled()  # changes may have been missed while it was down
                log.exception("file watcher failed; restart %d in %.0fs", st.restarts, backoff)
            self.watcher.heartbeat.beat(st)  # "restarting", with the error, for other processes too
            self._stop.wait(backoff)
            backoff = min(backoff * 2, BACKOFF_MAX)


__all__ = [
    "FileChange",
    "SessionRows",
    "WatchStatus",
    "WatchSupervisor",
    "Watcher",
    "auto_poll_ms",
    "filesystem_type",
    "group_changes",
    "ignored",
]
