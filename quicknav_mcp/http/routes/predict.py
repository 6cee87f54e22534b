"""Prediction and usage-insight routes: next action (legacy shape), forecasts, anomalies, segments."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...predict.insights import AnomaliesOut, ForecastOut, SegmentsOut
from ...recommend.models import NextPredictions
from ..adapt import ApiRoute, acting_user, body_args, gateway, query_args, reply


async def next_action(request: Request) -> JSONResponse:
    """The predict_next tool's answer plus the legacy ``confidence_score`` (the best prediction's)."""
    args = await body_args(request, "predict_next")
    result = await gateway(request).call("predict_next", args, user_id=acting_user(request, args))
    best = max((p.confidence_score for p in result.predictions), default=0.0)
    return reply(result, confidence_score=best)


async def forecast(request: Request) -> JSONResponse:
    args = await body_args(request, "forecast_usage")
    return reply(await gateway(request).call("forecast_usage", args))


async def anomalies(request: Request) -> JSONResponse:
    args = await body_args(request, "detect_anomalies")
    return reply(await gateway(request).call("detect_anomalies", args))


async def segments(request: Request) -> JSONResponse:
    args = query_args(request, "user_segments")
    return reply(await gateway(request).call("user_segments", args))


def _route(path: str, endpoint: Any, method: str, tool: str, response: type, summary: str) -> ApiRoute:
    return ApiRoute(
        path,
        endpoint,
        methods=[method],
        summary=summary,
        tool=tool,
        response=response,
        source="query" if method == "GET" else "body",
        tags=("predictions",),
    )


ROUTES = [
    _route(
        "/api/v1/prediction/next-action",
        next_action,
        "POST",
        "predict_next",
        NextPredictions,
        "Where this user goes next: predictions, confidence_score, model_version",
    ),
    _route(
        "/api/v1/prediction/forecast",
        forecast,
        "POST",
        "forecast_usage",
        ForecastOut,
        "Daily forecast of a usage metric with intervals",
    ),
    _route(
        "/api/v1/prediction/anomalies",
        anomalies,
        "POST",
        "detect_anomalies",
        AnomaliesOut,
        "Unusual user-days and project-days in a range",
    ),
    _route(
        "/api/v1/prediction/segments", segments, "GET", "user_segments", SegmentsOut, "Groups of users who work alike"
    ),
]
