"""Analytics routes: event ingestion (one event or a batch; the legacy alias), dashboard, metrics, reports."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...analytics.models import (
    BatchResult,
    Dashboard,
    PerformanceSummary,
    ProjectMetrics,
    Report,
    SearchTrends,
    UserActivity,
)
from ..adapt import ApiRoute, body_args, cached, gateway, query_args, reply, run
from ..auth import user_for
from ..errors import ApiError, read_json

MAX_BATCH = 1000
DASHBOARD_TAGS = ("events",)


async def ingest(request: Request) -> JSONResponse:
    """One event object or ``{"events": [...]}``, answered with the legacy batch result.

    Events default to the caller; an event naming another user needs the admin claim. Good events
    are stored even when others in the batch are bad (each bad one is reported by index).
    """
    data = await read_json(request)
    if isinstance(data, Mapping) and "events" in data:
        events = gateway(request).validate("track_events", data).events
    elif isinstance(data, Mapping):
        gateway(request).validate("track_event", data)  # the same checks as the MCP tool, 422 naming the field
        events = [data]
    else:
        raise ApiError(422, "validation_error", 'the body must be an event object or {"events": [...]}')
    if len(events) > MAX_BATCH:
        raise ApiError(413, "batch_too_large", f"at most {MAX_BATCH:,} events per request, got {len(events):,}")
    caller = user_for(request, None)
    for event in events:
        if isinstance(event, Mapping) and isinstance(event.get("user_id"), str):
            user_for(request, event["user_id"])  # 403 unless it is the caller or the caller is admin
    analytics = gateway(request).app.analytics
    result: BatchResult = await run(lambda: analytics.track_events(events, default_user=caller, limit=MAX_BATCH))
    cache = gateway(request).cache
    if cache is not None and result.successful_items:
        cache.invalidate("events")
    return reply(result)


async def dashboard(request: Request) -> JSONResponse:
    args = await body_args(request, "get_dashboard")
    result, hit = await cached(request, DASHBOARD_TAGS, args, lambda: gateway(request).call("get_dashboard", args))
    return reply(result, from_cache=hit)


async def project_metrics(request: Request) -> JSONResponse:
    args = query_args(request, "get_project_metrics", project_number=request.path_params["project_id"])
    return reply(await gateway(request).call("get_project_metrics", args))


async def search_trends(request: Request) -> JSONResponse:
    args = query_args(request, "get_search_trends")
    return reply(await gateway(request).call("get_search_trends", args))


async def performance(request: Request) -> JSONResponse:
    args = query_args(request, "get_performance_summary")
    return reply(await gateway(request).call("get_performance_summary", args))


async def user_activity(request: Request) -> JSONResponse:
    """One user's activity: the caller's own, or anyone's with the admin claim."""
    user = user_for(request, request.path_params["user_id"])
    args = query_args(request, "get_user_activity", user_id=user)
    return reply(await gateway(request).call("get_user_activity", args))


async def report(request: Request) -> JSONResponse:
    args = await body_args(request, "run_report")
    return reply(await gateway(request).call("run_report", args))


def _ingest_route(path: str, summary: str) -> ApiRoute:
    return ApiRoute(
        path, ingest, methods=["POST"], summary=summary, tool="track_event", response=BatchResult, tags=("analytics",)
    )


def _get(path: str, endpoint: Any, tool: str, response: type, summary: str) -> ApiRoute:
    return ApiRoute(
        path,
        endpoint,
        methods=["GET"],
        summary=summary,
        tool=tool,
        source="query",
        response=response,
        tags=("analytics",),
    )


ROUTES = [
    _ingest_route("/api/v1/analytics/events", 'Record one event, or a batch as {"events": [...]}'),
    _ingest_route("/api/v1/ingest/user-action", "Legacy alias of /api/v1/analytics/events"),
    ApiRoute(
        "/api/v1/analytics/dashboard",
        dashboard,
        methods=["POST"],
        summary="Usage over a time range: totals, top projects, searches, activity, latency",
        tool="get_dashboard",
        response=Dashboard,
        tags=("analytics",),
    ),
    _get(
        "/api/v1/analytics/projects/{project_id}/metrics",
        project_metrics,
        "get_project_metrics",
        ProjectMetrics,
        "A project's views, users, document opens and daily series",
    ),
    _get(
        "/api/v1/analytics/search-trends",
        search_trends,
        "get_search_trends",
        SearchTrends,
        "Searches over time, popular and zero-result queries",
    ),
    _get(
        "/api/v1/analytics/performance",
        performance,
        "get_performance_summary",
        PerformanceSummary,
        "Latency percentiles and errors per operation",
    ),
    _get(
        "/api/v1/analytics/users/{user_id}/activity",
        user_activity,
        "get_user_activity",
        UserActivity,
        "A user's activity (another user's needs admin)",
    ),
    ApiRoute(
        "/api/v1/analytics/report",
        report,
        methods=["POST"],
        summary="A usage metric grouped by up to two dimensions over a period",
        tool="run_report",
        response=Report,
        tags=("analytics",),
    ),
]
