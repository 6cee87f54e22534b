"""A small indexed firm with hand-made usage, shared by the recommendation tests."""

from __future__ import annotations

import functools
import time
from pathlib import Path

import pytest

from quicknav_mcp import app as app_module
from quicknav_mcp.analytics import AnalyticsSettings
from quicknav_mcp.app import App
from quicknav_mcp.config import load_config

DAY = 86_400_000
NOW = int(time.time() * 1000)
PROJECTS = {
    "17001": "17001 - PLWRX TR L1 Hearing Loop Upgrade",
    "17002": "17002 - PLWRX Boardroom Hearing Loop",
    "17003": "17003 - DWNR Video Wall Install",
    "17004": "17004 - SAAB Auditorium Projector",
    "17005": "17005 - QPS MTR RM Upgrades",
    "17006": "17006 - QPS Training Room AV",
}


def make_tree(root: Path) -> None:
    for code, name in PROJECTS.items():
        folder = root / "Project Folders" / "17000 - 17999" / name
        (folder / "4. System Designs").mkdir(parents=True)
        (folder / "4. System Designs" / f"{code} - DESIGN - Rev 101.pdf").write_bytes(b"%PDF-1.4 x")
        (folder / "4. System Designs" / f"{code} - DESIGN - Rev 102.pdf").write_bytes(b"%PDF-1.4 xy")
        (folder / "2. BOM & Orders").mkdir()
        (folder / "2. BOM & Orders" / f"{code} - Sales & PO Report - 03.04.2025.pdf").write_bytes(b"%PDF-1.4 z")


def ev(user: str, code: str, minutes_ago: float, kind: str = "project_view", **extra: object) -> dict:
    e = {"event_type": kind, "user_id": user, "project_id": code, "timestamp": (NOW - minutes_ago * 60_000) / 1000}
    e.update(extra)
    return e


def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> App:
    """Six indexed projects and 20 days of hand-made usage: ann and bob share three projects and
    have one each of their own; cat works alone on 17006."""
    root = tmp_path / "firm"
    make_tree(root)
    # No maintenance pass and a fast bus, whatever else the configuration says.
    monkeypatch.setattr(
        app_module,
        "AnalyticsSettings",
        functools.partial(AnalyticsSettings, maintenance_interval=0, poll_interval=0.05),
    )
    a = App.open(load_config(db=tmp_path / "q.db", roots=[root], user="me", env={}))
    a.indexing.reindex()
    events = []
    for day in range(20):
        m = day * 1440 + 60
        for user in ("ann", "bob"):
            events += [ev(user, "17001", m + 30), ev(user, "17002", m + 25), ev(user, "17005", m + 20)]
        events += [ev("ann", "17003", m + 10)]
        events += [ev("bob", "17004", m + 10)]
        events += [ev("cat", "17006", m + 5)]
    result = a.analytics.track_events(events)
    assert result.failed_items == 0, result.errors[:2]
    return a
