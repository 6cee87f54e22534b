"""Model-service routes: classify a document, the registry, training, A/B tests."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...ml.models import ABTestResult, ClassifyResult, ModelList, ModelMetrics, TrainModelsResult
from ..adapt import body_args, gateway, reply, tool_route
from ..auth import principal
from ..errors import ApiError, read_json


def _admin(request: Request) -> None:
    """Changing what every user is served (training, A/B tests) needs the admin claim."""
    if not principal(request).admin:
        raise ApiError(403, "forbidden", "training models and running A/B tests needs an admin token")


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


async def ab_stop(request: Request) -> JSONResponse:
    _admin(request)
    data = await read_json(request)
    args = gateway(request).validate(
        "stop_ab_test", {**(data if isinstance(data, dict) else {}), "name": request.path_params["name"]}
    )
    return reply(await gateway(request).call("stop_ab_test", args))


_TAGS = ("ml",)

ROUTES = [
    tool_route(
        "/api/v1/ml/classify-document",
        "classify_document",
        ClassifyResult,
        "The document family of a file name, with confidence and runners-up",
        method="POST",
        tags=_TAGS,
    ),
    tool_route("/api/v1/ml/models", "list_models", ModelList, "Every model version in the registry", tags=_TAGS),
    tool_route(
        "/api/v1/ml/models/{name}/metrics",
        "model_metrics",
        ModelMetrics,
        "A model version's offline and online metrics",
        tags=_TAGS,
    ),
    tool_route(
        "/api/v1/ml/train",
        "train_models",
        TrainModelsResult,
        "Retrain models in the background (admin)",
        method="POST",
        tags=_TAGS,
        endpoint=train,
    ),
    tool_route(
        "/api/v1/ml/ab-tests",
        "create_ab_test",
        ABTestResult,
        "Create an A/B test (admin)",
        method="POST",
        tags=_TAGS,
        endpoint=ab_create,
    ),
    tool_route("/api/v1/ml/ab-tests/{name}", "ab_test_results", ABTestResult, "An A/B test's results", tags=_TAGS),
    tool_route(
        "/api/v1/ml/ab-tests/{name}/stop",
        "stop_ab_test",
        ABTestResult,
        "Stop an A/B test (admin)",
        method="POST",
        tags=_TAGS,
        endpoint=ab_stop,
    ),
]
