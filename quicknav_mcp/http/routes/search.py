"""Search routes: the legacy project and document searches, and autocomplete."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...search.models import SearchDocumentsResult, SearchProjectsResult, SuggestResult
from ..adapt import ApiRoute, body_args, cached, gateway, query_args, reply, run
from ..auth import principal, user_for

# The legacy API's fields the tools do not take: accepted, and answered as described in the route docs.
PROJECT_EXTRA = {"include_analytics": (bool, False)}
DOCUMENT_EXTRA = {"include_content": (bool, True)}
AUTOCOMPLETE_NAMES = {"q": "prefix"}  # the legacy query parameter -> the suggest tool's argument
# New documents change search answers. Usage does too, but only through popularity figures that search
# itself refreshes once a minute; every search records an event, so tagging searches with events would
# empty the search cache on every call. The cache's TTL bounds how stale a popularity boost can be.
SEARCH_TAGS = ("index",)


def searcher(request: Request, requested: str | None) -> str | None:
    """Whose recent projects rank a little higher: the one named (checked), else the token's user, else nobody."""
    if requested is None and not principal(request).authenticated:
        return None  # like the MCP tool without user_id: no personal ranking
    return user_for(request, requested)


async def search_projects(request: Request) -> JSONResponse:
    """Legacy project search: the search_projects tool's answer plus ``from_cache``."""
    gw = gateway(request)
    args = await body_args(request, "search_projects", PROJECT_EXTRA)
    user = searcher(request, args.user_id)
    result, hit = await cached(request, SEARCH_TAGS, args, lambda: gw.call("search_projects", args, user_id=user))
    body = result.model_dump(mode="json")
    if args.include_analytics and body["projects"]:
        await add_usage(request, body["projects"])
    return reply(body, from_cache=hit)


async def add_usage(request: Request, projects: list[dict]) -> None:
    """The legacy ``include_analytics``: each project's views in the last 30 days, from one rollup report."""
    codes = [p["project_number"] for p in projects]
    analytics = gateway(request).app.analytics
    report = await run(
        lambda: analytics.run_report("views", ["project"], "last_30_days", {"project_id": codes}, limit=len(codes))
    )
    views = {row["project"]: row["views"] for row in report.rows}
    for project in projects:
        project["analytics"] = {"views_30d": views.get(project["project_number"], 0)}


async def search_documents(request: Request) -> JSONResponse:
    """Legacy document search (``project_id`` is the tool's ``project_number``); no include_content: no snippets."""
    gw = gateway(request)
    args = await body_args(request, "search_documents", DOCUMENT_EXTRA, project_id="project_number")
    user = searcher(request, args.user_id)
    result, hit = await cached(request, SEARCH_TAGS, args, lambda: gw.call("search_documents", args, user_id=user))
    body = result.model_dump(mode="json")
    if not args.include_content:
        for doc in body["documents"]:
            doc.pop("snippet", None)
    return reply(body, from_cache=hit)


async def autocomplete(request: Request) -> JSONResponse:
    """``GET /api/v1/autocomplete?q=...&limit=...``: the suggest tool."""
    args = query_args(request, "suggest", rename=AUTOCOMPLETE_NAMES)
    return reply(await gateway(request).call("suggest", args))


ROUTES = [
    ApiRoute(
        "/api/v1/projects/search",
        search_projects,
        methods=["POST"],
        summary="Search project folders (legacy fields; include_analytics adds each project's 30-day views)",
        tool="search_projects",
        extra=PROJECT_EXTRA,
        response=SearchProjectsResult,
        tags=("search",),
    ),
    ApiRoute(
        "/api/v1/documents/search",
        search_documents,
        methods=["POST"],
        summary="Search documents (legacy project_id = project_number)",
        tool="search_documents",
        extra=DOCUMENT_EXTRA,
        response=SearchDocumentsResult,
        tags=("search",),
    ),
    ApiRoute(
        "/api/v1/autocomplete",
        autocomplete,
        methods=["GET"],
        summary="Completions for a partly typed query (q = the prefix)",
        tool="suggest",
        source="query",
        renamed={v: k for k, v in AUTOCOMPLETE_NAMES.items()},
        response=SuggestResult,
        tags=("search",),
    ),
]
