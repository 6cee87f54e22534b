"""What every REST route shares: the MCP tools' own argument models, calling a tool's service, JSON answers.

A route validates its body (or query) with the argument model the MCP SDK built from the tool's
signature — plus the legacy API's extra fields, as a subclass — and calls that tool's function,
which calls one service method through the :class:`~quicknav_mcp.app.App`. So a capability has one
model and one adapter whether it is reached over MCP or HTTP; nothing is copied here.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import anyio.to_thread
from pydantic import BaseModel, ValidationError, create_model
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..errors import QuickNavError
from ..validation import unknown_arguments
from .auth import user_for
from .errors import ApiError, quicknav_error, read_json, validation_error

if TYPE_CHECKING:
    from ..app import App
    from ..config import Config
    from ..server import QuickNavServer


class Gateway:
    """The server's tools and the App holder, kept on ``app.state.gateway`` for the routes."""

    def __init__(self, server: QuickNavServer, config: Config) -> None:
        self.server = server
        self.config = config
        self.cache: Any = None  # a response cache, when one is installed (``get``/``put``/``invalidate``)
        self._models: dict[tuple[str, tuple[str, ...]], type[BaseModel]] = {}

    @property
    def app(self) -> App:
        return self.server.holder.get()

    def _tool(self, name: str) -> Any:
        tool = self.server._tool_manager.get_tool(name)  # the SDK keeps each tool's model and function here
        if tool is None:
            raise LookupError(f"no MCP tool named {name!r}")
        return tool

    def model(self, tool: str, extra: Mapping[str, Any] | None = None) -> type[BaseModel]:
        """The tool's argument model, or one adding legacy ``extra`` fields (``{name: (type, default)}``)."""
        key = (tool, tuple(sorted(extra or ())))
        if key not in self._models:
            base = self._tool(tool).fn_metadata.arg_model
            self._models[key] = create_model(f"{tool}_request", __base__=base, **dict(extra or {})) if extra else base
        return self._models[key]

    def validate(self, tool: str, data: Any, extra: Mapping[str, Any] | None = None) -> BaseModel:
        """``data`` checked against the tool's model: unknown fields and bad values are 422 naming them."""
        if not isinstance(data, Mapping):
            raise ApiError(422, "validation_error", f"the body must be a JSON object, got {type(data).__name__}")
        model = self.model(tool, extra)
        problem = unknown_arguments(tool, data, tuple(model.model_fields))
        if problem:
            unknown = [k for k in data if k not in model.model_fields]
            details = [{"field": k, "message": "unknown field", "type": "extra_forbidden"} for k in unknown]
            raise ApiError(422, "validation_error", problem, details)
        if "detail" in model.model_fields:  # every field, as the REST API always answered, unless asked otherwise
            data = {"detail": "full", **data}
        try:
            return model.model_validate(dict(data))
        except ValidationError as exc:
            raise validation_error(exc) from None

    async def call(self, tool: str, args: BaseModel | Mapping[str, Any], **override: Any) -> Any:
        """Run the tool's function (it calls one service method) off the event loop."""
        spec = self._tool(tool)
        base = self.model(tool)
        values = dict(args) if isinstance(args, Mapping) else {k: getattr(args, k) for k in base.model_fields}
        kwargs = {k: v for k, v in values.items() if k in base.model_fields} | override
        given = args.keys() if isinstance(args, Mapping) else args.model_fields_set
        if "detail" in base.model_fields and "detail" not in given:
            kwargs["detail"] = "full"  # as in validate()
        if not spec.is_async:
            return await run(functools.partial(spec.fn, **kwargs))
        if spec.context_kwarg:
            kwargs[spec.context_kwarg] = None  # no MCP session to report progress to; routes never ask to wait
        try:
            return await spec.fn(**kwargs)
        except Exception as exc:
            raise _api_error(exc) from None


async def run(fn: Any, *args: Any) -> Any:
    """A blocking service call in a worker thread; QuickNav's errors (also inside a tool error) become API errors."""
    try:
        return await anyio.to_thread.run_sync(functools.partial(fn, *args))
    except Exception as exc:
        raise _api_error(exc) from None


def _api_error(exc: Exception) -> Exception:
    """QuickNav's errors (also wrapped by tool_errors in the SDK's ToolError) as API errors; others unchanged."""
    for candidate in (exc, exc.__cause__):
        if isinstance(candidate, QuickNavError):
            return quicknav_error(candidate)
    return exc


