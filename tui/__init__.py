"""The terminal dashboard (``quicknav tui``), a Textual app over the same services as MCP and HTTP."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from quicknav_mcp.config import Config


def run(config: Config, *, light: bool = False) -> int:
    """Open the database read-only (a server may be writing it) and run the dashboard until ``q``."""
    from textual.logging import TextualHandler

    from quicknav_mcp.app import App

    from .app import DARK, LIGHT, QuickNavTUI

    with App.open(config, readonly=True) as qn:
        # Log lines written to the terminal would land on top of the screen: Textual's log takes them meanwhile.
        root = logging.getLogger()
        saved = root.handlers[:]
        root.handlers = [TextualHandler()]
        try:
            result = QuickNavTUI(qn, theme=LIGHT if light else DARK).run()
        finally:
            root.handlers = saved
    return int(result or 0)
