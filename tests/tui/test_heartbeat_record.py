"""The heartbeat row: written every few seconds or when something moved, removed on a clean stop."""

from __future__ import annotations

from pathlib import Path

from quicknav_mcp.indexers.watch import WatchStatus
from quicknav_mcp.indexers.watch_beat import Heartbeat, recorded

from quicknav_mcp.store import Store


def test_beats_are_paced_and_changes_are_written_at_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "q.db")
    try:
        beat = Heartbeat(store)
        status = WatchStatus(state="watching", mode="inotify", heartbeat="2026-05-27T15:00:00.000Z", watching=["/r"])
        assert beat.beat(status) is True
        status.heartbeat = "2026-05-27T15:00:01.000Z"
        assert beat.beat(status) is False  # a second later, nothing moved: not written
        assert recorded(store)["heartbeat"] == "2026-05-27T15:00:00.000Z"
        status.changes, status.last_change, status.last_change_path = 1, "2026-05-27T15:00:01.000Z", "/r/a.pdf"
        assert beat.beat(status) is True  # a change is recorded at once
        assert beat.beat(status, force=True) is True
        row = recorded(store)
        assert row["last_change_path"] == "/r/a.pdf" and row["changes"] == 1 and row["watching"] == ["/r"]
        assert row["process_alive"] is True and row["owner"] == beat.owner
        beat.clear()
        assert recorded(store) is None
    finally:
        store.close()


def test_a_database_without_the_table_records_nothing_and_raises_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "q.db")
    try:
        with store.transaction() as conn:
            conn.execute("DROP TABLE watchers")  # as on a file this code has not migrated
        beat = Heartbeat(store)
        assert beat.beat(WatchStatus(state="watching")) is False
        assert recorded(store) is None
        beat.clear()
    finally:
        store.close()
