"""QuickNav MCP: find the right project and the right current document in seconds."""

__version__ = "0.1.0"
