"""Preview text: the passage around the query's words, else the opening lines, else why there is none."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from quicknav_mcp.tui.search import Preview
from quicknav_mcp.tui.shots import screen_text, settle

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.errors import InvalidInput, NotFound
from quicknav_mcp.search.excerpt import opening_lines

from .helpers import dashboard


@pytest.fixture(scope="module")
def qn(demo_db: Path) -> Iterator[App]:
    with App.open(load_config(db=demo_db, env={}, embed_model="none"), readonly=True) as app:
        yield app


def _doc(app: App, status: str, *, like: str = "%") -> tuple[int, str]:
    row = app.store.query_one(
        "SELECT c.doc_id, coalesce(c.text, '') FROM document_content c JOIN documents d ON d.id = c.doc_id "
        "WHERE c.status = ? AND d.name LIKE ? ORDER BY c.doc_id LIMIT 1",
        (status, like),
    )
    assert row is not None, status
    return row[0], row[1]


def test_the_passage_around_the_query_words_with_prefixes(qn: App) -> None:
    doc_id, text = _doc(qn, "ok", like="%Handover%")
    assert "Salesperson" in text
    out = qn.search.excerpts.excerpt(doc_id, "salesp")  # being typed: a prefix finds the word
    assert out.found and out.kind == "around the query words"
    assert "**Salesperson**" in out.text and len(out.text) < 700


def test_without_the_query_words_the_opening_lines(qn: App) -> None:
    doc_id, text = _doc(qn, "ok", like="%Handover%")
    out = qn.search.excerpts.excerpt(doc_id, "zzqx")
    assert out.found and out.kind == "opening lines"
    lines = out.text.splitlines()
    assert lines[0] == text.splitlines()[0].strip() and len(lines) == len(set(lines))  # a repeated title once
    assert all(ln.strip() for ln in lines) and len(out.text) <= 600


def test_opening_lines_skip_page_numbers_rules_and_repeats() -> None:
    text = "\n\n  Page 1  \n-----\n12\nSite Survey Report\nSite Survey Report\nRooms: 3\n" + "word " * 400
    out = opening_lines(text, width=200)
    assert out.splitlines() == ["Page 1", "Site Survey Report", "Rooms: 3"]


def test_no_text_says_why(qn: App, demo_copy: Path) -> None:
    doc_id, _ = _doc(qn, "unsupported")
    out = qn.search.excerpts.excerpt(doc_id)
    ext = qn.store.query_one("SELECT ext FROM documents WHERE id = ?", (doc_id,))[0]
    assert not out.found and out.kind == "none" and f".{ext} files" in out.note
    conn = sqlite3.connect(demo_copy)
    pending = conn.execute("SELECT doc_id FROM document_content WHERE status = 'ok' LIMIT 1").fetchone()[0]
    conn.execute("DELETE FROM document_content WHERE doc_id = ?", (pending,))
    conn.commit()
    conn.close()
    with App.open(load_config(db=demo_copy, env={}, embed_model="none"), readonly=True) as other:
        waiting = other.search.excerpts.excerpt(pending, "anything")
    assert not waiting.found and waiting.note == "its text is not extracted yet"


def test_bad_ids_are_refused_by_name(qn: App) -> None:
    with pytest.raises(NotFound, match="document 999999"):
        qn.search.excerpts.excerpt(999_999)
    for bad in (0, "7", None):
        with pytest.raises(InvalidInput, match="document_id"):
            qn.search.excerpts.excerpt(bad)


@pytest.mark.anyio
async def test_the_preview_shows_the_documents_own_text(demo_db: Path) -> None:
    async with dashboard(demo_db, size=(100, 40)) as (tui, pilot, _seen):
        pane = tui.query_one("#search-pane")
        pane.pause_s = 600.0
        await pilot.press("slash", *"handover")
        await pilot.press("enter")  # the full search at once, and into the results
        await settle(tui, pilot)
        doc_index = next(i for i, h in enumerate(pane.hits) if h.kind == "document")
        await pilot.press(*["down"] * doc_index, "enter")
        await settle(tui, pilot)
        assert isinstance(tui.screen, Preview) and tui.screen.excerpt is not None
        assert tui.screen.excerpt.found and "**" in tui.screen.excerpt.text
        text = screen_text(tui)
        assert "text (around the query words)" in text
        assert tui.screen.excerpt.text.split("**")[1] in text  # the highlighted word, on screen
