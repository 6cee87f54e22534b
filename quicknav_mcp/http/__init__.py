"""The HTTP gateway: one Starlette app serving MCP at ``/mcp`` and the REST routes over the same services."""
