"""The model-service tools through the real MCP client (in memory), and lazy heavy imports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.server import build_server

pytestmark = pytest.mark.anyio
ML_TOOLS = {
    "list_models",
    "model_metrics",
    "promote_model",
    "rollback_model",
    "train_models",
    "create_ab_test",
    "ab_test_results",
    "stop_ab_test",
    "classify_document",
}


@pytest.fixture
def app(firm_copy: tuple[Path, Path]):
    db, root = firm_copy
    application = App.open(load_config(db=db, roots=[root], user="tester", env={}))
    yield application
    application.close()


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    return result.structured_content


async def error(client: Client, tool: str, **args: Any) -> str:
    result = await client.call_tool(tool, args)
    assert result.is_error, result.structured_content
    return result.content[0].text


async def test_model_service_over_mcp(app: App) -> None:
    server = build_server(lambda: app, close_on_exit=False)
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(p: float, total: float | None, message: str | None) -> None:
        progress.append((p, total, message))

    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) >= ML_TOOLS
        assert all(tools[n].output_schema is not None for n in ML_TOOLS)

        empty = await call(client, "list_models")
        assert empty["models"] == [] and "doc_classifier" in empty["trainable"]
        first = await call(client, "classify_document", name="Variation 3 - extra speakers.pdf")
        assert first["source"] == "rules" and first["warnings"]

        result = await client.call_tool("train_models", {"wait": True}, progress_callback=on_progress)
        assert not result.is_error, result.content
        done = result.structured_content
        assert done["status"] == "done", done
        clf = next(o for o in done["outcomes"] if o["name"] == "doc_classifier")
        assert clf["status"] == "promoted" and clf["version"] == 1 and clf["value"] >= 0.85
        assert progress and all(0 <= p <= 1 for p, _, _ in progress)

        # Train again: the new candidate is promoted only if it beats version 1 (it ties: same data).
        again = await call(client, "train_models", models=["doc_classifier"], wait=True)
        assert again["outcomes"][0]["status"] == "kept_active", again
        listed = await call(client, "list_models")
        assert [(m["version"], m["status"]) for m in listed["models"]] == [(1, "active"), (2, "candidate")]
        assert listed["training"]["running"] is False

        guess = await call(client, "classify_document", name="CO4 additional cabling.pdf", path="Change Orders")
        assert guess["doc_type"] == "change_order" and guess["source"] == "model"
        assert len(guess["top"]) == 3 and guess["top"][0]["description"]
        assert "confidence" in guess["reasoning"]

        metrics = await call(client, "model_metrics", name="doc_classifier")
        assert metrics["version"] == 1 and metrics["offline"]["accuracy"] >= 0.85
        assert metrics["online"]["impressions"] == 0 and "no impressions" in metrics["summary"]

        assert (await call(client, "promote_model", name="doc_classifier", version=2))["active_version"] == 2
        assert (await call(client, "rollback_model", name="doc_classifier"))["active_version"] == 1

        ab = await call(
            client, "create_ab_test", name="clf-1-vs-2", model="doc_classifier", variants={"1": 0.5, "2": 0.5}
        )
        assert ab["status"] == "running" and "not enough data" in ab["verdict"]
        assert (await call(client, "ab_test_results", name="clf-1-vs-2"))["variants"][0]["impressions"] == 0
        stopped = await call(client, "stop_ab_test", name="clf-1-vs-2", promote=True)
        assert stopped["status"] == "stopped" and stopped["promoted"] is None

        # Bad input names the field.
        assert "no version 9" in await error(client, "promote_model", name="doc_classifier", version=9)
        assert "'nope' is not in the registry" in await error(client, "model_metrics", name="nope")
        assert "sum to 1" in await error(
            client, "create_ab_test", name="x", model="doc_classifier", variants={"1": 0.5, "2": 0.6}
        )
        assert "unknown model" in await error(client, "train_models", models=["nope"])
        assert "no A/B test called 'zzz'" in await error(client, "ab_test_results", name="zzz")
        assert "name must be" in await error(client, "classify_document", name="")


async def test_a_second_training_call_is_told_one_is_running(app: App) -> None:
    server = build_server(lambda: app, close_on_exit=False)
    async with Client(server) as client:
        first = await call(client, "train_models")
        second = await call(client, "train_models")
        assert first["status"] == "started"
        assert second["status"] == "already_running" and "already running" in second["message"]
        app.ml.trainer.current and app.ml.trainer.current.done.wait(60)


def test_tools_list_does_not_import_heavy_libraries(tmp_path: Path) -> None:
    script = """
import asyncio, json, sys
from mcp import Client
from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.server import build_server

async def main():
    server = build_server(lambda: App.open(load_config(db=sys.argv[1], roots=[], env={})))
    async with Client(server) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        await client.list_prompts()
    heavy = sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy', 'statsmodels', 'pandas', 'torch'})
    print(json.dumps({"tools": len(names), "heavy": heavy}))

asyncio.run(main())
"""
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "x.db")], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["tools"] >= 20 and report["heavy"] == []
