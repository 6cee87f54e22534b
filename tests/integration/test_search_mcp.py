"""search_projects / search_documents / suggest through the real MCP client, over a generated
firm (ground truth from its manifest) and over the real-path sample tree; bad input."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo import generate_firm
from quicknav_mcp.server import build_server

pytestmark = pytest.mark.anyio
SEARCH_TOOLS = {"search_projects", "search_documents", "suggest"}


@pytest.fixture(scope="module")
def firm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    """A 40-project firm with real text inside its files, indexed and extracted (no embeddings)."""
    base = tmp_path_factory.mktemp("firm")
    root = base / "firm"
    manifest = generate_firm(root, projects=40, seed=7, content=True)
    db = base / "firm.db"
    with App.open(load_config(db=db, roots=[root], env={})) as app:
        app.indexing.reindex()
        app.search.index_content(extract=True, embed=False, workers=2)
    return root, db, manifest


@pytest.fixture
def firm_server(firm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QUICKNAV_EMBED_MODEL", "none")  # lexical + fuzzy only here (see test_search_semantic)
    root, db, _ = firm
    copy = tmp_path / "q.db"
    shutil.copy(db, copy)
    config = load_config(db=copy, roots=[root], user="tester", env={"QUICKNAV_EMBED_MODEL": "none"})
    return build_server(lambda: App.open(config))


@pytest.fixture
def sample_server(sample_db: Path, sample_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QUICKNAV_EMBED_MODEL", "none")
    copy = tmp_path / "s.db"
    shutil.copy(sample_db, copy)
    config = load_config(db=copy, roots=[sample_root], user="tester", env={"QUICKNAV_EMBED_MODEL": "none"})
    return build_server(lambda: App.open(config))


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def _rel(path: str, root: Path) -> str:
    return str(Path(path).relative_to(root))


async def test_tools_listed_read_only_with_schemas(firm_server) -> None:
    async with Client(firm_server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) >= SEARCH_TOOLS
    for name in SEARCH_TOOLS:
        tool = tools[name]
        assert tool.annotations.read_only_hint is True
        assert tool.output_schema is not None
        assert tool.description and "Use" in tool.description
    props = tools["search_documents"].input_schema["properties"]
    want = {"query", "project_number", "doc_type", "filters", "limit", "offset", "current_only", "user_id"}
    assert want <= set(props)
    assert {"query", "limit", "offset", "filters", "user_id"} <= set(
        tools["search_projects"].input_schema["properties"]
    )


async def test_documents_against_the_manifest(firm_server, firm) -> None:
    root, _, manifest = firm
    with_co = next(p for p in manifest.projects if p.change_orders)
    k, paths = next(iter(with_co.change_orders.items()))
    with_designs = next(p for p in manifest.projects if any(d.as_built for d in p.designs))
    with_po = next(p for p in manifest.projects if p.sales_po_current)
    async with Client(firm_server) as client:
        out = await call(client, "search_documents", query=f"CO{k} {with_co.code}")
        assert _rel(out["documents"][0]["path"], root) in paths
        assert out["documents"][0]["change_order"] == k
        assert any(w.startswith("CO") for w in out["documents"][0]["why"])

        out = await call(client, "search_documents", query=f"{with_designs.code} as built design", detail="full")
        want = {d.current for d in with_designs.designs if d.as_built}
        top = out["documents"][0]
        assert _rel(top["path"], root) in want
        assert top["is_current"] and top["doc_type"] == "lld" and top["score"] > 0
        assert {"doc_type", "phase", "project", "extension", "year", "status"} <= set(out["facets"])

        out = await call(client, "search_documents", query="latest sales po report", project_number=with_po.code)
        assert _rel(out["documents"][0]["path"], root) == with_po.sales_po_current

        # Words that exist only inside the files (the site address is in every document's header).
        site = with_po.site_address.split(",")[0 if not with_po.site_address.startswith("Level") else 1].strip()
        out = await call(client, "search_documents", query=f'"{site}"', limit=5)
        assert out["documents"] and all(d["project_number"] == with_po.code for d in out["documents"])
        assert "**" in out["documents"][0]["snippet"]


async def test_pagination_filters_and_current_only(firm_server) -> None:
    async with Client(firm_server) as client:
        first = await call(client, "search_documents", query="design", limit=5)
        assert first["total_count"] > 5 and first["next_offset"] == 5 and len(first["documents"]) == 5
        second = await call(client, "search_documents", query="design", limit=5, offset=5)
        assert not {d["path"] for d in first["documents"]} & {d["path"] for d in second["documents"]}
        only = await call(client, "search_documents", query="", doc_type="swms", filters={"ext": "pdf"}, limit=50)
        assert only["documents"] and all(
            d["doc_type"] == "swms" and d["path"].endswith(".pdf") for d in only["documents"]
        )
        cur = await call(client, "search_documents", query="type:lld", current_only=True, limit=100)
        assert cur["documents"] and all(d["is_current"] and not d.get("is_archive") for d in cur["documents"])
        typed = await call(client, "search_documents", query="type:lld status:archive", limit=20)
        assert all(d["is_archive"] for d in typed["documents"])


async def test_projects_codes_clients_typos(firm_server, firm) -> None:
    _, _, manifest = firm
    p = manifest.projects[5]
    client_projects = {q.code for q in manifest.projects if q.client_name == p.client_name}
    async with Client(firm_server) as client:
        out = await call(client, "search_projects", query=p.code)
        assert out["projects"][0]["project_number"] == p.code
        assert any(w.startswith("code") for w in out["projects"][0]["why"])
        out = await call(client, "search_projects", query=f"PAVS{p.code}")
        assert out["projects"][0]["project_number"] == p.code
        out = await call(client, "search_projects", query=p.client_name)
        assert {x["project_number"] for x in out["projects"][: len(client_projects)]} == client_projects
        typo = p.client_name.replace(p.client_name[2:4], p.client_name[3] + p.client_name[2], 1)
        out = await call(client, "search_projects", query=typo, detail="full")
        assert out["projects"][0]["project_number"] in client_projects
        assert {"client", "range"} <= set(out["facets"])
        out = await call(client, "search_projects", query="zzqxw unknownword")
        assert out["total_count"] == 0


async def test_suggest_and_did_you_mean(firm_server, firm) -> None:
    _, _, manifest = firm
    p = manifest.projects[3]
    async with Client(firm_server) as client:
        out = await call(client, "suggest", prefix=p.code[:3])
        assert any(s["kind"] == "code" and s["text"].startswith(p.code[:3]) for s in out["suggestions"])
        out = await call(client, "suggest", prefix=p.client_name[:4].lower(), limit=5)
        assert any(p.client_name.split()[0].lower() in s["text"].lower() for s in out["suggestions"])
        assert len(out["suggestions"]) <= 5
        word = p.client_name.split()[0]
        typo = word[:-2] + word[-1] + word[-2] if len(word) > 4 else word + "x"
        out = await call(client, "search_documents", query=f"{typo} sales report")
        assert out["understood"]["corrections"] or out["suggestions"]


async def test_navigate_project_uses_the_engine(firm_server, firm) -> None:
    _, _, manifest = firm
    names = [q.client_name for q in manifest.projects]
    unique = next(q for q in manifest.projects if names.count(q.client_name) == 1)
    async with Client(firm_server) as client:
        out = await call(client, "navigate_project", project_number=unique.client_name)
        assert out["status"] == "success", out
        assert out["path"].endswith(unique.folder_name)


async def test_sample_tree_current_documents(sample_server) -> None:
    async with Client(sample_server) as client:
        out = await call(client, "search_documents", query="poolwerx as built")
        top = out["documents"][0]
        assert top["path"].endswith(
            "4. System Designs/21614 - POOLWERX TRAINING ROOM & LEVEL 1 UPGRADES - Rev 102 AS-BUILT.pdf"
        )
        assert top["is_current"] and "as-built" in top["why"]
        out = await call(client, "search_documents", query="CO4 20692")
        assert out["documents"][0]["path"].endswith("CO4.pdf")
        out = await call(client, "search_documents", query="20692 rev 102")
        assert out["documents"][0]["revision"] == 102
        out = await call(client, "search_projects", query="Poolwerx")
        assert out["projects"][0]["project_number"] == "21614"
        status = await call(client, "index_status")
        assert status["search"]["semantic_available"] is False
        assert "unavailable" in status["search"]["semantic_status"]


FTS_SYNTAX = ['"', "*", "NEAR(", "a -b", ":", "^", '"unbalanced', "AND OR", "NOT NOT", "col:x", "(", ")*", "'; DROP"]


@pytest.mark.parametrize("value", [*FTS_SYNTAX, "项目 プロジェクト 🚀", "pool\x00werx\x1b[2J", "Ｐｏｏｌｗｅｒｘ"])
async def test_bad_text_is_a_sensible_result(sample_server, value: str) -> None:
    async with Client(sample_server) as client:
        for tool in ("search_documents", "search_projects"):
            r = await client.call_tool(tool, {"query": value})
            if r.is_error:  # only a clear validation message is acceptable, never SQLite's
                text = r.content[0].text
                assert "fts5" not in text.lower() and "sqlite" not in text.lower() and "syntax" not in text.lower()
                assert "empty" in text
            else:
                assert "total_count" in r.structured_content
        r = await client.call_tool("suggest", {"prefix": value})
        assert not r.is_error or "empty" in r.content[0].text
        assert (await call(client, "search_projects", query="21614"))["projects"][0]["project_number"] == "21614"


@pytest.mark.parametrize(
    ("tool", "args", "message"),
    [
        ("search_documents", {"query": ""}, "empty"),
        ("search_documents", {"query": "   "}, "empty"),
        ("search_projects", {"query": "\t\n"}, "empty"),
        ("search_documents", {"query": "a", "limit": 0}, "limit"),
        ("search_documents", {"query": "a", "limit": 101}, "limit"),
        ("search_projects", {"query": "a", "limit": -1}, "limit"),
        ("search_projects", {"query": "a", "offset": -5}, "offset"),
        ("suggest", {"prefix": "a", "limit": 51}, "limit"),
        ("suggest", {"prefix": ""}, "empty"),
        ("search_documents", {"query": "a", "filters": {"colour": "red"}}, "unknown filter"),
        ("search_documents", {"query": "a", "filters": {"doc_type": "spaceship"}}, "unknown document type"),
        ("search_documents", {"query": "a", "project_number": "12"}, "5-digit"),
        ("search_documents", {"query": "a", "project_number": "99999"}, "not found"),
        ("search_documents", {"query": "after:someday"}, "date"),
    ],
)
async def test_bad_arguments_are_clear_errors(sample_server, tool: str, args: dict, message: str) -> None:
    async with Client(sample_server) as client:
        r = await client.call_tool(tool, args)
        assert r.is_error
        assert message in r.content[0].text.lower()
        assert (await call(client, "suggest", prefix="216"))["suggestions"]
