"""Project routes: one project's details and its documents (the find_documents options as query parameters)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...models import FindDocumentsResult, GetProjectResult
from ..adapt import ApiRoute, gateway, query_args, reply


async def get_project(request: Request) -> JSONResponse:
    args = query_args(request, "get_project", project_number=request.path_params["number"])
    return reply(await gateway(request).call("get_project", args))


async def project_documents(request: Request) -> JSONResponse:
    """A project's current documents: the legacy status/path/paths plus the documents (``doc_type``, ``mode``, ...)."""
    args = query_args(request, "find_documents", project_number=request.path_params["number"])
    return reply(await gateway(request).call("find_documents", args))


ROUTES = [
    ApiRoute(
        "/api/v1/projects/{number}",
        get_project,
        methods=["GET"],
        summary="A project's folder, clients and document counts",
        tool="get_project",
        source="query",
        response=GetProjectResult,
        tags=("projects",),
    ),
    ApiRoute(
        "/api/v1/projects/{number}/documents",
        project_documents,
        methods=["GET"],
        summary="A project's current documents of a family (find_documents options as query parameters)",
        tool="find_documents",
        source="query",
        response=FindDocumentsResult,
        tags=("projects",),
    ),
]
