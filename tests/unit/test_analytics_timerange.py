"""Time ranges from caller text, and the day/hour split used by the dashboard."""

from __future__ import annotations

import pytest

from quicknav_mcp.analytics.rollups import DAY_MS, HOUR_MS
from quicknav_mcp.analytics.timerange import Range, bucket_label, day_bucket, parse_range, period_range
from quicknav_mcp.errors import InvalidInput

NOW = 1_750_000_000_000  # 2025-06-15T15:06:40Z


def test_defaults_dates_relative_and_iso() -> None:
    r = parse_range(None, None, now=NOW)
    assert (r.start_ms, r.end_ms) == (NOW - 30 * DAY_MS, NOW)
    r = parse_range("2025-06-01", "2025-06-01", now=NOW)
    assert r.end_ms - r.start_ms == DAY_MS  # an end date includes the day
    r = parse_range("7d", "now", now=NOW)
    assert r.start_ms == NOW - 7 * DAY_MS and r.end_ms == NOW
    r = parse_range("2025-06-14T09:00:00Z", "24h", now=NOW)
    assert r.end_ms == NOW - DAY_MS


@pytest.mark.parametrize(
    ("start", "end", "reason"),
    [
        ("soon", None, "ISO 8601"),
        ("2025-02-30", None, "not a real date"),
        ("2025-06-10", "2025-06-01", "must be after start"),
        ("1900-01-01", None, "outside 2000-2099"),
        ("2000-01-01", "2025-06-01", "longer than 20 years"),
        (5, None, "start must be text"),
    ],
)
def test_bad_ranges_are_clear(start, end, reason) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_range(start, end, now=NOW)


def test_periods() -> None:
    today = NOW // DAY_MS * DAY_MS
    assert period_range("today", NOW) == Range(today, today + DAY_MS)
    assert period_range("last_7_days", NOW) == Range(today - 6 * DAY_MS, today + DAY_MS)
    assert (
        period_range("2025-06-01/2025-06-03", NOW).end_ms - period_range("2025-06-01/2025-06-03", NOW).start_ms
        == 3 * DAY_MS
    )
    assert bucket_label(period_range("this_month", NOW).start_ms // DAY_MS, "day") == "2025-06-01"
    assert bucket_label(period_range("last_month", NOW).start_ms // DAY_MS, "day") == "2025-05-01"
    with pytest.raises(InvalidInput, match="unknown period"):
        period_range("fortnight; DROP TABLE events", NOW)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (NOW - 3 * DAY_MS - 5, NOW),
        (NOW - HOUR_MS, NOW),
        (NOW // DAY_MS * DAY_MS, NOW // DAY_MS * DAY_MS + 2 * DAY_MS),
        (NOW - 50 * DAY_MS + 7 * HOUR_MS, NOW - 2 * HOUR_MS),
    ],
)
def test_split_covers_exactly_the_hours_of_the_range(start: int, end: int) -> None:
    r = Range(start, end)
    (d0, d1), edges = r.split()
    hours = set(range(d0 * 24, d1 * 24))
    for a, b in edges:
        assert not hours & set(range(a, b))
        hours |= set(range(a, b))
    h0, h1 = r.hours
    assert hours == set(range(h0, h1))


def test_buckets_and_labels() -> None:
    day = NOW // DAY_MS
    assert bucket_label(day, "day") == "2025-06-15"
    assert bucket_label(day_bucket(day, "week"), "week") == "2025-06-09"  # Monday
    assert bucket_label(day_bucket(day, "month"), "month") == "2025-06-01"
    assert bucket_label(NOW // HOUR_MS, "hour") == "2025-06-15T15:00:00.000Z"
