"""The MCP endpoint still works behind the gateway app: a real SDK client over /mcp, tracked like before."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from mcp import Client

from .core_harness import copy_db, serve


@pytest.mark.anyio
async def test_mcp_client_over_the_gateway(sample_db: Path, sample_root: Path, tmp_path: Path) -> None:
    with serve(copy_db(sample_db, tmp_path), sample_root) as served:
        async with Client(served.base + "/mcp") as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert {"navigate_project", "search_projects", "track_event"} <= names
            result = await client.call_tool("navigate_project", {"project_number": "20865"})
            assert not result.is_error and result.structured_content["status"] == "success"
        with served.client() as http:
            # The same App answers both: the MCP call was tracked (queued, written by a background thread)
            # and the REST route reads it.
            deadline = time.monotonic() + 15
            while True:
                activity = http.get("/api/v1/analytics/users/dana/activity").json()
                if activity["events"] >= 1 or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            assert activity["events"] >= 1
            assert any(e.get("operation") == "navigate_project" for e in activity["recent_events"]), activity
