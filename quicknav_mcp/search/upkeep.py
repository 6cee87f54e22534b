"""Keeping the search index complete: extracted text and embeddings, on demand or by the
background worker, and a report of how far along they are."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from ..config import ExtractLimits
from ..models import SearchIndexStatus
from ..repo.documents import REL_PATH
from ..store import Store


class Upkeep:
    """Runs extraction and embedding, and owns the background worker's lifecycle."""

    def __init__(self, store: Store, embedder: Any, extract_limits: ExtractLimits | None = None) -> None:
        self.store = store
        self.embedder = embedder
        self.extract_limits = extract_limits  # None: the extractor's defaults
        self._background: Any = None
        self._closed = False

    @property
    def worker_running(self) -> bool:
        return bool(self._background is not None and self._background.is_alive())

    def status(self) -> SearchIndexStatus:
        store = self.store
        docs = store.query_one("SELECT count(*) FROM documents")[0]
        by_status = {r[0]: r[1] for r in store.query("SELECT status, count(*) FROM document_content GROUP BY 1")}
        pending = store.query_one(
            "SELECT count(*) FROM documents d LEFT JOIN document_content c ON c.doc_id = d.id "
            "WHERE c.doc_id IS NULL OR c.size != d.size OR c.mtime != d.mtime"
        )[0]
        failures = store.query(
            f"SELECT {REL_PATH}, c.status, c.error FROM document_content c JOIN documents d ON d.id = c.doc_id "
            "JOIN projects p ON p.id = d.project_id "
            "WHERE c.status IN ('failed', 'timeout', 'too_large') ORDER BY c.extracted_at DESC LIMIT 10"
        )
        from ..repo.vectors import coverage

        model = self.embedder.name
        done = store.query_one("SELECT count(*) FROM embedding_state WHERE model = ?", (model,))[0]
        pdone = store.query_one("SELECT count(*) FROM project_embedding_state WHERE model = ?", (model,))[0]
        status = self.embedder.status()
        precision = getattr(self.embedder, "precision", None)  # the worker model's Choice, once loaded
        if not store.vec_available:
            status = "unavailable: sqlite-vec extension not loaded"
        return SearchIndexStatus(
            documents=docs,
            content_processed=sum(by_status.values()),
            content_pending=pending,
            content_ok=by_status.get("ok", 0),
            content_failed=sum(by_status.get(k, 0) for k in ("failed", "timeout", "too_large")),
            content_by_status=by_status,
            recent_failures=[{"path": r[0], "status": r[1], "error": r[2] or ""} for r in failures],
            embeddings_done=done,
            embeddings_pending=max(0, docs - done),
            project_embeddings_done=pdone,
            semantic_available=store.vec_available and not status.startswith("unavailable"),
            semantic_status=status,
            model=model,
            embedding_precision=str(precision or ""),
            vectors_available=store.vec_available,
            worker_running=self.worker_running,
            vector_coverage=coverage(store, model, getattr(self.embedder, "rates", {})),
        )

    def index_content(
        self,
        *,
        extract: bool = True,
        embed: bool = True,
        workers: int = 1,
        max_docs: int | None = None,
        require_content: bool = True,
        cancel: threading.Event | None = None,
        progress: Callable[[str, int, int], None] | None = None,
    ) -> dict[str, Any]:
        """Run extraction then embedding over whatever is pending (synchronously)."""
        from ..indexers.embed import EmbedWorker
        from ..indexers.extract import ContentWorker

        report: dict[str, Any] = {}
        if extract and embed:  # identity vectors need no text: every document findable by meaning first
            first = EmbedWorker(self.store, self.embedder).run(
                max_docs=max_docs,
                cancel=cancel,
                identity_only=True,
                progress=(lambda d, t: progress("identity", d, t)) if progress else None,
            )
            if first.identity and max_docs is not None and first.identity + first.skipped_unchanged >= max_docs:
                report["embed"] = {
                    "documents": first.documents,
                    "projects": 0,
                    "seconds": first.seconds,
                    "docs_per_s": round(first.docs_per_s, 1),
                    "status": "identities first",
                    "unchanged": first.skipped_unchanged,
                }
                return report  # this slice went to identities; extraction comes once they are done
        if extract:
            r = ContentWorker(self.store, workers=workers, limits=self.extract_limits).run(
                max_docs=max_docs,
                cancel=cancel,
                progress=(lambda d, t: progress("extract", d, t)) if progress else None,
            )
            report["extract"] = {
                "processed": r.processed,
                "by_status": r.by_status,
                "seconds": r.seconds,
                "status": r.status,
            }
        if embed:
            e = EmbedWorker(self.store, self.embedder).run(
                max_docs=max_docs,
                require_content=require_content and extract,
                cancel=cancel,
                progress=(lambda d, t: progress("embed", d, t)) if progress else None,
            )
            report["embed"] = {
                "documents": e.documents,
                "projects": e.projects,
                "seconds": e.seconds,
                "docs_per_s": round(e.docs_per_s, 1),
                "status": e.status,
                "unchanged": e.skipped_unchanged,
            }
        return report

    def start_background(self, service: Any, *, interval: float = 30.0) -> None:
        """Start the background worker over ``service`` (what it calls ``index_content`` on) if
        not running and not closed."""
        from .background import BackgroundIndexer

        if self._closed:
            return
        if self._background is None or not self._background.is_alive():
            self._background = BackgroundIndexer(service, interval=interval)
            self._background.start()

    def notify(self) -> None:
        """Something was re-indexed: wake the background worker (if running)."""
        if self._background is not None:
            self._background.wake()

    def request_stop(self) -> None:
        """Ask the background worker to stop without waiting; it is not started again."""
        self._closed = True
        if self._background is not None:
            self._background.request_stop()

    def close(self) -> None:
        """Stop the background worker; it is not started again."""
        self._closed = True
        if self._background is not None:
            self._background.stop()
            self._background = None
