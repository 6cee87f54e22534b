"""The MCP server: an ``MCPServer`` whose tools and resources are thin adapters over services.

Nothing heavy is imported or opened at start-up: the :class:`App` (database, services) is
opened on the first call that needs it, so ``tools/list`` answers immediately.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from mcp.server.mcpserver import MCPServer

from . import __version__
from .app import App

log = logging.getLogger(__name__)

INSTRUCTIONS = """\
QuickNav finds an engineering firm's numbered project folders (e.g. "17741 - QPS MTR RM Upgrades")
and the CURRENT document inside them (highest revision outside archive folders, as-built preferred).
Start with navigate_project (a 5-digit code or any search words), then find_documents for a
document family (lld = system design drawings, change_order, sales_po, floor_plans, swms, ...).
"""


class AppHolder:
    """Opens the :class:`App` once, lazily, from any thread."""

    def __init__(self, factory: Callable[[], App]) -> None:
        self._factory = factory
        self._app: App | None = None
        self._lock = threading.Lock()

    def get(self) -> App:
        if self._app is None:
            with self._lock:
                if self._app is None:
                    self._app = self._factory()
        return self._app

    @property
    def opened(self) -> App | None:
        return self._app

    def close(self) -> None:
        """Close the App if it was opened; later calls do nothing (shutdown paths may overlap)."""
        with self._lock:
            app, self._app = self._app, None
            if app is not None:
                app.close()


class QuickNavServer(MCPServer[AppHolder]):
    """The SDK's server plus the :class:`AppHolder` it serves from.

    Over stdio it uses :func:`~quicknav_mcp.stdio.stdio_streams`, which answers lines it cannot
    parse instead of dropping them. :mod:`quicknav_mcp.lifecycle` runs it and closes the holder.
    """

    def __init__(self, holder: AppHolder, **settings: Any) -> None:
        super().__init__(**settings)
        self.holder = holder

    async def run_stdio_async(self) -> None:
        from .stdio import stdio_streams

        server = self._lowlevel_server
        async with stdio_streams() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())


def build_server(factory: Callable[[], App], *, close_on_exit: bool = True) -> QuickNavServer:
    """Create the MCP server with every QuickNav tool and resource registered."""
    holder = AppHolder(factory)

    @asynccontextmanager
    async def lifespan(_server: MCPServer) -> AsyncIterator[AppHolder]:
        try:
            yield holder
        finally:
            if close_on_exit:
                holder.close()

    server = QuickNavServer(
        holder,
        name="quicknav",
        title="QuickNav",
        instructions=INSTRUCTIONS,
        version=__version__,
        lifespan=lifespan,
    )
    from .tools import register_all

    register_all(server, holder)
    return server
