"""Index status and re-indexing of the configured roots.

One place assembles the status and runs "re-scan, then let search catch up", so the MCP tools and
the ``quicknav status`` / ``quicknav index`` commands give the same answers.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import ConfigError, InvalidInput, NotFound
from ..models import IndexStatus, ScanSummary
from ..store import Store, latest_version

if TYPE_CHECKING:
    from ..search.models import SearchIndexStatus


class ContentIndex(Protocol):
    """What indexing needs from search: its progress, a nudge after a scan, and a synchronous catch-up.

    A protocol rather than an import, so services never depend on the search package.
    """

    def index_status(self) -> SearchIndexStatus: ...

    def notify(self) -> None: ...

    def index_content(
        self,
        *,
        cancel: threading.Event | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> dict[str, Any]: ...


class IndexService:
    """Runs scans (one at a time per process) and reports what the index holds."""

    def __init__(self, store: Store, roots: Sequence[Path], *, content: ContentIndex | None = None) -> None:
        self.store = store
        self.roots = tuple(roots)
        self.content = content
        self.watcher: Any = None  # the file watcher's supervisor while one runs (anything with ``status()``)
        self.breakers: dict[str, Any] = {}  # name -> a circuit breaker (anything with ``snapshot()``)
        self._scan_lock = threading.Lock()

    def status(self) -> IndexStatus:
        """Everything ``index_status`` and ``quicknav status`` report, search progress included."""
        status = self._scan_status()
        if self.content is not None:
            status.search = self.content.index_status()
        if self.watcher is not None:
            status.watcher = self.watcher.status()
        else:  # a watcher in another process (`quicknav serve` beside this one) records its heartbeat
            from ..indexers.watch_beat import recorded

            status.watcher = recorded(self.store)
        if self.breakers:
            status.breakers = {name: b.snapshot() for name, b in self.breakers.items()}
        return status

    def _scan_status(self) -> IndexStatus:
        counts = self.store.query_one(
            "SELECT (SELECT count(*) FROM projects) AS projects, (SELECT count(*) FROM documents) AS documents"
        )
        types = self.store.query("SELECT doc_type, count(*) n FROM documents GROUP BY doc_type ORDER BY n DESC")
        scans = self.store.query(
            "SELECT s.*, r.path AS root FROM scans s JOIN roots r ON r.id = s.root_id "
            "WHERE s.id IN (SELECT max(id) FROM scans GROUP BY root_id) ORDER BY r.path"
        )
        problems = self.store.query("SELECT path, kind, message FROM scan_problems ORDER BY id DESC LIMIT 20")
        indexed_roots = [r["path"] for r in self.store.query("SELECT path FROM roots ORDER BY path")]
        db_bytes = sum(p.stat().st_size for p in (self.store.path, Path(f"{self.store.path}-wal")) if p.exists())
        return IndexStatus(
            db_path=str(self.store.path),
            db_bytes=db_bytes,
            schema_version=latest_version(),
            vectors_available=self.store.vec_available,
            roots=sorted({*(str(r) for r in self.roots), *indexed_roots}),
            projects=counts["projects"],
            documents=counts["documents"],
            doc_types={r["doc_type"]: r["n"] for r in types},
            last_scans=[ScanSummary.from_row(s) for s in scans],
            recent_problems=[{"path": p["path"], "kind": p["kind"], "message": p["message"]} for p in problems],
        )

    def reindex(
        self,
        progress: Callable[[Any], None] | None = None,
        cancel: threading.Event | None = None,
        force: bool = False,
        quick: bool = False,
    ) -> list[dict[str, Any]]:
        """Scan every configured root; returns one report dict per root.

        ``force`` re-reads every file and accepts mass deletions that the scanner would otherwise
        refuse as suspect (a root that suddenly lists no projects looks like an unmounted share).
        ``quick`` lists again only folders changed since the last complete scan: it sees every file
        added, removed, renamed or moved, not files edited in place.
        Search is not told; :meth:`refresh` is the scan followed by that.
        """
        from ..indexers.filesystem import scan_root  # the scanner is only needed when asked

        if not self.roots:
            raise ConfigError("no project roots configured: set QUICKNAV_ROOTS or pass --root")
        if quick and force:
            raise ConfigError("quick and force contradict each other: force re-reads every file, quick skips folders")
        if not self._scan_lock.acquire(blocking=False):
            raise ConfigError("a re-index is already running in this process")
        try:
            return [
                scan_root(self.store, root, progress=progress, cancel=cancel, force=force, quick=quick).to_dict()
                for root in self.roots
            ]
        finally:
            self._scan_lock.release()

    def update_project(self, project_id: str | None = None, path: str | None = None) -> dict[str, Any]:
        """Re-scan one project (its number) or one path inside a configured root, then wake search.

        Goes through the scanner's narrow entry point (the watcher's), so only that project folder
        is reconciled; returns that root's scan report.
        """
        from ..indexers.filesystem import scan_changes  # the scanner is only needed when asked

        root, target = self._update_target(project_id, path)
        if not self._scan_lock.acquire(blocking=False):
            raise ConfigError("a re-index is already running in this process")
        try:
            report = scan_changes(self.store, root, [target]).to_dict()
        finally:
            self._scan_lock.release()
        if self.content is not None:
            self.content.notify()
        return report

    def _update_target(self, project_id: str | None, path: str | None) -> tuple[Path, Path]:
        """``(root, folder or file to re-scan)`` for a project number or a path; bad input names the problem."""
        if bool(project_id) == bool(path):
            raise InvalidInput("give exactly one of project_id (a project number) or path")
        if project_id:
            code = project_id.strip()
            rows = self.store.query(
                "SELECT r.path AS root, p.rel_path FROM projects p JOIN roots r ON r.id = p.root_id WHERE p.code = ?",
                (code,),
            )
            configured = {os.path.realpath(r) for r in self.roots}
            for row in rows:
                if os.path.realpath(row["root"]) in configured:
                    return Path(row["root"]), Path(row["root"]) / row["rel_path"]
            raise NotFound(f"project {code!r} is not indexed under the configured roots")
        assert path is not None
        given = Path(path)
        if not given.is_absolute():
            raise InvalidInput(f"path {path!r} must be absolute (inside a configured root)")
        target = Path(os.path.realpath(given))
        for root in self.roots:
            base = Path(os.path.realpath(root))
            if target == base or base in target.parents:
                return base, target
        raise InvalidInput(f"path {path!r} is outside the configured roots")

    def refresh(
        self,
        progress: Callable[[Any], None] | None = None,
        cancel: threading.Event | None = None,
        force: bool = False,
        *,
        quick: bool = False,
        content: bool = False,
        content_progress: Callable[[str, int, int], None] | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Re-scan, then bring search up to date: ``(scan reports, content report or None)``.

        With ``content`` the text extraction and embeddings of what changed run now (the CLI, which
        has no background worker); otherwise the background worker, when one runs, is woken to do it.
        """
        reports = self.reindex(progress, cancel, force, quick)
        if self.content is None:
            return reports, None
        if content:
            return reports, self.content.index_content(cancel=cancel, progress=content_progress)
        self.content.notify()
        return reports, None
