"""On the demo firm, through the real MCP client: a firm-wide template, register form or master copy
never outranks a project's own document of the family asked for (issue 12: one project's template
used to rank first for another project's "sales and PO report")."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.server import build_server

pytestmark = pytest.mark.anyio
ENV = {"QUICKNAV_EMBED_MODEL": "none"}


@pytest.fixture(scope="module")
def firm(demo_firm_30: tuple[Path, Path, Any]) -> tuple[Path, Path]:
    root, db, _ = demo_firm_30
    return root, db


@pytest.fixture
def app_server(firm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QUICKNAV_EMBED_MODEL", "none")
    root, db = firm
    copy = tmp_path / "q.db"
    shutil.copy(db, copy)
    app = App.open(load_config(db=copy, roots=[root], user="tester", env=ENV))
    yield app, build_server(lambda: app, close_on_exit=False)
    app.close()


def firm_wide_copy(name: str) -> bool:
    """A blank form or master copy every project holds: "... - Master Template 3-22.docx",
    "Job - OnSold Support Services Register - Date.docx"."""
    return "template" in name.lower() or name.startswith("Job - ")


def own_documents(app: App, family: str) -> dict[str, list[str]]:
    """Each project's own documents of ``family`` (by name; firm-wide copies left out)."""
    out: dict[str, list[str]] = {}
    for project in app.projects.all():
        page = app.documents.page(project.code, 0, 500)
        names = [d.name for d in page.documents if d.doc_type == family and not firm_wide_copy(d.name)]
        if names:
            out[project.code] = names
    return out


async def hits(client: Client, query: str) -> list[dict[str, Any]]:
    result = await client.call_tool("search_documents", {"query": query})
    assert not result.is_error, result.content[0].text
    return result.structured_content["documents"]


def assert_own_first(found: list[dict[str, Any]], code: str, own: list[str], query: str) -> None:
    shown = [(d["project_number"], d["name"]) for d in found[:5]]
    assert found and found[0]["project_number"] == code, (query, shown)
    rank_own = next((i for i, d in enumerate(found) if d["project_number"] == code and d["name"] in own), None)
    assert rank_own is not None and rank_own < 3, (query, shown)
    copies = [i for i, d in enumerate(found) if firm_wide_copy(d["name"])]
    assert all(i > rank_own for i in copies), (query, shown)


async def test_a_projects_sales_po_report_outranks_every_templates(app_server) -> None:
    app, server = app_server
    sales = own_documents(app, "sales_po")
    projects = {p.code: p for p in app.projects.all()}
    assert len(sales) >= 10  # the demo firm gives most projects a Sales & PO report
    async with Client(server) as client:
        for code, own in sales.items():
            words = projects[code].name.split(" - ", 1)[-1]
            for query in (f"{code} sales and PO report", f"sales and PO report for {words}"):
                assert_own_first(await hits(client, query), code, own, query)


async def test_a_projects_own_register_outranks_the_master_template(app_server) -> None:
    app, server = app_server
    registers = {
        code: own
        for code, names in own_documents(app, "report").items()
        if (own := [n for n in names if "Support Services Register" in n])
    }
    assert registers  # the demo firm files some projects' own registers beside the master template
    async with Client(server) as client:
        templates = await hits(client, "OnSold Support Services Register master template")
        assert templates and firm_wide_copy(templates[0]["name"])  # asked for, the template still comes first
        for code, own in registers.items():
            for query in (f"{code} support services register", f"support register for {code}"):
                assert_own_first(await hits(client, query), code, own, query)
