"""Snapshots: each screen at 80x24, as text, against the stored one (frozen clock, generated demo firm).

After an intended change of a screen, regenerate with ``QUICKNAV_TUI_SNAPSHOTS=update`` and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from quicknav_mcp.tui.shots import SCREENS, visit

from .helpers import dashboard, stable_text

pytestmark = pytest.mark.anyio
STORED = Path(__file__).parent / "snapshots"


@pytest.mark.parametrize("screen", SCREENS)
async def test_screen_matches_its_snapshot(demo_db: Path, screen: str) -> None:
    async with dashboard(demo_db) as (tui, pilot, _seen):
        if screen == "preview":
            await visit(tui, pilot, "search")
        await visit(tui, pilot, screen)
        text = stable_text(tui)
    stored = STORED / f"{screen}.txt"
    if os.environ.get("QUICKNAV_TUI_SNAPSHOTS") == "update":
        stored.write_text(text + "\n", encoding="utf-8")
    assert stored.exists(), f"no snapshot {stored.name}; create it with QUICKNAV_TUI_SNAPSHOTS=update"
    assert text == stored.read_text(encoding="utf-8").rstrip("\n")


async def test_every_screen_fits_80_by_24(demo_db: Path) -> None:
    async with dashboard(demo_db) as (tui, pilot, _seen):
        for screen in SCREENS:
            await visit(tui, pilot, screen)
            lines = stable_text(tui).splitlines()
            assert len(lines) == 24 and all(len(line) <= 80 for line in lines)
            assert "Quit" in lines[-1] or "Close" in lines[-1] or "palette" in lines[-1]  # the footer is there