async def cached(request: Request, tags: tuple[str, ...], args: BaseModel, compute: Any) -> tuple[Any, bool]:
    """``(answer, from_cache)``: the response cache's copy for this route, caller and arguments, else ``compute()``."""
    cache = gateway(request).cache
    if cache is None:
        return await compute(), False
    who = getattr(request.state, "principal", None)
    key = f"{request.url.path}|{getattr(who, 'user', '')}|{args.model_dump_json()}"
    hit = cache.get(key)
    if hit is not None:
        return hit, True
    value = await compute()
    cache.put(key, value, tags)
    return value, False


def gateway(request: Request) -> Gateway:
    return request.app.state.gateway


async def body_args(request: Request, tool: str, extra: Mapping[str, Any] | None = None, **rename: str) -> BaseModel:
    """The JSON body validated for ``tool``; ``rename``: legacy names to the tool's (project_id → project_number)."""
    data = await read_json(request)
    if isinstance(data, dict):
        for old, new in rename.items():
            if old in data and new not in data:
                data[new] = data.pop(old)
    return gateway(request).validate(tool, data, extra)


def query_args(request: Request, tool: str, rename: Mapping[str, str] | None = None, **fixed: Any) -> BaseModel:
    """Query parameters (and path values in ``fixed``) validated for ``tool``.

    Query values are text: one is read as a number or boolean when its field takes one and not text
    (some tool fields are strict, which would refuse ``"5"``).
    """
    gw = gateway(request)
    fields = gw.model(tool).model_fields
    data: dict[str, Any] = {}
    for key, value in request.query_params.items():
        if key == "token":  # a browser's bearer token, not an argument
            continue
        key = (rename or {}).get(key, key)
        data[key] = _typed(value, fields[key].annotation) if key in fields else value
    return gw.validate(tool, data | fixed)


def _typed(value: str, annotation: Any) -> Any:
    text = repr(annotation)
    if "str" in text:
        return value
    if "bool" in text and value.lower() in ("true", "false", "1", "0"):
        return value.lower() in ("true", "1")
    if "int" in text and value.lstrip("-").isdigit():
        return int(value)
    if "float" in text:
        try:
            return float(value)
        except ValueError:
            return value
    return value


def acting_user(request: Request, args: BaseModel, field: str = "user_id") -> str:
    """The user a request acts for (the caller, or another with the admin claim)."""
    return user_for(request, getattr(args, field, None))


def reply(result: BaseModel | Mapping[str, Any], status: int = 200, **extra: Any) -> JSONResponse:
    """A result model (or dict) as JSON, with any legacy fields added."""
    body = result.model_dump(mode="json") if isinstance(result, BaseModel) else dict(result)
    return JSONResponse(body | extra, status_code=status)


class ApiRoute(Route):
    """A REST route plus what /openapi.json says about it: the tool whose model it takes, where, and what it answers."""

    def __init__(
        self,
        path: str,
        endpoint: Any,
        *,
        methods: list[str],
        summary: str,
        tool: str | None = None,
        source: str = "body",
        extra: Mapping[str, Any] | None = None,
        response: type[BaseModel] | None = None,
        tags: tuple[str, ...] = (),
        renamed: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(path, endpoint, methods=methods)
        self.renamed = dict(renamed or {})  # the tool's field name -> the name this route takes it under
        self.summary = summary
        self.tool = tool
        self.source = source  # "body" or "query": where the tool's arguments come from
        self.extra = extra
        self.response = response
        self.tags = tags


def tool_route(
    path: str,
    tool: str,
    response: type[BaseModel],
    summary: str,
    *,
    method: str = "GET",
    tags: tuple[str, ...] = (),
    endpoint: Any = None,
    extra: Mapping[str, Any] | None = None,
) -> ApiRoute:
    """A route answering with one tool's result.

    Without ``endpoint`` it passes straight through: the query and path values (GET) or the JSON
    body (POST) are the tool's arguments and its result is the answer.
    """
    source = "query" if method == "GET" else "body"

    async def passthrough(request: Request) -> JSONResponse:
        if source == "query":
            args = query_args(request, tool, **request.path_params)
        else:
            args = await body_args(request, tool)
        return reply(await gateway(request).call(tool, args))

    return ApiRoute(
        path,
        endpoint or passthrough,
        methods=[method],
        summary=summary,
        tool=tool,
        source=source,
        extra=extra,
        response=response,
        tags=tags,
    )
