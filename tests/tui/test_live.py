"""Live: the dashboard keeps working while another process writes events, and never takes the write lock."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from quicknav_mcp.tui.live import BusLive, PollLive
from quicknav_mcp.tui.shots import screen_text, settle

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config

from .conftest import NOW_MS
from .helpers import dashboard

pytestmark = pytest.mark.anyio
DEMO_LAST_HOUR = 90  # the demo's timed tool calls in the hour before NOW_MS

WRITER = textwrap.dedent(
    """
    import sys, time
    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    db, now, batches = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with App.open(load_config(db=db, env={}, embed_model="none")) as app:
        print("ready", flush=True)
        for b in range(batches):
            events = [
                {"event_id": f"w-{b}-{i}", "event_type": "project_view", "user_id": "writer",
                 "project_id": "20653", "timestamp": (now - 120_000 + i) / 1000}
                for i in range(20)
            ]
            result = app.analytics.track_events(events)
            assert result.failed_items == 0, result.errors
            time.sleep(0.05)
    print("done", flush=True)
    """
)


def _count(text: str) -> int:
    line = next(ln for ln in text.splitlines() if "events per minute, last hour" in ln)
    return int(line.split("last hour")[1].strip(" │").replace(",", ""))


async def test_dashboard_follows_another_process_writing_events(demo_copy: Path) -> None:
    batches = 40
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(demo_copy), str(NOW_MS), str(batches)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        async with dashboard(demo_copy, size=(100, 40)) as (tui, pilot, _seen):
            assert tui.qn.store.readonly and isinstance(tui.live, PollLive)
            tui.live.interval = 0.2
            before = _count(screen_text(tui))
            # search keeps answering while the writer commits
            await pilot.press("slash", *"lld")
            await asyncio.sleep(0.2)
            await settle(tui, pilot)
            assert tui.query_one("#search-pane").hits
            await pilot.press("escape", "1")
            deadline = time.monotonic() + 60
            while writer.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.3)
            assert writer.returncode == 0  # every batch committed: the dashboard never held the lock
            assert writer.stdout.readline().strip() == "done"
            # One poll plus the refresh throttle (~2.5 s); a loaded machine may take longer.
            deadline, after = time.monotonic() + 30, before
            while after != DEMO_LAST_HOUR + batches * 20 and time.monotonic() < deadline:
                await asyncio.sleep(0.5)
                await settle(tui, pilot)
                after = _count(screen_text(tui))
            assert after > before  # refreshed by itself, with no key pressed
            assert after == DEMO_LAST_HOUR + batches * 20
    finally:
        if writer.poll() is None:
            writer.kill()
        writer.wait()


async def test_inside_the_server_process_it_follows_the_bus(demo_copy: Path) -> None:
    async with dashboard(demo_copy, size=(100, 40), readonly=False) as (tui, pilot, _seen):
        assert isinstance(tui.live, BusLive)
        before = _count(screen_text(tui))
        events = [
            {
                "event_id": f"bus-{i}",
                "event_type": "project_view",
                "user_id": "u",
                "project_id": "20653",
                "timestamp": (NOW_MS - 60_000) / 1000,
            }
            for i in range(7)
        ]
        tui.qn.analytics.track_events(events)
        await asyncio.sleep(2.5)
        await settle(tui, pilot)
        assert _count(screen_text(tui)) == before + 7


def test_read_only_app_takes_no_write_lock(demo_copy: Path) -> None:
    with App.open(load_config(db=demo_copy, env={}, embed_model="none"), readonly=True) as qn:
        qn.analytics.dashboard()
        qn.recommend.recommend_projects("user003", 3)  # its impression is dropped, not written
        with App.open(load_config(db=demo_copy, env={}, embed_model="none")) as writer, writer.store.transaction():
            pass  # BEGIN IMMEDIATE succeeds at once beside the reader
        with pytest.raises(Exception, match="read-only"), qn.store.transaction():
            pass
