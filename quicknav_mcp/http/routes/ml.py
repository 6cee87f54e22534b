"""Model-service routes: classify a document, the registry, training, A/B tests."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...ml.models import ABTestResult, ClassifyResult, ModelList, ModelMetrics, TrainModelsResult
from ..adapt import ApiRoute, body_args, gateway, query_args, reply
from ..auth import principal
from ..errors import ApiError, read_json


def _admin(request: Request) -> None:
    """Changing what every user is served (training, A/B tests) needs the admin claim."""
    if not principal(request).admin:
        raise ApiError(403, "forbidden", "training models and running A/B tests needs an admin token")


async def classify(request: Request) -> JSONResponse:
    args = await body_args(request, "classify_document")
    return reply(await gateway(request).call("classify_document", args))


async def models(request: Request) -> JSONResponse:
    args = query_args(request, "list_models")
    return reply(await gateway(request).call("list_models", args))


async def model_metrics(request: Request) -> JSONResponse:
    args = query_args(request, "model_metrics", name=request.path_params["name"])
    return reply(await gateway(request).call("model_metrics", args))


async def train(request: Request) -> JSONResponse:
    """Start training in the background (``wait`` is not offered over HTTP: poll GET /api/v1/ml/models)."""
    _admin(request)
    args = await body_args(request, "train_models")
    if args.wait:
        raise ApiError(
            422, "validation_error", "wait is not offered over HTTP; poll GET /api/v1/ml/models", [{"field": "wait"}]
        )
    result = await gateway(request).call("train_models", args)
    return reply(result, status=202 if result.status == "started" else 200)


async def ab_create(request: Request) -> JSONResponse:
    _admin(request)
    args = await body_args(request, "create_ab_test")
    return reply(await gateway(request).call("create_ab_test", args), status=201)


async def ab_results(request: Request) -> JSONResponse:
    args = query_args(request, "ab_test_results", name=request.path_params["name"])
    return reply(await gateway(request).call("ab_test_results", args))


async def ab_stop(request: Request) -> JSONResponse:
    _admin(request)
    data = await read_json(request)
    args = gateway(request).validate(
        "stop_ab_test", {**(data if isinstance(data, dict) else {}), "name": request.path_params["name"]}
    )
    return reply(await gateway(request).call("stop_ab_test", args))


def _route(path: str, endpoint: Any, method: str, tool: str, response: type, summary: str) -> ApiRoute:
    return ApiRoute(
        path,
        endpoint,
        methods=[method],
        summary=summary,
        tool=tool,
        response=response,
        source="query" if method == "GET" else "body",
        tags=("ml",),
    )


ROUTES = [
    _route(
        "/api/v1/ml/classify-document",
        classify,
        "POST",
        "classify_document",
        ClassifyResult,
        "The document family of a file name, with confidence and runners-up",
    ),
    _route("/api/v1/ml/models", models, "GET", "list_models", ModelList, "Every model version in the registry"),
    _route(
        "/api/v1/ml/models/{name}/metrics",
        model_metrics,
        "GET",
        "model_metrics",
        ModelMetrics,
        "A model version's offline and online metrics",
    ),
    _route(
        "/api/v1/ml/train", train, "POST", "train_models", TrainModelsResult, "Retrain models in the background (admin)"
    ),
    _route("/api/v1/ml/ab-tests", ab_create, "POST", "create_ab_test", ABTestResult, "Create an A/B test (admin)"),
    _route("/api/v1/ml/ab-tests/{name}", ab_results, "GET", "ab_test_results", ABTestResult, "An A/B test's results"),
    _route(
        "/api/v1/ml/ab-tests/{name}/stop", ab_stop, "POST", "stop_ab_test", ABTestResult, "Stop an A/B test (admin)"
    ),
]
