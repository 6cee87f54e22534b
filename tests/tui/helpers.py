"""Opening a dashboard over the demo database in a test."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from quicknav_mcp.tui.app import QuickNavTUI
from quicknav_mcp.tui.shots import DEMO_USER, screen_text, settle

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config

from .conftest import NOW_MS


@asynccontextmanager
async def dashboard(
    db: Path, *, size: tuple[int, int] = (80, 24), readonly: bool = True, **kwargs: Any
) -> AsyncIterator[tuple[QuickNavTUI, Any, dict[str, list[str]]]]:
    """A running dashboard (frozen clock, recording opener and copier) and its pilot."""
    seen: dict[str, list[str]] = {"opened": [], "copied": []}
    kwargs.setdefault("clock", lambda: NOW_MS)
    config = load_config(db=db, user=DEMO_USER, env={}, embed_model="none")
    with App.open(config, readonly=readonly) as qn:
        tui = QuickNavTUI(qn, opener=seen["opened"].append, copier=seen["copied"].append, **kwargs)
        async with tui.run_test(size=size) as pilot:
            await settle(tui, pilot)
            yield tui, pilot, seen


_VOLATILE = (
    (re.compile(r"documents in \d+ ms"), "documents in N ms"),  # wall-clock search time
    (re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d"), "YYYY-MM-DD hh:mm"),  # when the models were trained
    (re.compile(r"\b\d\d-\d\d \d\d:\d\d:\d\d"), "MM-DD hh:mm:ss"),  # when the index was scanned
    (re.compile(r"quicknav-tui-[0-9a-f]{8}"), "quicknav-tui-XXXXXXXX"),  # the checkout's demo folder
    (re.compile(r"([▁▂▃▄▅▆▇█])\1(?= ?[│▎]| ?$)", re.M), "##"),  # a scrollbar's thumb: its eighths vary with timing
)


def stable_text(tui: QuickNavTUI) -> str:
    """The screen as text, with the few figures that depend on when the test runs masked."""
    text = screen_text(tui)
    for pattern, replacement in _VOLATILE:
        text = pattern.sub(replacement, text)
    return text
