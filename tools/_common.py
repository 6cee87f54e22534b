"""Shared adapter helpers: turning service errors into MCP tool errors."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server.mcpserver.exceptions import ResourceError, ResourceNotFoundError, ToolError
from mcp.types import ToolAnnotations

from ..errors import NotFound, QuickNavError

F = TypeVar("F", bound=Callable[..., Any])

READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, destructive_hint=False, open_world_hint=False)


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
    """The same for resources: not found is -32602, other known problems -32603 with the message."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except NotFound as exc:
            raise ResourceNotFoundError(str(exc)) from exc
        except QuickNavError as exc:
            raise ResourceError(str(exc)) from exc

    return wrapper  # type: ignore[return-value]
