"""Index tools: what is indexed, and re-scanning the roots."""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Annotated, Any

import anyio
import anyio.from_thread
import anyio.to_thread
from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from ..models import IndexStatus
from ._common import READ_ONLY, tool_errors

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from ..server import AppHolder


class ReindexResult(BaseModel):
    """One report per configured root."""

    roots: list[dict[str, Any]]


def register(server: MCPServer, holder: AppHolder) -> None:
    @server.tool(title="Index status", annotations=READ_ONLY)
    @tool_errors
    def index_status() -> IndexStatus:
        """What QuickNav has indexed: roots, project and document counts by type, the last scan of
        each root and recent scan problems, and search indexing progress (text extraction,
        embeddings, whether semantic search is available). Use when results look stale or empty."""
        return holder.get().indexing.status()

    @server.tool(
        title="Re-index the project roots",
        annotations=ToolAnnotations(
            read_only_hint=False, idempotent_hint=True, destructive_hint=False, open_world_hint=False
        ),
    )
    async def reindex(
        ctx: Context,
        force: Annotated[
            bool,
            Field(
                strict=True,
                description="Re-read every file, and accept deletions the scan would otherwise refuse as "
                "suspect (a root that suddenly lists no projects looks like an unmounted share)",
            ),
        ] = False,
        quick: Annotated[
            bool,
            Field(
                strict=True,
                description="Only list folders changed since the last complete scan: much faster on a large "
                "firm; sees files added, removed, renamed or moved, not files edited in place",
            ),
        ] = False,
    ) -> ReindexResult:
        """Re-scan every configured project root and reconcile the index (new, changed, moved and
        deleted files; unchanged files are not re-read). Reports progress while it runs. Use when
        the user says files were added or moved. If most projects seem to have vanished (an
        unmounted share), nothing is deleted and the report says so; only force=true accepts it."""
        app = holder.get()
        cancel = threading.Event()

        def progress(p: Any) -> None:
            seen = getattr(p, "files_seen", 0)
            done = getattr(p, "projects_seen", 0)
            total = getattr(p, "projects_total", 0) or None
            project = getattr(p, "current_project", None) or ""
            message = f"{done}/{total or '?'} projects, {seen} files {project}".strip()
            # The client may have gone away; the scan goes on regardless.
            with contextlib.suppress(Exception):
                anyio.from_thread.run(ctx.report_progress, float(done), float(total) if total else None, message)

        # refresh() wakes the background worker (when running) to extract and embed what changed.
        run = tool_errors(app.indexing.refresh)
        try:
            reports, _ = await anyio.to_thread.run_sync(
                lambda: run(progress, cancel, force, quick=quick), abandon_on_cancel=False
            )
        except anyio.get_cancelled_exc_class():
            cancel.set()
            raise
        return ReindexResult(roots=reports)
