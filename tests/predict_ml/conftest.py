"""Hand-made event logs written through the real analytics ingestion."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from quicknav_mcp.analytics import AnalyticsService
from quicknav_mcp.store import Store


def at(day: str, hour: int, minute: int = 0) -> str:
    """ISO timestamp of 2026-03-<day> (a Monday is 02) at hour:minute UTC."""
    return datetime.fromisoformat(f"2026-03-{day}T{hour:02d}:{minute:02d}:00").replace(tzinfo=UTC).isoformat()


@pytest.fixture
def log(tmp_path: Path) -> Iterator[tuple[Store, Callable[[list[dict[str, Any]]], None]]]:
    store = Store(tmp_path / "log.db")
    analytics = AnalyticsService(store, user="tester", start=False)

    def write(events: list[dict[str, Any]]) -> None:
        for i in range(0, len(events), 1000):  # the ingestion's batch limit
            result = analytics.track_events(events[i : i + 1000])
            assert not result.errors, result.errors[:3]

    yield store, write
    analytics.close()
    store.close()
