"""Pilot tests: every screen and action, driven by keys as a person would."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from quicknav_mcp.tui.app import DARK, LIGHT
from quicknav_mcp.tui.search import DEBOUNCE_S, Preview
from quicknav_mcp.tui.shots import screen_text, settle
from textual.widgets import Input, OptionList, SelectionList, TabbedContent

from .helpers import dashboard

pytestmark = pytest.mark.anyio


async def _search(tui, pilot, query: str) -> None:
    await pilot.press("escape", "slash", *query)
    await asyncio.sleep(DEBOUNCE_S + 0.05)  # past the typing pause: the full search
    await settle(tui, pilot)


async def test_home_is_the_first_screen_with_every_block(demo_db: Path) -> None:
    async with dashboard(demo_db, size=(100, 50)) as (tui, _pilot, _seen):
        text = screen_text(tui)
        assert tui.query_one(TabbedContent).active == "home"
        assert "events per minute, last hour  90" in text  # the demo's last hour of tool calls
        assert "36 searches, 9 found nothing" in text and "floor plan" in text
        assert "navigate_project" in text and "search_documents" in text  # p95 per tool
        assert "30 projects" in text and "text   ██████" in text  # index with its backlog bars
        assert "recommender v1" in text and "next_project v1" in text and "A/B: none running" in text
        assert tui.first_paint_s is not None


async def test_number_keys_switch_screens_and_slash_focuses_search(demo_db: Path) -> None:
    async with dashboard(demo_db) as (tui, pilot, _seen):
        tabs = tui.query_one(TabbedContent)
        for key, tab in (("3", "foryou"), ("4", "analytics"), ("1", "home"), ("2", "search")):
            await pilot.press("escape", key)
            await settle(tui, pilot)
            assert tabs.active == tab
        await pilot.press("escape", "4", "slash")
        assert tabs.active == "search"
        assert tui.focused is tui.query_one("#q", Input)


async def test_typing_shows_projects_and_documents_and_facets_narrow(demo_db: Path) -> None:
    async with dashboard(demo_db) as (tui, pilot, _seen):
        await _search(tui, pilot, "as built")
        pane = tui.query_one("#search-pane")
        kinds = {h.kind for h in pane.hits}
        assert "document" in kinds
        assert tui.query_one("#results", OptionList).option_count == len(pane.hits)
        facets = tui.query_one("#facets", SelectionList)
        assert facets.option_count > 0
        before = pane.last.documents.total_count
        # narrow to one project with the keyboard: into the facets, down to a project value, space
        values = [str(facets.get_option_at_index(i).value) for i in range(facets.option_count)]
        target = next(i for i, v in enumerate(values) if v.startswith("project\t"))
        facets.focus()
        facets.highlighted = target
        await pilot.press("space")
        await settle(tui, pilot)
        code = values[target].split("\t")[1]
        after = pane.last.documents
        assert after.total_count < before
        assert after.documents and {d.project_number for d in after.documents} == {code}


async def test_enter_previews_a_document_with_its_revision_history(demo_db: Path) -> None:
    async with dashboard(demo_db, size=(100, 40)) as (tui, pilot, seen):
        await _search(tui, pilot, "lld")
        pane = tui.query_one("#search-pane")
        doc_index = next(i for i, h in enumerate(pane.hits) if h.kind == "document")
        await pilot.press("enter", *["down"] * doc_index, "enter")
        await settle(tui, pilot)
        assert isinstance(tui.screen, Preview)
        hit = tui.screen.hit
        history = tui.screen.history
        assert hit.detail.id in {d.id for d in history}
        assert sum(d.is_current for d in history) == 1  # the current one of the series is marked
        text = screen_text(tui)
        assert "revision history of this series" in text and "●" in text
        assert "CURRENT" in text or "superseded" in text
        await pilot.press("o", "x", "c")
        assert seen["opened"] == [str(Path(hit.path).parent), hit.path]
        assert seen["copied"] == [hit.path]
        await pilot.press("escape")
        assert not isinstance(tui.screen, Preview)


async def test_actions_from_the_results_list_use_the_injected_opener(demo_db: Path) -> None:
    async with dashboard(demo_db) as (tui, pilot, seen):
        await _search(tui, pilot, "lld")
        await pilot.press("enter")  # into the results
        first = tui.query_one("#search-pane").hits[0]
        await pilot.press("o", "c")
        assert seen["opened"] == [first.path if first.kind == "project" else str(Path(first.path).parent)]
        assert seen["copied"] == [first.path]


async def test_opening_a_vanished_file_says_so_and_launches_nothing(demo_db: Path) -> None:
    async with dashboard(demo_db) as (tui, _pilot, seen):
        tui.open_file("/nowhere/at/all.pdf")
        assert seen["opened"] == []


async def test_for_you_shows_recommendations_and_predictions_with_reasons(demo_db: Path) -> None:
    async with dashboard(demo_db, size=(100, 60)) as (tui, pilot, _seen):
        await pilot.press("3")
        await settle(tui, pilot)
        text = screen_text(tui)
        assert "Recommended for user003" in text
        assert "Next project, predicted" in text
        assert "you opened" in text or "people who work on" in text  # reasoning is shown


async def test_analytics_range_keys_and_a_typed_range(demo_db: Path) -> None:
    async with dashboard(demo_db, size=(100, 60)) as (tui, pilot, _seen):
        await pilot.press("4")
        await settle(tui, pilot)
        text = screen_text(tui)
        assert "last 30d: 2026-04-27 → 2026-05-27" in text
        assert "Mon" in text and "Sun" in text  # the hour-of-week heatmap
        assert "unusual" in text or "nothing unusual" in text  # anomalies with their summary
        await pilot.press("right_square_bracket")
        await settle(tui, pilot)
        assert "last 90d" in screen_text(tui)
        await pilot.press("e", *"2026-05-01/2026-05-08", "enter")
        await settle(tui, pilot)
        assert "custom: 2026-05-01 → 2026-05-08" in screen_text(tui)


async def test_help_lists_every_key_and_the_palette_offers_every_action(demo_db: Path) -> None:
    async with dashboard(demo_db, size=(100, 50)) as (tui, pilot, _seen):
        await pilot.press("question_mark")
        await settle(tui, pilot)
        text = screen_text(tui)
        for _scope, key, description in tui.key_rows():
            assert f"{key:<14}{description}" in text.replace("  ", " ") or description in text
        await pilot.press("escape")
        titles = {c.title for c in tui.get_system_commands(tui.screen)}
        wanted = {"Show Home", "Show Search", "Show For you", "Show Analytics", "Find", "Refresh", "Keys"}
        wanted |= {"Toggle light/dark", "Open folder", "Open file", "Copy path", "Preview"}
        wanted |= {"Shorter range", "Longer range", "Edit range"}
        assert wanted <= titles


async def test_t_toggles_light_and_dark_and_q_exits_zero(demo_db: Path) -> None:
    async with dashboard(demo_db) as (tui, pilot, _seen):
        assert tui.theme == DARK
        await pilot.press("t")
        assert tui.theme == LIGHT
        await pilot.press("t", "q")
        await pilot.pause()
    assert tui.return_code == 0


async def test_bad_typed_ranges_are_refused_and_the_screen_keeps_working(demo_db: Path) -> None:
    async with dashboard(demo_db, size=(100, 40)) as (tui, pilot, _seen):
        await pilot.press("4", "e", *"yesterday-ish", "enter")
        await settle(tui, pilot)
        assert tui.query_one("#analytics-pane").custom is None  # not START/END: refused
        await pilot.press("escape", "e", "ctrl+u", *"2026-13-45/2026-14-01", "enter")
        await settle(tui, pilot)  # the services refuse the dates; the error is a notification
        assert "custom: 2026-13-45" in screen_text(tui)
        await pilot.press("escape", "1")
        await settle(tui, pilot)
        assert tui.query_one(TabbedContent).active == "home"
