"""The dashboard's data: minute counts from the event log's tail, hour filling, the heatmap grid, history."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from quicknav_mcp.tui import data

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.errors import InvalidInput

NOW = 1_779_894_000_000  # 2026-05-27T15:00:00Z


def test_events_per_minute_counts_the_last_hour_only(tmp_path: Path) -> None:
    with App.open(load_config(db=tmp_path / "a.db", env={}, embed_model="none", user="u")) as app:
        at = [NOW - 30, NOW - 61_000, NOW - 59 * 60_000 - 1, NOW - 2 * 3_600_000, NOW + 5_000]
        events = [
            {"event_id": f"e{i}", "event_type": "user_login", "user_id": "u", "timestamp": ms / 1000}
            for i, ms in enumerate(at)
        ]
        assert app.analytics.track_events(events).failed_items == 0
        counts = app.analytics.events_per_minute(60, now_ms=NOW)
        assert len(counts) == 60
        # the last minute, the one before, the first minute; not two hours ago, not the future
        assert counts[-1] == 1 and counts[-2] == 1 and counts[0] == 1 and sum(counts) == 3
        with pytest.raises(InvalidInput, match="minutes"):
            app.analytics.events_per_minute(0)


def test_hourly_fills_empty_hours_with_zeros() -> None:
    points = [
        SimpleNamespace(period=data.iso(NOW - 3_600_000), events=4),
        SimpleNamespace(period=data.iso(NOW - 23 * 3_600_000), events=2),
        SimpleNamespace(period=data.iso(NOW - 30 * 3_600_000), events=99),  # outside the day
    ]
    out = data.hourly(points, NOW)
    assert len(out) == 24 and out[-1] == 4 and out[1] == 2 and sum(out) == 6


def test_heatmap_places_report_rows_by_local_weekday_and_hour() -> None:
    grid = data.heatmap([{"hour_of_week": "Mon 09:00", "events": 5}, {"hour_of_week": "Sun 23:00", "events": 1}])
    assert grid[0][9] == 5 and grid[6][23] == 1 and sum(map(sum, grid)) == 6


def test_history_marks_the_current_revision_of_a_series(demo_db: Path) -> None:
    with App.open(load_config(db=demo_db, env={}, embed_model="none"), readonly=True) as app:
        hit = app.search.search_documents("lld", limit=5).documents[0]
        history = app.documents.history(hit.id)
        assert {d.series_key for d in history} == {hit.series_key}
        current = [d.id for d in history if d.is_current]
        assert len(current) == 1 and (current == [hit.id]) == hit.is_current
        revisions = [d.revision for d in history if d.revision is not None]
        assert revisions == sorted(revisions, reverse=True)
        assert app.documents.history(10**9) == []
