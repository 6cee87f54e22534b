"""Requests phrased the way people and assistants pass them on, through the real MCP client over
the real-path sample tree: what is asked for (kind, ordinal, recency, level) outweighs where it is
and the filler around it; bad input gets a clear answer."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from quicknav_mcp.config import load_config
from quicknav_mcp.server import build_server

pytestmark = pytest.mark.anyio


@pytest.fixture
def server(sample_db: Path, sample_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("QUICKNAV_EMBED_MODEL", "none")
    copy = tmp_path / "s.db"
    shutil.copy(sample_db, copy)
    config = load_config(db=copy, roots=[sample_root], user="tester", env={"QUICKNAV_EMBED_MODEL": "none"})
    from quicknav_mcp.app import App

    return build_server(lambda: App.open(config))


async def docs(client: Client, query: str) -> dict[str, Any]:
    result = await client.call_tool("search_documents", {"query": query})
    assert not result.is_error, result.content[0].text
    return result.structured_content


def names(out: dict[str, Any], n: int = 3) -> list[str]:
    return [d["path"].rsplit("/", 1)[-1] for d in out["documents"][:n]]


@pytest.mark.parametrize(
    ("request_text", "wanted", "reason"),
    [
        ("the third change order for the Poolwerx training room", "Training Room & Level 1 Upgrades - CO3.pdf", "CO3"),
        ("can you find the 2nd CO on the Downer job", "Project B1012 -  CO2.pdf", "CO2"),
        ("change order no. 4 for Spotless B1012", "Project B1012 - CO4.pdf", "CO4"),
        ("what's the latest change order for 20692", "Project B1012 - CO8.pdf", "latest CO8"),
        ("current drawing of level 3 for 50 Quay St", "50 QUAY ST - LEVEL 3 - Rev 107.pdf", "level 3"),
        ("find the latest as-built design for the Poolwerx training room", "Rev 102 AS-BUILT.pdf", "as-built"),
    ],
)
async def test_asked_kind_ordinal_and_level_rank_first(server, request_text: str, wanted: str, reason: str) -> None:
    async with Client(server) as client:
        out = await docs(client, request_text)
        top = out["documents"][0]
        assert top["path"].endswith(wanted), names(out)
        assert reason in top["why"]


async def test_what_was_understood_is_in_the_answer_and_typos_are_named(server) -> None:
    async with Client(server) as client:
        out = await docs(client, "can you pull up the thrid change order for Spotles B1012")
        assert names(out, 1)[0].endswith("Project B1012 -  CO3.pdf")
        understood = out["understood"]
        assert understood["change_order"] == 3 and understood["corrections"] == {"spotles": "spotless"}
        assert {"pull", "up"} <= set(understood["filler"])
        assert any("did you mean" in s and "spotless" in s.lower() for s in out["suggestions"])
        out = await docs(client, "latest CO on the Dwoner job")
        assert out["understood"]["latest_change_order"] and names(out, 1)[0].endswith("CO8.pdf")
        assert out["understood"]["corrections"] == {"dwoner": "downer"}
        out = await docs(client, "Poolwerx L1 design")
        assert out["understood"]["level"] == 1
        projects = await client.call_tool("search_projects", {"query": "Pooolwerx trianing room"})
        assert projects.structured_content["projects"][0]["project_number"] == "21614"


async def test_latest_sales_po_beats_swms_and_the_firm_wide_template(server) -> None:
    async with Client(server) as client:
        out = await docs(client, "I need the latest Sales & PO report for the Poolwerx training room job")
        assert names(out, 1) == [
            "21614 - Poolwerx - Training Room & Level 1 Upgrades - Sales & PO Report - 03.04.2025.pdf"
        ]
        top3 = names(out)
        assert not any("SWMS" in n or "Template" in n for n in top3), top3
        why = out["documents"][0]["why"]
        assert "type sales_po" in why and any(w.startswith("where: ") and "poolwerx" in w for w in why)
        # The register template sits in both projects; asking for something else puts it last.
        out = await docs(client, "sales po report 20692")
        assert all("Template" not in n for n in names(out, 5))


async def test_glued_names_are_read_as_words(server) -> None:
    async with Client(server) as client:
        out = await docs(client, "room layout for the Downer B1012 job")
        hit = next(d for d in out["documents"][:2] if d["path"].endswith("RoomLayout.docx"))
        assert hit["doc_type"] == "floor_plans" and "named: room layout" in hit["why"]
        out = await docs(client, "roomlayout")
        assert names(out, 1) == ["RoomLayout.docx"]


async def test_filler_and_number_only_requests_get_clear_answers(server) -> None:
    async with Client(server) as client:
        r = await client.call_tool("search_documents", {"query": "can you find it for me please"})
        assert r.is_error
        text = r.content[0].text
        assert "empty" in text and "only asks" in text and "project number" in text
        out = await docs(client, "42")
        assert any("only a number" in s for s in out["suggestions"])
        # The process keeps serving.
        assert (await docs(client, "20692 rev 102"))["documents"][0]["revision"] == 102


async def test_very_long_and_mixed_script_requests_are_answered(server) -> None:
    async with Client(server) as client:
        long = "please find the Poolwerx training room sales and PO report " + "and thanks again " * 1200
        out = await docs(client, long)
        assert any("cut to its first" in s for s in out["suggestions"])
        assert "Sales & PO Report" in names(out, 1)[0]
        out = await docs(client, "Poolwerx 项目 プロジェクト SWMS")
        assert "SWMS" in names(out, 1)[0]
        out = await docs(client, "x" * 10_000)  # one 1,000-letter word: nothing found, no error
        assert out["total_count"] == 0 and out["suggestions"]


async def test_a_request_naming_no_kind_ranks_the_name_covering_its_rare_words_first(server) -> None:
    # "power" and "data" are in one series of names, "schedule" in two, "quay" in every candidate's project.
    async with Client(server) as client:
        out = await docs(client, "the power and data schedule for 50 Quay St")
        top = out["documents"][0]
        assert top["path"].endswith("MASTER POWER & DATA SCHEDULE - Rev 1.05.pdf"), names(out)
        assert any(w.startswith("covers: ") and "power data schedule" in w for w in top["why"]), top["why"]
        cable = next(d for d in out["documents"] if "CABLE SCHEDULE - Rev 1.06" in d["path"])
        assert not any("power" in w for w in cable["why"] if w.startswith("covers: "))
