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


def test_minute_counts_read_only_what_arrived_in_the_window() -> None:
    """The binary search over arrival order gives what walking the log back from its newest event gives."""
    import random
    import sqlite3

    from quicknav_mcp.analytics import live

    def walked(c: sqlite3.Connection, since: int, until: int) -> list[int]:
        counts = [0] * -(-(until - since) // live.MINUTE_MS)
        for ts, received in c.execute("SELECT ts_ms, received_ms FROM events ORDER BY seq DESC"):
            if received < since:
                break
            if since <= ts < until:
                counts[(ts - since) // live.MINUTE_MS] += 1
        return counts

    rng = random.Random(3)
    for _ in range(30):
        c = sqlite3.connect(":memory:")
        c.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, ts_ms INTEGER, received_ms INTEGER)")
        received, seq = NOW - 3 * 3_600_000, 0
        for _ in range(rng.randrange(0, 400)):
            seq += rng.choice((1, 1, 1, 5))  # gaps, as compaction leaves them
            received += rng.randrange(0, 60_000)
            dated = received - rng.choice((0, 0, 1_000, 2 * 3_600_000))  # some are imports of older events
            c.execute("INSERT INTO events VALUES (?, ?, ?)", (seq, dated, received))
        since = NOW - 3_600_000 - rng.randrange(0, 2 * 3_600_000)
        assert live.per_minute(c, since, since + 3_600_000) == walked(c, since, since + 3_600_000)
    empty = sqlite3.connect(":memory:")
    empty.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY, ts_ms INTEGER, received_ms INTEGER)")
    assert live.per_minute(empty, NOW - 3_600_000, NOW) == [0] * 60


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
