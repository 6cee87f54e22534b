"""``GET /openapi.json`` (OpenAPI 3.1 built from the routes and the tools' Pydantic models) and ``GET /docs``.

The docs page is a local file (``static/docs.html``, plain JavaScript reading /openapi.json): no
CDN, so it works on a machine without internet access and loads nothing from elsewhere.
"""

from __future__ import annotations

import re
from importlib.resources import files
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import BaseRoute, Route

from .. import __version__
from .adapt import ApiRoute

REF = "#/components/schemas/{model}"
ERRORS = {
    "400": "Malformed or too deeply nested JSON",
    "401": "Missing, expired or forged bearer token",
    "403": "Another user's data without the admin claim, or a refused Origin",
    "404": "Not found",
    "413": "Body over 1 MB",
    "421": "Host not served here",
    "422": "Validation failed; details name each field",
    "429": "Rate limited; see Retry-After",
    "500": "Internal error (the request id is in the log)",
    "503": "The store is unusable",
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error", "error_code", "details", "request_id"],
    "properties": {
        "error": {"type": "string"},
        "error_code": {"type": "string"},
        "details": {},
        "request_id": {"type": ["string", "null"]},
    },
}


def _schema(model: type[BaseModel], components: dict[str, Any]) -> dict[str, Any]:
    """The model's schema with its nested models moved to components; a ``$ref`` to it."""
    schema = model.model_json_schema(ref_template=REF, mode="serialization" if _is_response(model) else "validation")
    components.update(schema.pop("$defs", {}))
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", model.__name__)
    components[name] = schema
    return {"$ref": REF.format(model=name)}


def _is_response(model: type[BaseModel]) -> bool:
    return not model.__name__.endswith("_request") and "Arguments" not in model.__name__


def build_openapi(request: Request) -> dict[str, Any]:
    gw = request.app.state.gateway
    components: dict[str, Any] = {"Error": ERROR_SCHEMA}
    paths: dict[str, Any] = {}
    for route in request.app.routes:
        if not isinstance(route, ApiRoute):
            continue
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": _operation_id(route),
            "tags": list(route.tags),
            "parameters": [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                for p in route.param_convertors
            ],
            "security": [{"bearer": []}],
        }
        if route.tool:
            model = gw.model(route.tool, route.extra)
            model_schema = model.model_json_schema(ref_template=REF)
            components.update(model_schema.pop("$defs", {}))
            if route.source == "query":
                for name, prop in model_schema.get("properties", {}).items():
                    if name in route.param_convertors or name in _fixed(route):
                        continue
                    required = name in model_schema.get("required", [])
                    shown = route.renamed.get(name, name)
                    operation["parameters"].append({"name": shown, "in": "query", "required": required, "schema": prop})
            else:
                model_schema["title"] = f"{_operation_id(route)}_body"
                components[model_schema["title"]] = model_schema
                operation["requestBody"] = {
                    "required": False,
                    "content": {"application/json": {"schema": {"$ref": REF.format(model=model_schema["title"])}}},
                }
        responses: dict[str, Any] = {}
        if route.response is not None:
            ok = "201" if route.name.startswith("ab_create") else "200"
            responses[ok] = {
                "description": "OK",
                "content": {"application/json": {"schema": _schema(route.response, components)}},
            }
        for code, text in ERRORS.items():
            responses[code] = {
                "description": text,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
            }
        operation["responses"] = responses
        for method in sorted(route.methods - {"HEAD"}):
            paths.setdefault(route.path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "QuickNav gateway",
            "version": __version__,
            "description": "Projects, current documents, analytics, recommendations and predictions over HTTP. "
            "MCP streamable HTTP is served at /mcp.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def _operation_id(route: ApiRoute) -> str:
    """Unique per route (two routes may share an endpoint, like the legacy ingest alias)."""
    method = sorted(route.methods - {"HEAD"})[0].lower()
    return method + re.sub(r"[^A-Za-z0-9]+", "_", route.path.removeprefix("/api/v1")).rstrip("_")


def _fixed(route: ApiRoute) -> set[str]:
    # Query routes whose tool argument comes from the path under another name.
    return (
        {"project_number"}
        if "{number}" in route.path or "{project_id}" in route.path
        else ({"user_id"} if "{user_id}" in route.path else ({"name"} if "{name}" in route.path else set()))
    )


async def openapi_json(request: Request) -> JSONResponse:
    state = request.app.state
    if getattr(state, "openapi", None) is None:
        state.openapi = build_openapi(request)  # the routes do not change while serving
    return JSONResponse(state.openapi)


async def docs(request: Request) -> HTMLResponse:
    return HTMLResponse(files(__package__).joinpath("static", "docs.html").read_text(encoding="utf-8"))


def openapi_routes() -> list[BaseRoute]:
    return [
        Route("/openapi.json", openapi_json, methods=["GET"], include_in_schema=False),
        Route("/docs", docs, methods=["GET"], include_in_schema=False),
    ]
