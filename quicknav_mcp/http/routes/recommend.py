"""Recommendation routes: the legacy ``recommendation_type`` route, the per-kind routes, and click tracking."""

from __future__ import annotations

from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...analytics.models import TrackResult
from ...recommend.models import DocumentRecommendations, Recommendations, SimilarProjects
from ..adapt import ApiRoute, acting_user, body_args, cached, gateway, reply, run, tool_route
from ..auth import user_for
from ..errors import ApiError, read_json

RecommendationType = Literal["projects", "documents", "similar_projects"]
LEGACY_EXTRA = {
    "recommendation_type": (RecommendationType, "projects"),
    "project_number": (str | None, None),  # for documents (only this project's) and similar_projects
}
RECO_TAGS = ("events", "index")
LEGACY_MAX = 20  # the legacy API's limit


def legacy_items(body: dict[str, Any]) -> dict[str, Any]:
    """Each item also under the legacy names: ``item_id``, ``item_type``, ``title``."""
    for item in body.get("items", []):
        is_doc = "doc_type" in item
        item["item_id"] = item["path"] if is_doc else item["project_number"]
        item["item_type"] = "document" if is_doc else "project"
        item["title"] = item["name"]
    return body


async def legacy(request: Request) -> JSONResponse:
    """``recommendation_type`` projects | documents | similar_projects, answered in the legacy item shape."""
    gw = gateway(request)
    args = await body_args(request, "recommend_projects", LEGACY_EXTRA)
    if not 1 <= args.limit <= LEGACY_MAX:
        raise ApiError(422, "validation_error", f"invalid limit: must be 1 to {LEGACY_MAX}", [{"field": "limit"}])
    user = acting_user(request, args)
    kind = args.recommendation_type
    current = (args.context or {}).get("current_project")
    if kind == "projects":
        call = lambda: gw.call("recommend_projects", args, user_id=user)  # noqa: E731
    elif kind == "documents":
        call = lambda: gw.call(  # noqa: E731
            "recommend_documents",
            {"user_id": user, "project_number": args.project_number, "limit": args.limit, "context": args.context},
        )
    else:
        project = args.project_number or current
        if project is None:
            raise ApiError(
                422,
                "validation_error",
                "similar_projects needs project_number (or context.current_project)",
                [{"field": "project_number"}],
            )
        call = lambda: gw.call("similar_projects", {"project_number": str(project), "limit": args.limit})  # noqa: E731
    result, hit = await cached(request, RECO_TAGS, args, call)
    body = legacy_items(result.model_dump(mode="json"))
    body["cached"] = body.get("cached", False) or hit
    return reply(body, from_cache=hit)


async def documents(request: Request) -> JSONResponse:
    args = await body_args(request, "recommend_documents")
    result = await gateway(request).call("recommend_documents", args, user_id=acting_user(request, args))
    return reply(legacy_items(result.model_dump(mode="json")))


async def similar(request: Request) -> JSONResponse:
    args = await body_args(request, "similar_projects")
    return reply(legacy_items((await gateway(request).call("similar_projects", args)).model_dump(mode="json")))


async def click(request: Request) -> JSONResponse:
    """Record a recommendation_click event (send the answer's impression id as metadata.impression_id)."""
    gw = gateway(request)
    data = await read_json(request)
    if isinstance(data, dict):
        data.setdefault("event_type", "recommendation_click")
        if data["event_type"] != "recommendation_click":
            raise ApiError(
                422, "validation_error", "event_type must be recommendation_click here", [{"field": "event_type"}]
            )
    args = gw.validate("track_event", data)
    user = user_for(request, args.user_id)
    event = {k: v for k, v in args.model_dump().items() if v is not None}
    analytics = gw.app.analytics
    result: TrackResult = await run(lambda: analytics.track_event(event, default_user=user))
    if gw.cache is not None:
        gw.cache.invalidate("events")
    return reply(result)


_TAGS = ("recommendations",)


def _post(path: str, endpoint: Any, tool: str, response: type, summary: str, extra: Any = None) -> ApiRoute:
    return tool_route(path, tool, response, summary, method="POST", tags=_TAGS, endpoint=endpoint, extra=extra)


ROUTES = [
    _post(
        "/api/v1/recommendations/projects",
        legacy,
        "recommend_projects",
        Recommendations,
        "Recommendations by recommendation_type (projects, documents, similar_projects), legacy item fields",
        LEGACY_EXTRA,
    ),
    _post(
        "/api/v1/recommendations/documents",
        documents,
        "recommend_documents",
        DocumentRecommendations,
        "Documents this user is likely to open next",
    ),
    _post(
        "/api/v1/recommendations/similar",
        similar,
        "similar_projects",
        SimilarProjects,
        "Projects like this one, with the shared evidence",
    ),
    _post("/api/v1/recommendations/click", click, "track_event", TrackResult, "Record a recommendation click"),
]
