"""Prediction and usage-insight routes: next action (legacy shape), forecasts, anomalies, segments."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...predict.insights import AnomaliesOut, ForecastOut, SegmentsOut
from ...recommend.models import NextPredictions
from ..adapt import acting_user, body_args, gateway, reply, tool_route


async def next_action(request: Request) -> JSONResponse:
    """The predict_next tool's answer plus the legacy ``confidence_score`` (the best prediction's)."""
    args = await body_args(request, "predict_next")
    result = await gateway(request).call("predict_next", args, user_id=acting_user(request, args))
    best = max((p.confidence_score for p in result.predictions), default=0.0)
    return reply(result, confidence_score=best)


_TAGS = ("predictions",)

ROUTES = [
    tool_route(
        "/api/v1/prediction/next-action",
        "predict_next",
        NextPredictions,
        "Where this user goes next: predictions, confidence_score, model_version",
        method="POST",
        tags=_TAGS,
        endpoint=next_action,
    ),
    tool_route(
        "/api/v1/prediction/forecast",
        "forecast_usage",
        ForecastOut,
        "Daily forecast of a usage metric with intervals",
        method="POST",
        tags=_TAGS,
    ),
    tool_route(
        "/api/v1/prediction/anomalies",
        "detect_anomalies",
        AnomaliesOut,
        "Unusual user-days and project-days in a range",
        method="POST",
        tags=_TAGS,
    ),
    tool_route(
        "/api/v1/prediction/segments", "user_segments", SegmentsOut, "Groups of users who work alike", tags=_TAGS
    ),
]
