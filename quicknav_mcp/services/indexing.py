"""Index status and re-indexing of the configured roots."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..models import IndexStatus, ScanSummary
from ..store import Store, latest_version


class IndexService:
    """Runs scans (one at a time per process) and reports what the index holds."""

    def __init__(self, store: Store, roots: Sequence[Path]) -> None:
        self.store = store
        self.roots = tuple(roots)
        self._scan_lock = threading.Lock()

    def status(self) -> IndexStatus:
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
            last_scans=[
                ScanSummary(
                    root=s["root"],
                    status=s["status"],
                    started_at=s["started_at"],
                    finished_at=s["finished_at"],
                    files_seen=s["files_seen"],
                    added=s["added"],
                    updated=s["updated"],
                    moved=s["moved"],
                    deleted=s["deleted"],
                    unchanged=s["unchanged"],
                    problems=s["problems"],
                    seconds=s["seconds"],
                )
                for s in scans
            ],
            recent_problems=[{"path": p["path"], "kind": p["kind"], "message": p["message"]} for p in problems],
        )

    def reindex(
        self,
        progress: Callable[[Any], None] | None = None,
        cancel: threading.Event | None = None,
        force: bool = False,
    ) -> list[dict[str, Any]]:
        """Scan every configured root; returns one report dict per root.

        ``force`` re-reads every file and accepts mass deletions that the scanner would otherwise
        refuse as suspect (a root that suddenly lists no projects looks like an unmounted share).
        """
        from ..indexers.filesystem import scan_root  # the scanner is only needed when asked

        if not self.roots:
            raise ConfigError("no project roots configured: set QUICKNAV_ROOTS or pass --root")
        if not self._scan_lock.acquire(blocking=False):
            raise ConfigError("a re-index is already running in this process")
        try:
            return [
                scan_root(self.store, root, progress=progress, cancel=cancel, force=force).to_dict()
                for root in self.roots
            ]
        finally:
            self._scan_lock.release()
