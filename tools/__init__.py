"""MCP adapters: one module per capability, each with ``register(server, holder)``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from ..server import AppHolder


def register_all(server: MCPServer, holder: AppHolder) -> None:
    """Register every tool, resource and prompt on ``server``."""
    from . import analytics, indexing, insights, ml, navigation, prompts, recommend, resources, search
    from ._common import CompactText, ForegroundCalls, StrictArguments

    navigation.register(server, holder)
    indexing.register(server, holder)
    resources.register(server, holder)
    search.register(server, holder)
    ml.register(server, holder)
    insights.register(server, holder)
    prompts.register(server, holder)
    recommend.register(server, holder)
    analytics.register(server, holder)  # also installs the middleware that tracks every tool call
    server.middleware.insert(0, ForegroundCalls())  # outermost: the whole request is foreground work
    server.middleware.append(CompactText())
    server.middleware.append(StrictArguments(server))  # inside the tracker, so refused calls are counted
