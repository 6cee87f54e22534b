"""Status and re-indexing through the one service: the CLI and the MCP tools give the same answers,
and settings from the environment reach the services that use them."""

from __future__ import annotations

import json
import os
import shutil
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

# Tracking off: the tool call itself must not write events that change the database size.
QUIET = {"QUICKNAV_ANALYTICS_TRACKING": "0", "QUICKNAV_EMBED_MODEL": "none", "QUICKNAV_LOG_LEVEL": "WARNING"}


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKNAV_")}
    env.update(QUIET)
    return subprocess.run(
        [sys.executable, "-m", "quicknav_mcp.cli", *args], capture_output=True, text=True, env=env, timeout=120
    )


async def tool(config: Any, name: str, **args: Any) -> dict[str, Any]:
    async with Client(build_server(lambda: App.open(config))) as client:
        result = await client.call_tool(name, args)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def test_cli_status_equals_the_index_status_tool(sample_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    shutil.copy(sample_db, db)
    r = cli("status", "--json", "--db", str(db))
    assert r.returncode == 0, r.stderr
    from_cli = json.loads(r.stdout)
    from_tool = await tool(load_config(db=db, env=QUIET), "index_status")
    assert from_cli == from_tool
    # Not two empty answers: the search part is there and the counts are the sample's.
    assert from_cli["projects"] == 4 and from_cli["documents"] > 100
    assert from_cli["search"]["documents"] == from_cli["documents"]
    assert from_cli["search"]["model"] == "none"


async def test_cli_index_and_reindex_tool_report_the_same_scan(sample_root: Path, tmp_path: Path) -> None:
    r = cli("index", "--json", "--root", str(sample_root), "--db", str(tmp_path / "cli.db"))
    assert r.returncode == 0, r.stderr
    from_cli = json.loads(r.stdout)
    config = load_config(db=tmp_path / "mcp.db", roots=[sample_root], env=QUIET)
    from_tool = (await tool(config, "reindex"))["roots"]
    volatile = {"seconds", "started_at", "finished_at", "scan_id", "files_per_s", "timings"}
    strip = [{k: v for k, v in rep.items() if k not in volatile} for rep in (*from_cli, *from_tool)]
    assert strip[0] == strip[1] and strip[0]["added"] > 100


def test_index_content_flag_extracts_with_the_configured_limits(sample_root: Path, tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    env_limit = {"QUICKNAV_EXTRACT_MAX_BYTES": "1"}  # every non-empty file is too large to open
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKNAV_")} | QUIET | env_limit
    r = subprocess.run(
        [sys.executable, "-m", "quicknav_mcp.cli", "index", "--content", "--root", str(sample_root), "--db", str(db)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr
    assert "extract:" in r.stderr
    with App.open(load_config(db=db, env=QUIET)) as app:
        status = app.indexing.status()
    assert status.search is not None
    by_status = status.search.content_by_status
    assert by_status.get("too_large", 0) > 0 and by_status.get("ok", 0) == 0


def test_settings_reach_the_services(tmp_path: Path) -> None:
    env = {
        "QUICKNAV_EMBED_MODEL": "none",
        "QUICKNAV_EMBED_THREADS": "2",
        "QUICKNAV_ANALYTICS_TRACKING": "false",
        "QUICKNAV_ANALYTICS_RETENTION_DAYS": "30",
        "QUICKNAV_EXTRACT_TIMEOUT": "3",
    }
    with App.open(load_config(db=tmp_path / "q.db", env=env)) as app:
        assert app.search.embedder.spec == "none" and app.search.embedder.threads == 2
        assert app.search.index_status().semantic_status.startswith("unavailable")
        assert app.analytics.settings.retention_days == 30 and app.analytics.settings.tracking is False
        assert app.search.upkeep.extract_limits.timeout == 3.0
