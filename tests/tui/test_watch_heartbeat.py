"""Home beside a separate watching process: its recorded heartbeat and last change, then "no watcher"."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from quicknav_mcp.indexers.watch_beat import recorded
from quicknav_mcp.tui.shots import screen_text, settle

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config

from .helpers import dashboard

pytestmark = pytest.mark.anyio
SD = "4. System Designs"
PROJECT = "20692 - DOWNER PROJECT B1012"
DEADLINE = 30.0  # bounds a stuck test; a beat is recorded within about a second of starting


def _tree(root: Path) -> None:
    (root / PROJECT / SD).mkdir(parents=True)
    (root / PROJECT / SD / "20692 - DOWNER - Rev 100.pdf").write_bytes(b"%PDF-1.4 downer")


@contextmanager
def watching(db: Path, root: Path) -> Iterator[subprocess.Popen[str]]:
    """``quicknav watch`` in its own process over ``db``."""
    env = dict(os.environ) | {
        "QUICKNAV_DB": str(db),
        "QUICKNAV_ROOTS": str(root),
        "QUICKNAV_LOG_LEVEL": "WARNING",
        "QUICKNAV_EMBED_MODEL": "none",
        "QUICKNAV_ANALYTICS_TRACKING": "0",
    }
    cli = [sys.executable, "-m", "quicknav_mcp.cli"]
    subprocess.run([*cli, "index"], env=env, check=True, capture_output=True)
    proc = subprocess.Popen([*cli, "watch"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _until(check, what: str):  # type: ignore[no-untyped-def]
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {DEADLINE:.0f} s")


def _status(db: Path) -> dict | None:
    with App.open(load_config(db=db, env={}, embed_model="none"), readonly=True) as qn:
        return qn.indexing.status().watcher


async def test_home_shows_another_process_watching_and_when_it_stops(tmp_path: Path) -> None:
    root, db = tmp_path / "Projects", tmp_path / "q.db"
    _tree(root)
    with watching(db, root) as proc:
        first = _until(lambda: (w := _status(db)) and w["state"] == "watching" and w, "recorded heartbeat")
        assert first["source"] == "recorded" and first["fresh"] and first["process_alive"] is True
        assert first["watching"] == [str(root)] and first["heartbeat_age_s"] is not None
        new = root / PROJECT / SD / "20692 - DOWNER - Rev 101.pdf"
        new.write_bytes(b"%PDF-1.4 next issue")
        changed = _until(lambda: (w := _status(db)) and w["last_change_path"] == str(new) and w, "recorded change")
        assert changed["changes"] >= 1 and changed["last_change"]
        async with dashboard(db, size=(100, 40)) as (tui, _pilot, _seen):
            assert tui.qn.store.readonly and tui.qn.watcher is None  # the dashboard runs no watcher itself
            text = screen_text(tui)
            assert re.search(r"watching Projects, heartbeat \d+ (s|min) ago", text), text
            assert re.search(r"last change \d+ (s|min) ago: 20692 - DOWNER", text), text
        proc.send_signal(signal.SIGTERM)  # a clean stop removes the record at once
        assert proc.wait(timeout=DEADLINE) == 0
    assert _status(db) is None
    async with dashboard(db, size=(100, 40)) as (tui, pilot, _seen):
        await settle(tui, pilot)
        assert "no watcher running" in screen_text(tui)


async def test_a_killed_watcher_is_no_watcher_at_once(tmp_path: Path) -> None:
    root, db = tmp_path / "Projects", tmp_path / "q.db"
    _tree(root)
    with watching(db, root) as proc:
        _until(lambda: (w := _status(db)) and w["fresh"] and w, "recorded heartbeat")
        proc.kill()  # no clean stop: the row stays, its process is gone
        proc.wait()
    gone = _status(db)
    assert gone is not None and gone["process_alive"] is False and gone["fresh"] is False
    async with dashboard(db, size=(100, 40)) as (tui, _pilot, _seen):
        assert "no watcher (last heartbeat" in screen_text(tui)
    with App.open(load_config(db=db, env={}, embed_model="none"), readonly=True) as qn:
        later = recorded(qn.store, time.time() + 3600)  # read an hour on: too old, whoever wrote it
    assert later is not None and later["heartbeat_age_s"] >= 3600 and not later["fresh"]
