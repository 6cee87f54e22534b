"""Requests with two misspelt words — the client's name and the street — over a demo firm with
document text: each word is corrected on its own against the index's words, the project and its
documents are still found, and the answer says what was corrected."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo import generate_firm
from quicknav_mcp.demo.plan import plan_firm
from quicknav_mcp.server import build_server

pytestmark = pytest.mark.anyio
ENV = {"QUICKNAV_EMBED_MODEL": "none"}
PROJECTS, SEED = 16, 7


@pytest.fixture(scope="module")
def firm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("typos")
    root = base / "firm"
    generate_firm(root, projects=PROJECTS, seed=SEED, content=True)
    db = base / "firm.db"
    with App.open(load_config(db=db, roots=[root], env=ENV)) as app:
        app.indexing.reindex()
        app.search.index_content(extract=True, embed=False, workers=2)
    return root, db


@pytest.fixture
def app(firm, tmp_path: Path):
    root, db = firm
    copy = tmp_path / "q.db"
    shutil.copy(db, copy)
    with App.open(load_config(db=copy, roots=[root], env=ENV)) as opened:
        yield opened


def swapped(word: str) -> str:
    """``word`` with its third and fourth letters swapped (one slip; they differ)."""
    return word[:2] + word[3] + word[2] + word[4:]


def slipped(text: str) -> tuple[str, str, str]:
    """``text`` with one slip in its longest word whose third and fourth letters differ:
    (the new text, the word, the slip) — e.g. ``Logan Rd`` -> ``Lgoan Rd``."""
    words = text.split()
    fit = [w for w in words if len(w) >= 5 and w[2].lower() != w[3].lower() and w.isalpha()]
    word = max(fit, key=len)
    slip = swapped(word)
    return " ".join(slip if w == word else w for w in words), word.lower(), slip.lower()


def cases() -> list[tuple[str, str, dict[str, str]]]:
    """(request, project code, corrections expected) for the projects whose client and street name
    them alone: both misspelt."""
    plan = plan_firm(PROJECTS, SEED)
    out = []
    seen: dict[tuple[str, str], list[str]] = {}
    for code, c in plan.contexts.items():
        street = " ".join(w for w in c.site_short.split() if not w.isdigit())
        seen.setdefault((c.client.name, street), []).append(code)
    for (client, street), codes in seen.items():
        clients = [k for (cl, _), v in seen.items() if cl == client for k in v]
        if len(codes) != 1 or len(clients) < 2 or not any(len(w) >= 5 for w in street.split()):
            continue  # the street must be what tells the client's projects apart
        bad_client, c_word, c_slip = slipped(client)
        bad_street, s_word, s_slip = slipped(street)
        out.append((f"{bad_client} {bad_street}", codes[0], {c_slip: c_word, s_slip: s_word}))
    assert out, "the demo firm has a client with projects in two streets"
    return out[:3]


def test_two_misspelt_words_find_the_project_and_both_fixes_are_named(app: App) -> None:
    for request, code, fixes in cases():
        res = app.search.search_projects(request, limit=5, include_facets=False)
        assert res.projects and res.projects[0].project_number == code, (request, res.projects[:2])
        assert res.understood.corrections == fixes
        said = " ".join(res.suggestions).lower()
        assert all(right in said for right in fixes.values()), res.suggestions


def test_two_misspelt_words_find_the_projects_sales_po_report(app: App) -> None:
    for request, code, fixes in cases():
        res = app.search.search_documents(f"sales po report for {request}", limit=5, include_facets=False)
        top = res.documents[0]
        assert f"/{code} - " in top.path and re.search(r"sales & po", top.name, re.I), (request, top.path)
        assert res.understood.corrections == fixes


async def test_the_mcp_answer_says_what_was_corrected(firm, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUICKNAV_EMBED_MODEL", "none")
    root, db = firm
    copy = tmp_path / "m.db"
    shutil.copy(db, copy)
    server = build_server(lambda: App.open(load_config(db=copy, roots=[root], user="tester", env=ENV)))
    request, code, fixes = cases()[0]
    async with Client(server) as client:
        result = await client.call_tool("search_projects", {"query": request})
        assert not result.is_error, result.content
        out: dict[str, Any] = result.structured_content
    assert out["projects"][0]["project_number"] == code
    assert out["understood"]["corrections"] == fixes
    assert any("did you mean" in s for s in out["suggestions"])
