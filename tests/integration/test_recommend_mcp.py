"""The recommendation and prediction tools through the real MCP client (in memory), and a
``tools/list`` that loads no scikit-learn or numpy (in a fresh process)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from quicknav_mcp.server import build_server

from ._reco import make_app

pytestmark = pytest.mark.anyio
TOOLS = {"recommend_projects", "recommend_documents", "similar_projects", "predict_next"}


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    app = make_app(tmp_path, monkeypatch)
    yield build_server(lambda: app, close_on_exit=False)
    app.close()


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def error(client: Client, tool: str, **args: Any) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error
    return result.content[0].text  # type: ignore[union-attr]


async def test_every_tool_over_mcp(server) -> None:
    async with Client(server) as client:
        listed = {t.name: t for t in (await client.list_tools()).tools}
        assert set(listed) >= TOOLS
        for name in TOOLS:
            assert listed[name].output_schema is not None and len(listed[name].description or "") > 60
        rec = await call(client, "recommend_projects", user_id="ann", limit=2, filters={"exclude_viewed": True})
        assert rec["items"][0]["project_number"] == "17004" and rec["items"][0]["reasoning"]
        assert rec["algorithm_used"].startswith("hybrid") and rec["impression_id"]
        cold = await call(client, "recommend_projects", user_id="nobody-yet", limit=3)
        assert cold["algorithm_used"].startswith("cold_start")
        docs = await call(client, "recommend_documents", user_id="ann", project_number="17001", limit=2)
        assert all(d["is_current"] for d in docs["items"])
        sim = await call(client, "similar_projects", project_number="17001", limit=2)
        assert sim["items"][0]["project_number"] == "17002"
        nxt = await call(client, "predict_next", user_id="ann", context={"current_project": "17001"}, limit=3)
        assert nxt["prediction_type"] == "project" and nxt["predictions"]
        assert all(0 <= p["confidence_score"] <= 1 for p in nxt["predictions"])
        types = await call(client, "predict_next", user_id="ann", prediction_type="document_type")
        assert types["prediction_type"] == "document_type"


async def test_bad_input_over_mcp(server) -> None:
    async with Client(server) as client:
        assert "limit" in await error(client, "recommend_projects", limit=99)
        assert "context.time" in await error(client, "recommend_projects", context={"time": "tomorrow-ish"})
        assert "99999" in await error(client, "similar_projects", project_number="99999")
        assert "context" in await error(client, "predict_next", context={"colour": "blue"})


def test_tools_list_loads_no_heavy_libraries() -> None:
    code = (
        "import sys, anyio\n"
        "from mcp import Client\n"
        "from quicknav_mcp.server import build_server\n"
        "async def main():\n"
        "    async with Client(build_server(lambda: None)) as c:\n"
        "        names = {t.name for t in (await c.list_tools()).tools}\n"
        "    assert 'recommend_projects' in names and 'predict_next' in names, names\n"
        "    print(sorted(m for m in ('sklearn', 'numpy', 'scipy') if m in sys.modules))\n"
        "anyio.run(main)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
