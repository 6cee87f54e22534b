"""Brief MCP answers through the real client: what a caller needs to act, valid against each tool's
output schema, openable paths, every field with ``detail="full"``, and the REST gateway unchanged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mcp import Client

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.http.adapt import Gateway
from quicknav_mcp.server import build_server

pytestmark = pytest.mark.anyio
ENV = {"QUICKNAV_EMBED_MODEL": "none"}


@pytest.fixture(scope="module")
def firm(demo_firm_30: tuple[Path, Path, Any]) -> tuple[Path, Path, Any]:
    """The session's 30-project firm (seed 7, text extracted); every test copies its database."""
    return demo_firm_30


@pytest.fixture
def server(firm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QUICKNAV_EMBED_MODEL", "none")
    root, db, _ = firm
    copy = tmp_path / "q.db"
    shutil.copy(db, copy)
    config = load_config(db=copy, roots=[root], user="tester", env=ENV)
    return build_server(lambda: App.open(config))


async def call(client: Client, schemas: dict[str, Any], tool: str, **args: Any) -> tuple[dict[str, Any], str]:
    """The structured answer (checked against the tool's output schema) and its text."""
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    data = result.structured_content
    jsonschema.validate(data, schemas[tool])
    text = result.content[0].text
    assert json.loads(text) == data and "\n" not in text  # the same data, without indentation
    return data, text


async def schemas_of(client: Client) -> dict[str, Any]:
    return {t.name: t.output_schema for t in (await client.list_tools()).tools}


async def test_search_documents_brief_and_full(server) -> None:
    async with Client(server) as client:
        schemas = await schemas_of(client)
        brief, text = await call(client, schemas, "search_documents", query="as built design")
        full, full_text = await call(client, schemas, "search_documents", query="as built design", detail="full")
        assert len(brief["documents"]) == 10 and len(full["documents"]) == 20
        assert "facets" not in brief and full["facets"]["doc_type"]
        assert len(text) * 3 < len(full_text)
        for hit, same in zip(brief["documents"], full["documents"], strict=False):
            assert hit["path"] == same["path"] and Path(hit["path"]).is_file()  # absolute: it opens
            assert {"id", "name", "project_number", "doc_type", "is_current", "score", "why"} <= hit.keys()
            assert not {"rel_path", "series_key", "status_tags", "modified", "project_name", "ext"} & hit.keys()
            assert hit["name"] == same["name"] and hit.get("revision") == same["revision"]
            assert None not in hit.values() and hit.get("is_as_built", False) == same["is_as_built"]
        assert brief["total_count"] == full["total_count"] and brief["next_offset"] == 10
        # A snippet from inside the file stays; one that only repeats the highlighted name goes.
        content, _ = await call(client, schemas, "search_documents", query="Tesira DSP")
        named = [h for h in content["documents"] if "snippet" in h]
        assert named and all(h["snippet"].replace("**", "") != h["name"] for h in named)
        paged, _ = await call(client, schemas, "search_documents", query="as built design", limit=3, offset=10)
        assert [h["path"] for h in paged["documents"]] == [h["path"] for h in full["documents"][10:13]]


async def test_search_projects_brief(server, firm) -> None:
    _, _, manifest = firm
    client_name = manifest.projects[0].client_name
    async with Client(server) as client:
        schemas = await schemas_of(client)
        brief, _ = await call(client, schemas, "search_projects", query=client_name)
        full, _ = await call(client, schemas, "search_projects", query=client_name, detail="full")
        assert "facets" not in brief and "client" in full["facets"]
        top, same = brief["projects"][0], full["projects"][0]
        assert {"project_number", "name", "path", "score", "why"} <= top.keys()
        assert not {"highlight", "range_folder", "description", "client"} & top.keys()
        assert top["path"] == same["path"] and Path(top["path"]).is_dir()


async def test_list_project_documents_paths_open_from_folder(server, firm) -> None:
    _, _, manifest = firm
    code = manifest.projects[0].code
    async with Client(server) as client:
        schemas = await schemas_of(client)
        brief, text = await call(client, schemas, "list_project_documents", project_number=code)
        full, full_text = await call(client, schemas, "list_project_documents", project_number=code, detail="full")
        assert brief["total_count"] == full["total_count"] and len(brief["documents"]) == len(full["documents"])
        folder = Path(brief["folder"])
        for doc, same in zip(brief["documents"], full["documents"], strict=True):
            assert str(folder / doc["rel_path"]) == same["path"] and (folder / doc["rel_path"]).is_file()
            assert doc["id"] == same["id"] and doc["doc_type"] == same["doc_type"]
            assert doc["is_current"] == same["is_current"] and doc.get("revision") == same["revision"]
            assert not {"path", "name", "project_number", "series_key"} & doc.keys()
        assert full["folder"] is None and len(text) * 3 < len(full_text)


async def test_navigate_and_find_documents_state_each_path_once(server, firm) -> None:
    _, _, manifest = firm
    p = manifest.projects[0]
    async with Client(server) as client:
        schemas = await schemas_of(client)
        nav, _ = await call(client, schemas, "navigate_project", project_number=p.code)
        assert nav["status"] == "success" and Path(nav["path"]).is_dir()
        assert nav["projects"][0]["project_number"] == p.code and "path" not in nav["projects"][0]
        many, _ = await call(client, schemas, "navigate_project", project_number=p.client_name)
        if many["status"] == "select":
            assert [Path(x).name for x in many["paths"]] == [x["name"] for x in many["projects"]]
        found, _ = await call(client, schemas, "find_documents", project_number=p.code, doc_type="lld", mode="all")
        full, _ = await call(
            client, schemas, "find_documents", project_number=p.code, doc_type="lld", mode="all", detail="full"
        )
        paths = found["paths"] or [found["path"]]
        assert paths == [d["path"] for d in full["documents"]]
        assert [d["id"] for d in found["documents"]] == [d["id"] for d in full["documents"]]
        assert all("path" not in d and "project_number" not in d for d in found["documents"])
        missing, _ = await call(client, schemas, "find_documents", project_number=p.code, doc_type="photos", room=9)
        assert missing["status"] == "error" and "documents" not in missing and "paths" not in missing


async def test_dashboard_brief_and_resources(server) -> None:
    async with Client(server) as client:
        schemas = await schemas_of(client)
        brief, _ = await call(client, schemas, "get_dashboard")
        full, _ = await call(client, schemas, "get_dashboard", detail="full")
        assert "performance_metrics" not in brief and "search_trends" not in brief and "metrics" in brief
        assert "performance_metrics" in full and "search_trends" in full
        res = await client.read_resource("quicknav://projects")
        page = json.loads(res.contents[0].text)
        assert page["total_count"] == 30 and len(page["projects"]) == 30 and "next_offset" not in page
        assert all(Path(p["path"]).is_dir() for p in page["projects"])


async def test_gateway_answers_every_field_unless_asked(server, firm, tmp_path: Path) -> None:
    root, _, _ = firm
    async with Client(server):  # opens the App
        gateway = Gateway(server, load_config(db=tmp_path / "q.db", roots=[root], env=ENV))  # (the server's copy)
        args = {"query": "as built design"}
        full = (await gateway.call("search_documents", args)).model_dump(mode="json")
        assert len(full["documents"]) == 20 and full["facets"] and "rel_path" in full["documents"][0]
        brief = (await gateway.call("search_documents", args | {"detail": "brief"})).model_dump(mode="json")
        assert len(brief["documents"]) == 10 and "facets" not in brief
