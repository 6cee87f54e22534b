"""The ``quicknav`` command as a person runs it: legacy output lines, JSON, exit codes, the demo."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from mcp import Client

QUICKNAV = [sys.executable, "-m", "quicknav_mcp.cli"]


def run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    full_env = dict(os.environ)
    full_env.pop("QUICKNAV_ROOTS", None)
    full_env.update(env or {})
    return subprocess.run([*QUICKNAV, *args], capture_output=True, text=True, env=full_env, timeout=timeout)


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> str:
    target = tmp_path / "cli.db"
    shutil.copy(sample_db, target)
    return str(target)


def test_project_by_code_prints_success_line(db: str) -> None:
    r = run("project", "21614", "--db", db)
    assert r.returncode == 0, r.stderr
    assert re.fullmatch(r"SUCCESS:.*21614 - PLWRX  TR L1 Upgrades\n", r.stdout)


def test_project_search_words_and_not_found(db: str) -> None:
    assert run("project", "poolwerx", "--db", db).stdout.startswith("SUCCESS:")
    r = run("project", "99999", "--db", db)
    assert r.returncode == 1 and r.stdout.startswith("ERROR:")
    r = run("project", "   ", "--db", db)
    assert r.returncode == 2 and "empty" in r.stdout


def test_doc_modes_and_json(db: str) -> None:
    r = run("doc", "21614", "--type", "lld", "--db", db)
    assert r.returncode == 0 and r.stdout.startswith("SUCCESS:") and "Rev 102 AS-BUILT" in r.stdout
    r = run("doc", "20865", "--type", "lld", "--latest", "--db", db)
    assert r.stdout.startswith("SELECT:") and r.stdout.count("|") >= 7
    r = run("doc", "20692", "--type", "change_order", "--co", "4", "--json", "--db", db)
    data = json.loads(r.stdout)
    assert data["status"] == "success" and data["documents"][0]["change_order"] == 4
    r = run("doc", "20692", "--type", "nonsense", "--db", db)
    assert r.returncode == 2 and "unknown doc_type" in r.stdout


def test_missing_root_is_a_clear_error(tmp_path: Path) -> None:
    r = run("index", "--root", str(tmp_path / "nope"), "--db", str(tmp_path / "x.db"))
    assert r.returncode == 2
    assert "project root does not exist" in r.stderr and "nope" in r.stderr


def test_index_command_reports_counts(sample_root: Path, tmp_path: Path) -> None:
    r = run("index", "--root", str(sample_root), "--db", str(tmp_path / "i.db"), "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)[0]
    assert report["files_seen"] == report["added"] > 100
    assert r.stdout.count("\n") > 3  # stdout holds only the JSON; progress went to stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.anyio
async def test_demo_builds_indexes_shows_answers_and_serves_http(tmp_path: Path) -> None:
    port = _free_port()
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), QUICKNAV_LOG_LEVEL="WARNING")
    proc = subprocess.Popen(
        [*QUICKNAV, "demo", "--projects", "25", "--seed", "3", "--port", str(port), "--dir", str(tmp_path / "firm")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        lines: list[str] = []
        deadline = time.monotonic() + 180
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Serving MCP" in line:
                break
        out = "".join(lines)
        assert "Serving MCP" in out, out
        assert "> navigate_project" in out and '"status": "success"' in out
        assert "> find_documents" in out and "mcpServers" in out
        # The gateway's curl examples, with real answers, and the docs URL.
        assert f"http://127.0.0.1:{port}/docs" in out
        assert "$ curl -s -X POST" in out and "/legacy/navigate_project" in out
        assert 'HTTP 200: {"status": "success"' in out
        url = f"http://127.0.0.1:{port}/mcp"
        for _ in range(50):  # the HTTP server may need a moment after the line is printed
            try:
                async with Client(url) as client:
                    tools = {t.name for t in (await client.list_tools()).tools}
                    result = await client.call_tool("index_status", {})
                break
            except Exception:
                time.sleep(0.2)
        else:
            pytest.fail("demo HTTP server did not answer")
        assert "find_documents" in tools
        assert result.structured_content["projects"] == 25
        gateway = httpx.get(f"http://127.0.0.1:{port}/api/v1/index/status", timeout=30)
        assert gateway.status_code == 200 and gateway.json()["projects"] == 25
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    # Running it again reuses the firm: nothing is added or changed.
    again = run("demo", "--projects", "25", "--seed", "3", "--no-serve", "--dir", str(tmp_path / "firm"), env=env)
    assert again.returncode == 0, again.stderr
    assert re.search(r"indexed [\d,]+ files: 0 new, 0 changed, 0 removed", again.stdout), again.stdout
    assert re.search(r"quicknav\S* tui --db \S*firm\.db", again.stdout), again.stdout  # how to open the dashboard


def test_bad_log_level_and_missing_database_are_clean_errors(tmp_path: Path) -> None:
    r = run("project", "17741", "--log-level", "LOUD", "--db", str(tmp_path / "x.db"))
    assert r.returncode == 2 and "unknown log level" in r.stdout + r.stderr and "Traceback" not in r.stderr
    missing = tmp_path / "typo.db"
    r = run("project", "17741", "--db", str(missing))
    assert r.returncode == 2 and "no QuickNav database" in r.stdout
    assert not missing.exists()  # a lookup never creates an empty index


def test_demo_refuses_a_file_or_foreign_tree(tmp_path: Path) -> None:
    a_file = tmp_path / "file"
    a_file.write_text("x")
    r = run("demo", "--no-serve", "--projects", "3", "--dir", str(a_file))
    assert r.returncode == 2 and "not a folder" in r.stderr and "Traceback" not in r.stderr
    foreign = tmp_path / "real"
    (foreign / "Project Folders" / "12345 - Someone's real job").mkdir(parents=True)
    r = run("demo", "--no-serve", "--projects", "3", "--dir", str(foreign))
    assert r.returncode == 2 and "choose an empty folder" in r.stderr
    assert (foreign / "Project Folders" / "12345 - Someone's real job").is_dir()
