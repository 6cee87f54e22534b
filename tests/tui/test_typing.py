"""Search as you type: each keystroke shows the type-ahead; a pause or Enter shows the full search."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from quicknav_mcp.tui.search import DEBOUNCE_S
from quicknav_mcp.tui.shots import screen_text, settle
from textual.widgets import OptionList, SelectionList

from quicknav_mcp.search.typeahead import prefix_matches

from .helpers import dashboard

pytestmark = pytest.mark.anyio


async def test_keystrokes_show_the_typeahead_and_enter_the_full_search(demo_db: Path) -> None:
    async with dashboard(demo_db, size=(100, 32)) as (tui, pilot, _seen):
        pane = tui.query_one("#search-pane")
        pane.pause_s = 600.0  # no pause ends the typing here: only Enter starts the full search
        await pilot.press("slash", *"floor pl")
        await settle(tui, pilot)
        assert pane.last is not None and pane.last.query == "floor pl" and pane.last.typeahead is not None
        assert pane.last.documents is None and pane.hits  # no full search yet
        assert all(prefix_matches(h.title, "floor pl") for h in pane.hits if h.kind == "document")
        text = screen_text(tui)
        assert "pause or Enter for the full search" in text
        assert tui.query_one("#facets", SelectionList).option_count == 0  # facets come with the full search
        await pilot.press("enter")
        await settle(tui, pilot)
        assert pane.last.typeahead is None and pane.last.documents is not None
        assert tui.query_one("#facets", SelectionList).option_count > 0
        assert tui.query_one("#results", OptionList).has_focus  # Enter also moves into the results
        assert "documents in" in screen_text(tui)


async def test_a_pause_in_typing_runs_the_full_search(demo_db: Path) -> None:
    async with dashboard(demo_db, size=(100, 32)) as (tui, pilot, _seen):
        pane = tui.query_one("#search-pane")
        await pilot.press("slash", *"system des")
        await asyncio.sleep(DEBOUNCE_S + 0.05)
        await settle(tui, pilot)
        assert pane.last.query == "system des" and pane.last.documents is not None  # the full search's answer
        assert pane.full_ms and pane.keystroke_ms  # both were shown (the benchmark reads these)
        await pilot.press("backspace", "backspace", "backspace", "backspace")  # "system": one more keystroke
        await settle(tui, pilot)
        assert pane.last.query == "system"  # never an older text's answer


async def test_one_letter_waits_and_a_typo_finds_nothing_quietly(demo_db: Path) -> None:
    async with dashboard(demo_db, size=(100, 32)) as (tui, pilot, _seen):
        pane = tui.query_one("#search-pane")
        pane.pause_s = 600.0
        await pilot.press("slash", "f")
        await settle(tui, pilot)
        assert "keep typing" in screen_text(tui) and not pane.hits
        await pilot.press(*"zzq")
        await settle(tui, pilot)
        assert pane.last.query == "fzzq" and pane.last.typeahead is not None and not pane.hits
