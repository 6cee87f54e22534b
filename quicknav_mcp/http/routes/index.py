"""Index routes: re-scan after a project changed (legacy ingest), re-index, and what is indexed."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...models import IndexStatus
from ...tools.indexing import ReindexResult
from ..adapt import ApiRoute, body_args, gateway, query_args, reply, run
from ..auth import principal
from ..errors import ApiError

UPDATE_EXTRA = {"project_id": (str | None, None), "path": (str | None, None)}


async def _refresh(request: Request, force: bool, quick: bool = False) -> JSONResponse:
    if not principal(request).admin:
        raise ApiError(403, "forbidden", "re-indexing needs an admin token")
    gw = gateway(request)
    indexing = gw.app.indexing
    # The scan is incremental (unchanged files are not re-read) and wakes the content worker.
    reports, _ = await run(lambda: indexing.refresh(force=force, quick=quick))
    if gw.cache is not None:
        gw.cache.invalidate("index")
    return reply(ReindexResult(roots=reports))


async def project_update(request: Request) -> JSONResponse:
    """Legacy ingest of a changed project: just that project (``project_id``) or ``path`` is re-scanned."""
    if not principal(request).admin:
        raise ApiError(403, "forbidden", "re-indexing needs an admin token")
    args = await body_args(request, "reindex", UPDATE_EXTRA)
    gw = gateway(request)
    indexing = gw.app.indexing
    report = await run(lambda: indexing.update_project(args.project_id, args.path))
    if gw.cache is not None:
        gw.cache.invalidate("index")
    return reply(ReindexResult(roots=[report]))


async def reindex(request: Request) -> JSONResponse:
    args = await body_args(request, "reindex")
    return await _refresh(request, args.force, args.quick)


async def status(request: Request) -> JSONResponse:
    args = query_args(request, "index_status")
    return reply(await gateway(request).call("index_status", args))


ROUTES = [
    ApiRoute(
        "/api/v1/ingest/project-update",
        project_update,
        methods=["POST"],
        tool="reindex",
        extra=UPDATE_EXTRA,
        summary="A project changed: re-scan just it (project_id or a path inside a root) and refresh search (admin)",
        response=ReindexResult,
        tags=("index",),
    ),
    ApiRoute(
        "/api/v1/index/reindex",
        reindex,
        methods=["POST"],
        tool="reindex",
        response=ReindexResult,
        summary="Re-scan every project root (admin)",
        tags=("index",),
    ),
    ApiRoute(
        "/api/v1/index/status",
        status,
        methods=["GET"],
        tool="index_status",
        source="query",
        response=IndexStatus,
        summary="What is indexed, and search indexing progress",
        tags=("index",),
    ),
]
