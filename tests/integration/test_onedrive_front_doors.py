"""OneDrive sources through the front doors: MCP lookups after a sync, the CLI, the serving poller,
sign-in choices, and lazy imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from quicknav_mcp.indexers import onedrive as od
from quicknav_mcp.indexers.onedrive_auth import SignIn, make_credential
from quicknav_mcp.indexers.onedrive_poll import OneDrivePoller

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo.plan import plan_firm
from quicknav_mcp.errors import ConfigError
from quicknav_mcp.repo.documents import REL_PATH
from quicknav_mcp.server import build_server

from ._graph import BASE, FakeCredential, client_for, drive_from_plan

FOLDER = "Project Folders"


@pytest.fixture(scope="module")
def firm() -> Any:
    return plan_firm(projects=8, seed=21)


@pytest.mark.anyio
async def test_mcp_finds_onedrive_documents_after_a_sync(tmp_path: Path, firm: Any) -> None:
    drive = drive_from_plan(firm.files)
    config = load_config(db=tmp_path / "q.db", user="tester", env={})
    with App.open(config) as app:
        source = od.add_source(app.store, "b!drive1", FOLDER)
        with client_for(drive) as client:
            assert od.sync_source(app.store, source, client).status == "done"
        code, name, rel = app.store.query_one(
            f"SELECT p.code, d.name, {REL_PATH} FROM documents d JOIN projects p ON p.id = d.project_id "
            "WHERE d.doc_type = 'lld' AND NOT d.is_archive ORDER BY d.id LIMIT 1"
        )
    server = build_server(lambda: App.open(config))
    async with Client(server) as client:
        nav = (await client.call_tool("navigate_project", {"project_number": code})).structured_content
        assert nav["status"] == "success" and nav["path"].startswith(f"onedrive://b!drive1/{FOLDER}/")
        found = (
            await client.call_tool("find_documents", {"project_number": code, "doc_type": "lld"})
        ).structured_content
        assert found["status"] in ("success", "select"), found
        paths = [found["path"]] if found.get("path") else found["paths"]
        assert all(p.startswith("onedrive://") for p in paths)
        hits = (
            await client.call_tool("search_documents", {"query": name.rsplit(".", 1)[0], "limit": 5})
        ).structured_content
        assert hits["total_count"] >= 1
        assert any(r["path"] == f"onedrive://b!drive1/{FOLDER}/{rel}" for r in hits["documents"]), hits["documents"][:3]
        status = (await client.call_tool("index_status", {})).structured_content
        assert f"onedrive://b!drive1/{FOLDER}" in status["roots"]


def _cli(*args: str, db: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quicknav_mcp.cli", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def test_cli_add_list_remove_and_secrets_stay_out(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    out = _cli("onedrive", "add", "--drive", "b!abc", "--folder", "Project Files/Project Folders", db=db)
    assert out.returncode == 0, out.stderr
    assert "onedrive://b!abc/Project Files/Project Folders" in out.stdout
    bad = _cli("onedrive", "add", "--drive", "not a drive", db=db)
    assert bad.returncode == 2 and "--drive" in bad.stderr
    secret = "s3cr3t-value-never-stored"
    listed = _cli("onedrive", "list", "--json", db=db, env={"QUICKNAV_ONEDRIVE_CLIENT_SECRET": secret})
    rows = json.loads(listed.stdout)
    assert rows[0]["location"] == "onedrive://b!abc/Project Files/Project Folders"
    assert rows[0]["sign_in"].startswith("client secret") and rows[0]["delta_link"] is False
    # A service sign-in without a tenant is refused before any network call, naming what is missing.
    sync = _cli("onedrive", "sync", db=db, env={"QUICKNAV_ONEDRIVE_CLIENT_SECRET": secret})
    assert sync.returncode == 2 and "--tenant" in sync.stderr
    for text in (listed.stdout, listed.stderr, sync.stdout, sync.stderr):
        assert secret not in text
    for f in tmp_path.iterdir():
        assert secret.encode() not in f.read_bytes(), f
    removed = _cli("onedrive", "remove", "b!abc", db=db)
    assert removed.returncode == 0 and "removed" in removed.stdout
    assert json.loads(_cli("onedrive", "list", "--json", db=db).stdout) == []


def test_serving_poller_follows_changes(tmp_path: Path, firm: Any) -> None:
    drive = drive_from_plan(firm.files)
    config = load_config(
        db=tmp_path / "q.db",
        env={"QUICKNAV_ONEDRIVE_POLL_SECONDS": "1", "QUICKNAV_ONEDRIVE_GRAPH_URL": BASE},
    )
    assert config.onedrive_poll_seconds == 1 and config.onedrive_graph_url == BASE
    synced: list[od.SyncReport] = []
    second = threading.Event()

    def on_sync(report: od.SyncReport) -> None:
        synced.append(report)
        if len(synced) >= 2:
            second.set()

    with App.open(config) as app:
        poller = OneDrivePoller(app.store, config, on_sync=on_sync, transport=drive.transport())
        assert poller.start() is False  # no source yet: nothing to poll
        source = od.add_source(app.store, "b!drive1", FOLDER)
        made: list[FakeCredential] = []

        def factory(_source: od.Source) -> FakeCredential:
            made.append(FakeCredential())
            return made[-1]

        poller = OneDrivePoller(app.store, config, credential=factory, transport=drive.transport(), on_sync=on_sync)
        first = next(f for f in firm.files if f.rel.startswith(FOLDER))
        try:
            assert poller.start()
            drive.modify(drive.find(first.rel), 777)
            assert second.wait(30), synced
        finally:
            poller.stop()
        assert all(r.status == "done" for r in synced)
        size = app.store.query_one(
            "SELECT d.size FROM documents d JOIN projects p ON p.id = d.project_id "
            f"WHERE d.root_id = ? AND {REL_PATH} = ?",
            (source.root_id, first.rel.split("/", 1)[1]),
        )[0]
        assert size == 777
        assert len(made) == 1  # one credential (and so one sign-in and token cache) for the whole process


def test_sign_in_choices(monkeypatch: pytest.MonkeyPatch) -> None:
    import azure.identity as identity

    person = make_credential(SignIn(None, None, "login.microsoftonline.us"), env={}, interactive=False)
    assert isinstance(person, identity.DeviceCodeCredential)
    service = make_credential(
        SignIn("firm.example", "app-1", "login.microsoftonline.com"),
        env={"QUICKNAV_ONEDRIVE_CLIENT_SECRET": "x"},
    )
    assert isinstance(service, identity.ClientSecretCredential)
    with pytest.raises(ConfigError, match="--tenant and --client-id"):
        make_credential(SignIn(None, None, "login.microsoftonline.com"), env={"QUICKNAV_ONEDRIVE_CERTIFICATE": "c.pem"})
    with pytest.raises(ConfigError, match="https://"):
        load_config(db="x.db", env={"QUICKNAV_ONEDRIVE_GRAPH_URL": "http://graph.example/v1.0"})
    with pytest.raises(ConfigError, match="QUICKNAV_ONEDRIVE_POLL_SECONDS"):
        load_config(db="x.db", env={"QUICKNAV_ONEDRIVE_POLL_SECONDS": "-1"})


def test_tools_list_does_not_import_the_graph_libraries(tmp_path: Path) -> None:
    script = """
import asyncio, json, sys
from mcp import Client
from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.server import build_server

async def main():
    server = build_server(lambda: App.open(load_config(db=sys.argv[1], roots=[], env={})))
    async with Client(server) as client:
        await client.list_tools()
    graph = {'azure', 'msgraph', 'msal', 'kiota_abstractions'}
    print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & graph)))

asyncio.run(main())
"""
    out = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "x.db")], capture_output=True, text=True, timeout=120
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_poller_never_prompts_a_person(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A server cannot show a device code: a person's source nobody signed in to is skipped, not prompted."""
    monkeypatch.delenv("QUICKNAV_ONEDRIVE_CLIENT_SECRET", raising=False)
    monkeypatch.delenv("QUICKNAV_ONEDRIVE_CERTIFICATE", raising=False)
    drive = drive_from_plan([])
    config = load_config(db=tmp_path / "q.db", env={"QUICKNAV_ONEDRIVE_GRAPH_URL": BASE})
    with App.open(config) as app:
        od.add_source(app.store, "me")
        poller = OneDrivePoller(app.store, config, transport=drive.transport())
        assert poller.poll_once() == []
        assert drive.requests == []
        assert od.get_source(app.store, "me").last_status is None
