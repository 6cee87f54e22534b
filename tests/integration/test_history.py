"""The event-log read API that learning uses: filters, cursors, doc types, columns."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from quicknav_mcp.analytics import AnalyticsService, AnalyticsSettings, history
from quicknav_mcp.store import Store

DAY = 86_400_000
T0 = (int(time.time() * 1000) // DAY - 10) * DAY
SETTINGS = AnalyticsSettings(maintenance_interval=0, poll_interval=0.05)


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "h.db")
    svc = AnalyticsService(s, user="me", settings=SETTINGS, start=False)
    events = [
        {"event_type": "project_view", "user_id": "ann", "project_id": "17741", "timestamp": T0 / 1000},
        {
            "event_type": "document_access",
            "user_id": "ann",
            "document_id": "17741 - QPS MTR/4. System Designs/17741 - MTR - Rev 105.pdf",
            "timestamp": (T0 + DAY) / 1000,
        },
        {"event_type": "project_search", "user_id": "bob", "query": "zzz", "timestamp": (T0 + DAY) / 1000},
        {"event_type": "project_view", "user_id": "bob", "project_id": "21614", "timestamp": (T0 + 2 * DAY) / 1000},
        {
            "event_type": "document_search",
            "user_id": "bob",
            "project_id": "21614",
            "query": "sales_po",
            "metadata": {"doc_type": "sales_po"},
            "timestamp": (T0 + 3 * DAY) / 1000,
        },
        {"event_type": "tool_call", "user_id": "bob", "operation": "index_status", "timestamp": (T0 + 3 * DAY) / 1000},
    ]
    result = svc.track_events(events)
    assert result.failed_items == 0, result.errors
    svc.close()
    yield s
    s.close()


def test_interactions_keep_only_project_events_in_time_order(store: Store) -> None:
    got = history.interactions(store)
    assert [(i.user_id, i.event_type, i.project_number) for i in got] == [
        ("ann", "project_view", "17741"),
        ("ann", "document_access", "17741"),
        ("bob", "project_view", "21614"),
        ("bob", "document_search", "21614"),
    ]
    assert got[1].doc_type == "lld"  # parsed from the tracked path
    assert got[3].doc_type == "sales_po"  # the event's own label
    assert got[0].timestamp.year >= 2025


def test_time_window_and_users(store: Store) -> None:
    assert [i.project_number for i in history.interactions(store, until=T0 + DAY)] == ["17741", "17741"]
    assert [i.user_id for i in history.interactions(store, since=T0 + 2 * DAY)] == ["bob", "bob"]
    assert {i.user_id for i in history.interactions(store, users=["ann"])} == {"ann"}


def test_cursor_and_recent(store: Store) -> None:
    first = history.since_event(store, 0, limit=2)
    assert len(first) == 2
    rest = history.since_event(store, first[-1].seq)
    assert [i.project_number for i in rest] == ["21614", "21614"]
    assert history.since_event(store, history.last_seq(store)) == []
    newest = history.recent(store, "bob")
    assert [i.event_type for i in newest] == ["document_search", "project_view"]
    assert history.recent(store, "bob", until=T0 + 2 * DAY)[0].event_type == "project_view"
    assert history.user_exists(store, "ann") and not history.user_exists(store, "carol")
    assert history.time_span(store) == (T0, T0 + 3 * DAY)


def test_columns_match_objects(store: Store) -> None:
    cols = history.columns(store)
    objs = history.interactions(store)
    assert len(cols) == len(objs) == 4
    assert [cols.users[u] for u in cols.user] == [i.user_id for i in objs]
    assert [cols.projects[p] for p in cols.project] == [i.project_number for i in objs]
    assert [cols.types[t] for t in cols.type] == [i.event_type for i in objs]
    assert cols.ts_ms.tolist() == [i.ts_ms for i in objs]
