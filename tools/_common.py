"""Shared adapter helpers: argument types and checks common to every tool, and turning service
errors into MCP errors."""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, CallToolResult, TextContent, ToolAnnotations
from pydantic import BeforeValidator, Field

from ..errors import InvalidInput, NotFound, QuickNavError
from ..search.background_build import FOREGROUND
from ..validation import unknown_arguments

if TYPE_CHECKING:
    from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
    from mcp.server.mcpserver import MCPServer

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, destructive_hint=False, open_world_hint=False)


def _refuse_bool(value: object) -> object:
    # Pydantic's lax int would turn JSON true into 1, which would then be searched for.
    if isinstance(value, bool):
        raise ValueError("a project number is a 5-digit code like 17741 or search words, not true/false")
    return value


ProjectNumber = Annotated[str | int, BeforeValidator(_refuse_bool)]
"""A project number argument: text or a JSON number (assistants send both), never a boolean."""

DETAIL_TEXT = (
    'brief (default): what is needed to act on each result, fields at an empty value left out; "full": every '
    "parsed field"
)


def detail_arg(full_adds: str) -> Any:
    """The ``detail`` argument of a tool with a brief answer; ``full_adds`` names what "full" adds."""
    return Annotated[Literal["brief", "full"], Field(description=f"{DETAIL_TEXT}{full_adds}")]


class ForegroundCalls:
    """Server middleware: each request counts as a call someone waits for while it runs, so the
    in-memory copies built in the background give way to it (``search/background_build.py``)."""

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        with FOREGROUND.call():
            return await call_next(ctx)


class CompactText:
    """Server middleware: a tool's JSON text content is sent without indentation.

    The SDK indents the text copy of a structured answer by two spaces a level, which is a third
    of a typical answer's characters, and an assistant pays for each. Same data, no whitespace.
    """

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method == "tools/call" and isinstance(result, dict) and isinstance(result.get("content"), list):
            result["content"] = [_unindented(block) for block in result["content"]]
        return result


def _unindented(block: Any) -> Any:
    if not isinstance(block, dict) or block.get("type") != "text":
        return block
    text = block.get("text")
    if not isinstance(text, str) or text[:1] not in "{[" or "\n" not in text[:4]:  # not indented JSON
        return block
    try:
        value = json.loads(text)
    except ValueError:
        return block
    return {**block, "text": json.dumps(value, ensure_ascii=False, separators=(",", ":"))}


class StrictArguments:
    """Server middleware: a ``tools/call`` naming an argument the tool does not take is refused
    with the unknown names and the closest valid ones.

    The SDK ignores extra arguments, so ``{"projectNumber": "21614"}`` would silently search the
    whole firm. Checking here, against each tool's published input schema, covers every tool,
    present and future, with no code in the tools themselves.
    """

    def __init__(self, server: MCPServer) -> None:
        self._server = server
        self._params: dict[str, tuple[str, ...] | None] = {}

    async def _valid(self, tool: str) -> tuple[str, ...] | None:
        """The tool's argument names; ``None`` when it accepts any (or is unknown: the SDK says so)."""
        if tool not in self._params:  # first call, or a tool registered since
            self._params = {t.name: _argument_names(t.input_schema) for t in await self._server.list_tools()}
        return self._params.get(tool)

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        params = ctx.params
        if ctx.method == "tools/call" and isinstance(params, Mapping):
            tool, args = params.get("name"), params.get("arguments")
            if isinstance(tool, str) and isinstance(args, Mapping) and args:
                valid = await self._valid(tool)
                problem = None if valid is None else unknown_arguments(tool, args, valid)
                if problem:
                    log.info("tool %r refused unknown arguments %r", tool, [k for k in args if k not in valid][:10])
                    text = f"Error executing tool {tool}: {problem}"
                    result = CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)
                    return result.model_dump(by_alias=True, mode="json", exclude_none=True)
        return await call_next(ctx)


def _argument_names(schema: Mapping[str, Any] | None) -> tuple[str, ...] | None:
    if not isinstance(schema, Mapping) or schema.get("additionalProperties"):
        return None
    return tuple(schema.get("properties") or ())


def tool_errors(fn: F) -> F:
    """Report QuickNav errors (bad input, not found, store problems) as clear tool errors."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except QuickNavError as exc:
            raise ToolError(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


def legacy_errors(result_cls: type) -> Callable[[F], F]:
    """For legacy-shaped tools: report QuickNav errors in-band as ``status="error"``."""

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return fn(*args, **kwargs)
            except QuickNavError as exc:
                return result_cls(status="error", message=str(exc))

        return wrapper  # type: ignore[return-value]

    return decorate


def resource_errors(fn: F) -> F:
    """The same for resources: a bad URI argument or a missing thing is -32602 (invalid params)
    with the message; other known problems (a corrupt store) are -32603 with the message."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except InvalidInput as exc:
            raise MCPError(code=INVALID_PARAMS, message=str(exc)) from exc
        except NotFound as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        except QuickNavError as exc:
            raise ResourceError(str(exc)) from exc

    return wrapper  # type: ignore[return-value]
