"""A database the process cannot write: reads keep working, writes fail with a clear message."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from mcp import Client

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.server import build_server

pytestmark = pytest.mark.anyio


@pytest.fixture
def immutable_db(sample_db: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the sample DB marked immutable: even root cannot write it (chmod would not stop root)."""
    db = tmp_path / "ro.db"
    shutil.copy(sample_db, db)
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode:
        pytest.skip("cannot make a file immutable here (chattr unavailable or not permitted)")
    try:
        yield db
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=False)


async def test_read_only_database_reads_and_reports_writes(immutable_db: Path, sample_root: Path) -> None:
    config = load_config(db=immutable_db, roots=[sample_root], env={})
    before = {p: p.stat().st_mtime for p in sample_root.rglob("*.pdf")}
    server = build_server(lambda: App.open(config))
    async with Client(server) as client:
        r = await client.call_tool("navigate_project", {"project_number": "21614"})
        assert r.structured_content["status"] == "success"
        r = await client.call_tool("reindex", {})  # a scan always records itself: a write
        assert r.is_error
        assert "read-only" in r.content[0].text
        r = await client.call_tool("find_documents", {"project_number": "21614"})
        assert r.structured_content["status"] == "success"
    assert before == {p: p.stat().st_mtime for p in sample_root.rglob("*.pdf")}
