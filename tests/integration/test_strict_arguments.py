"""Strict arguments through the real MCP client (in memory): unknown argument names, what a project
number may be, literal matches that keep numbers whole, and resource argument errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.server import build_server
from tests.conftest import SAMPLE_PATHS, build_tree

pytestmark = pytest.mark.anyio

# Two more real projects beside the sample's four: 18810's name holds a job number in brackets
# (2501), and 21620 is the only folder with "Collab" in its name; both have change orders.
HEARING_LOOP = "Project Folders/18000 - 18999/18810 - PAVS SA SAAB Hearing Loop (2501)"
COLLAB = "Project Folders/21000 - 21999/21620 - PAVS SA Collab MR Renewal Phase 2 inst"
EXTRA_PATHS = [
    f"{HEARING_LOOP}/1. Sales Handover/18810 - Project Handover Document.pdf",
    f"{HEARING_LOOP}/1. Sales Handover/PAVS SA Documents/Hearing augmentation SOW.docx",
    f"{HEARING_LOOP}/2. BOM & Orders/Sales & Change Orders/18810 - PAVS-SA - SAAB Hearing Loop (2501) - "
    "Sales & PO Report - 17.12.2024.pdf",
    f"{HEARING_LOOP}/2. BOM & Orders/Sales & Change Orders/Change Orders/18810 - PAVS-SA - SAAB Hearing Loop "
    "(2501) - CO2.pdf",
    f"{HEARING_LOOP}/4. System Designs/18810 - SAAB HEARING LOOP (2501) - Rev 102.pdf",
    f"{COLLAB}/1. Sales Handover/21620 - Project Handover Document.pdf",
    f"{COLLAB}/1. Sales Handover/21620 - ScopeOfWork.rtf",
    f"{COLLAB}/1. Sales Handover/SANTOS AS BUILTS/P15871QSW Santos Operations Centres - Phase 1  - "
    "Schematics-Curtis Island Collab Room - AS BUILT.pdf",
    f"{COLLAB}/2. BOM & Orders/Sales & Change Orders/21620 - PAVS SA - Collab Meeting Room Renewal Phase 2 "
    "Install - Sales & PO Report - 05.06.2025.pdf",
    f"{COLLAB}/2. BOM & Orders/Sales & Change Orders/Change Orders/21620 - PAVS SA - Collab CO1.pdf",
]


@pytest.fixture(scope="module")
def six_projects(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("six") / "Project Files"
    root.mkdir()
    lines = SAMPLE_PATHS.read_text(encoding="utf-8").splitlines() + EXTRA_PATHS
    build_tree(root, lines)
    db = root.parent / "six.db"
    with App.open(load_config(db=db, roots=[root], env={})) as app:
        assert app.indexing.reindex()[0]["problems"] == 0
    return root, db


@pytest.fixture(scope="module")
def app(six_projects: tuple[Path, Path]):
    root, db = six_projects
    application = App.open(load_config(db=db, roots=[root], user="tester", env={}))
    yield application
    application.close()


@pytest.fixture
def server(app: App):
    return build_server(lambda: app, close_on_exit=False)


async def navigate(client: Client, value: object) -> dict[str, Any]:
    result = await client.call_tool("navigate_project", {"project_number": value})
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


def error_text(result: Any) -> str:
    assert result.is_error, result.structured_content
    return result.content[0].text


# ---- unknown argument names -------------------------------------------------------------


async def test_a_misspelled_argument_is_named_with_the_closest_valid_one(server) -> None:
    async with Client(server) as client:
        r = await client.call_tool("search_documents", {"query": "design", "projectNumber": "21614"})
        text = error_text(r)
        assert "unknown argument 'projectNumber'; did you mean 'project_number'?" in text
        assert "search_documents takes: query, project_number, doc_type" in text
        # Spelled right, the same call searches the one project.
        ok = await client.call_tool("search_documents", {"query": "design", "project_number": "21614"})
        assert not ok.is_error
        assert {d["project_number"] for d in ok.structured_content["documents"]} == {"21614"}


async def test_every_tool_refuses_unknown_arguments(server) -> None:
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
        assert len(tools) >= 14
        for tool in tools:
            valid = list(tool.input_schema.get("properties", {}))
            # Nothing runs (not even reindex): the check comes before the tool.
            r = await client.call_tool(tool.name, {"bogus_option": 1})
            text = error_text(r)
            assert text.startswith(f"Error executing tool {tool.name}: unknown argument 'bogus_option'"), text
            assert (f"{tool.name} takes: {', '.join(valid)}" if valid else "takes no arguments") in text
            if valid:  # each argument name in another spelling is recognised
                camel = valid[0].split("_")[0] + "".join(p.title() for p in valid[0].split("_")[1:]) + "X"
                r = await client.call_tool(tool.name, {camel: 1})
                assert f"did you mean '{valid[0]}'?" in error_text(r), (tool.name, camel)
        status = await client.call_tool("index_status", {})
        assert not status.is_error


async def test_a_tool_registered_later_is_checked_too(server) -> None:
    async with Client(server) as client:
        assert not (await client.call_tool("index_status", {})).is_error  # the argument names are cached now

        @server.tool()
        def echo_count(counts: int) -> int:
            """Registered after the server started serving."""
            return counts

        text = error_text(await client.call_tool("echo_count", {"count": 3}))
        assert "unknown argument 'count'; did you mean 'counts'? (echo_count takes: counts)" in text
        assert (await client.call_tool("echo_count", {"counts": 3})).structured_content == {"result": 3}


async def test_several_unknown_arguments_are_all_named(server) -> None:
    async with Client(server) as client:
        r = await client.call_tool(
            "find_documents", {"project_number": "21614", "docType": "lld", "Mode": "all", "colour": "red"}
        )
        text = error_text(r)
        assert "unknown arguments 'docType' (did you mean 'doc_type'?), 'Mode' (did you mean 'mode'?), 'colour'" in text


async def test_refused_calls_are_tracked_as_errors(server, app: App) -> None:
    async with Client(server) as client:
        assert (await navigate(client, "21614"))["status"] == "success"  # opens the App, which tracks
        assert (await client.call_tool("get_project", {"projectNumber": "21614"})).is_error
    assert app.analytics.wait_for_rollups(10)
    row = app.store.query_one(
        "SELECT operation, error FROM events WHERE operation = 'get_project' ORDER BY seq DESC LIMIT 1"
    )
    assert tuple(row) == ("get_project", 1)


# ---- what a project number may be -------------------------------------------------------


async def test_digits_inside_longer_numbers_are_not_a_match(server) -> None:
    async with Client(server) as client:
        for value in ("501", 501, "2161", "1614", "216"):
            out = await navigate(client, value)
            assert out["status"] == "error", (value, out)
            assert "whole numbers" in out["message"]
        # The whole number finds the folder that holds it, with or without its brackets.
        for value in ("2501", "(2501)", "1012", "B1012"):
            out = await navigate(client, value)
            assert out["status"] == "success", (value, out)
        assert "18810" in (await navigate(client, "(2501)"))["path"]
        assert "20692" in (await navigate(client, "1012"))["path"]


async def test_operators_and_short_numbers_are_clear_errors(server) -> None:
    async with Client(server) as client:
        for value in ("-1", -1, "1 OR 1=1", "12", "0", "*", "--", "AND OR"):
            out = await navigate(client, value)
            assert out["status"] == "error", (value, out)
            assert "5-digit project number like 17741" in out["message"], out
            assert not out.get("paths") and not out.get("projects")


async def test_booleans_are_refused_as_project_numbers(server) -> None:
    async with Client(server) as client:
        for tool, args in [
            ("navigate_project", {"project_number": True}),
            ("navigate_project", {"project_number": False}),
            ("get_project", {"project_number": True}),
            ("find_documents", {"project_number": True}),
            ("list_project_documents", {"project_number": False}),
        ]:
            assert "not true/false" in error_text(await client.call_tool(tool, args)), tool


async def test_query_syntax_and_change_order_words_do_not_falsely_succeed(server) -> None:
    async with Client(server) as client:
        # "CO-1": "1" was found inside 21620; "col:*": ":*" was dropped and "col" found in Collab.
        for value in ("CO-1", "col:*", "Phase 1", "hearing loop 501"):
            out = await navigate(client, value)
            assert out["status"] != "success", (value, out)
        out = await navigate(client, "col:*")
        if out["status"] == "select":
            assert "not by name" in out["message"]
        # Plain words still search folder and client names as before.
        for value, code in [("col", "21620"), ("Collab", "21620"), ("Phase 2", "21620"), ("SAAB?", "18810")]:
            out = await navigate(client, value)
            assert out["status"] == "success" and code in out["path"], (value, out)
        out = await navigate(client, "PAVS SA")
        assert out["status"] == "select" and len(out["paths"]) == 2


async def test_project_numbers_in_any_digits(server) -> None:
    async with Client(server) as client:
        for value in ("２１６１４", "٢١٦١٤", "२१६१४", "۲۱۶۱۴", 21614):
            out = await navigate(client, value)
            assert out["status"] == "success" and "21614" in out["path"], (value, out)
            got = await client.call_tool("get_project", {"project_number": value})
            assert not got.is_error and got.structured_content["project_number"] == "21614"
        out = await client.call_tool("find_documents", {"project_number": "٢٠٦٩٢", "doc_type": "lld"})
        assert out.structured_content["status"] == "success"
        assert out.structured_content["path"].endswith("Rev 102 - AS BUILT.pdf")
        page = await client.call_tool("list_project_documents", {"project_number": "२०६९२", "limit": 3})
        assert page.structured_content["project_number"] == "20692" and page.structured_content["documents"]


# ---- resource arguments -----------------------------------------------------------------


async def read(client: Client, uri: str) -> str:
    return (await client.read_resource(uri)).contents[0].text


async def test_bad_resource_arguments_are_invalid_params(server) -> None:
    async with Client(server) as client:
        for uri, reason in [
            ("quicknav://projects/page/abc", "page must be a whole number from 1 to 10000, got 'abc'"),
            ("quicknav://projects/page/0", "got 0"),
            ("quicknav://projects/page/-1", "got '-1'"),
            ("quicknav://projects/page/1.5", "got '1.5'"),
            ("quicknav://projects/page/10001", "got 10001"),
            ("quicknav://projects/page/１７７４１", "got 17741"),  # was read as offset 1,774,000
            ("quicknav://projects/page/99999999999999999999999", "page must be a whole number"),
            ("quicknav://projects/abc", "5-digit project number"),
            ("quicknav://projects/page", "5-digit project number"),
            ("quicknav://projects/216/documents", "5-digit project number"),
            ("quicknav://projects/99999", "99999 not found"),
            (f"quicknav://users/{'x' * 200}/activity", "user_id must be 1 to 128 characters"),
        ]:
            with pytest.raises(MCPError) as err:
                await client.read_resource(uri)
            assert err.value.code == INVALID_PARAMS, (uri, err.value.code, err.value.message)
            assert reason in err.value.message, (uri, err.value.message)


async def test_resource_digits_are_normalised_like_project_numbers(server) -> None:
    async with Client(server) as client:
        first = await read(client, "quicknav://projects/page/1")
        assert '"total_count":6' in first
        for page in ("１", "١", "१", "0001"):
            assert await read(client, f"quicknav://projects/page/{page}") == first
        assert '"projects":[]' in await read(client, "quicknav://projects/page/10000")
        assert "PLWRX" in await read(client, "quicknav://projects/٢١٦١٤")
        assert "POOLWERX" in await read(client, "quicknav://projects/２１６１４/documents")
