"""Analytics in local time: day, hour, weekday and session buckets around the Australian DST
changes and in a half-hour zone, checked against counts computed here with zoneinfo over the raw
events; through the service, the MCP tools and the CLI; and re-bucketing after a zone change."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from quicknav_mcp.analytics import AnalyticsService, AnalyticsSettings
from quicknav_mcp.analytics.events import SEARCH_TYPES
from quicknav_mcp.analytics.synthetic import generate_events
from quicknav_mcp.store import Store

SETTINGS = AnalyticsSettings(maintenance_interval=0)
HOUR = 3_600_000
GAP = 30 * 60_000
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# (zone, the day its clocks change in 2026): April ends DST (a 25-hour day), October starts it (23).
CASES = [
    ("Australia/Sydney", "2026-04-05"),
    ("Australia/Sydney", "2026-10-04"),
    ("Australia/Adelaide", "2026-04-05"),
    ("Australia/Adelaide", "2026-10-04"),
]


def midnight(day: date, zone: str) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(zone)).timestamp() * 1000)


def events_around(zone: str, day: date, seed: int) -> list[dict[str, Any]]:
    """Synthetic traffic over five local days around ``day``, plus a search every 10 minutes of
    the middle three, so every hour of the change (the repeated or the skipped one) has events."""
    start = midnight(day - timedelta(days=2), zone)
    events = generate_events(2500, seed=seed, start_ms=start, days=5, users=6)
    t = midnight(day - timedelta(days=1), zone)
    end = midnight(day + timedelta(days=2), zone)
    i = 0
    while t < end:
        events.append(
            {"event_id": f"tick-{seed}-{i}", "user_id": "user000", "event_type": "project_search", "query": "dst"}
            | {"timestamp": t + (i * 7919) % 600_000, "result_count": 1}
        )
        t += 600_000
        i += 1
    return events


def local(e: dict[str, Any], zone: str) -> datetime:
    return datetime.fromtimestamp(e["timestamp"] / 1000, ZoneInfo(zone))


def sessions(events: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """(user, start) of each session: a user's events less than 30 minutes apart."""
    out: list[tuple[str, int]] = []
    by_user: dict[str, list[int]] = {}
    for e in events:
        by_user.setdefault(e["user_id"], []).append(e["timestamp"])
    for user, times in by_user.items():
        times.sort()
        start = prev = times[0]
        for t in times[1:]:
            if t - prev >= GAP:
                out.append((user, start))
                start = t
            prev = t
        out.append((user, start))
    return out


def ingest(svc: AnalyticsService, events: list[dict[str, Any]]) -> None:
    for i in range(0, len(events), 1000):
        result = svc.track_events(events[i : i + 1000])
        assert result.failed_items == 0, result.errors[:2]
    assert svc.wait_for_rollups(30)


def open_service(db: Path, zone: str) -> tuple[Store, AnalyticsService]:
    store = Store(db)
    return store, AnalyticsService(store, user="user000", settings=SETTINGS, timezone=zone)


def by_day(svc: AnalyticsService, metric: str, period: str) -> dict[str, Any]:
    return {r["day"]: r[metric] for r in svc.run_report(metric, ["day"], period).rows}


def all_events(svc: AnalyticsService, dim: str, period: str) -> dict[Any, int]:
    """Every event per time bucket (grouping by type too keeps the report on the event-type rollups;
    "events" by day alone counts project events)."""
    out: Counter[Any] = Counter()
    for r in svc.run_report("events", [dim, "event_type"], period, limit=1000).rows:
        out[r[dim]] += r["events"]
    return dict(out)


def expected_days(events: list[dict[str, Any]], zone: str, days: list[date], pick: Any = None) -> dict[str, int]:
    counts = Counter(local(e, zone).date() for e in events if pick is None or pick(e))
    return {d.isoformat(): counts[d] for d in days if counts[d]}


@pytest.mark.parametrize(("zone", "change"), CASES)
def test_buckets_follow_local_time_across_dst(tmp_path: Path, zone: str, change: str) -> None:
    day = date.fromisoformat(change)
    events = events_around(zone, day, seed=len(zone) + day.month)
    store, svc = open_service(tmp_path / "q.db", zone)
    try:
        ingest(svc, events)
        days = [day + timedelta(days=k) for k in range(-2, 3)]
        period = f"{days[0]}/{days[-1]}"
        window = [e for e in events if local(e, zone).date() in days]

        # Events, searches and views per local date.
        assert all_events(svc, "day", period) == expected_days(events, zone, days)
        has_project = expected_days(events, zone, days, lambda e: e.get("project_id") is not None)
        assert by_day(svc, "events", period) == has_project
        searches = expected_days(events, zone, days, lambda e: e["event_type"] in SEARCH_TYPES)
        assert by_day(svc, "searches", period) == searches
        views = expected_days(events, zone, days, lambda e: e["event_type"] == "project_view")
        assert by_day(svc, "views", period) == views

        # Hours of the change day: 25 (one wall hour holding two) or 23 (one missing).
        hours = Counter(local(e, zone).strftime("%Y-%m-%dT%H") for e in events if local(e, zone).date() == day)
        report = all_events(svc, "hour", f"{change}/{change}")
        assert {label[:13]: n for label, n in report.items()} == dict(hours)
        assert len(report) == (24 if day.month == 4 else 23)
        assert svc.run_report("events", ["hour"], f"{change}/{change}").time_range.timezone == zone
        trend = svc.search_trends(change, change, "hour")
        assert {p.period[:13]: p.events for p in trend.series} == dict(hours)
        assert {
            p.period: p.events for p in svc.search_trends(period.split("/")[0], days[-1].isoformat(), "day").series
        } == expected_days(events, zone, days)

        # Hour of day and weekday × hour over the five days.
        assert all_events(svc, "hour_of_day", period) == dict(Counter(local(e, zone).hour for e in window))
        expected_how = Counter(f"{WEEKDAYS[local(e, zone).weekday()]} {local(e, zone).hour:02d}:00" for e in window)
        assert all_events(svc, "hour_of_week", period) == dict(expected_how)
        assert all_events(svc, "weekday", period) == dict(Counter(WEEKDAYS[local(e, zone).weekday()] for e in window))
        grid = svc.user_activity("user000", days[0].isoformat(), days[-1].isoformat()).hour_of_week
        mine = Counter((local(e, zone).weekday(), local(e, zone).hour) for e in window if e["user_id"] == "user000")
        assert {(d, h): n for d, row in enumerate(grid) for h, n in enumerate(row) if n} == dict(mine)

        # The change day alone: a 23/25-hour range, whole-day totals and sessions starting that day.
        board = svc.dashboard(change, change)
        span = (
            datetime.fromisoformat(board.time_range.end) - datetime.fromisoformat(board.time_range.start)
        ).total_seconds() / 3600
        assert span == (25 if day.month == 4 else 23)
        assert board.metrics.total_events == sum(1 for e in events if local(e, zone).date() == day)
        assert board.metrics.total_searches == searches.get(change, 0)
        starts = Counter(
            datetime.fromtimestamp(s / 1000, ZoneInfo(zone)).date().isoformat() for _, s in sessions(events)
        )
        assert board.metrics.total_sessions == starts[change]
        assert by_day(svc, "sessions", period) == {
            d.isoformat(): starts[d.isoformat()] for d in days if starts[d.isoformat()]
        }

        # A project's daily views.
        top = Counter(e["project_id"] for e in window if e["event_type"] == "project_view").most_common(1)[0][0]
        daily = svc.project_metrics(top, days[0].isoformat(), days[-1].isoformat()).daily
        mine_views = expected_days(
            events, zone, days, lambda e: e["event_type"] == "project_view" and e.get("project_id") == top
        )
        assert {d.date: d.views for d in daily if d.views} == mine_views

        # Folding as events arrive and rebuilding from the log give the same tables.
        before = svc.snapshot()
        svc.rebuild()
        assert svc.snapshot() == before
    finally:
        svc.close()
        store.close()


def test_half_hour_zone_hours_split_at_half_past_utc(tmp_path: Path) -> None:
    """In Adelaide (+9:30 / +10:30) a local hour spans two UTC hours: events at :15 and :45 UTC
    of one UTC hour belong to different local hours."""
    zone = "Australia/Adelaide"
    base = int(datetime.fromisoformat("2026-07-01T00:00:00+00:00").timestamp() * 1000)
    events = [
        {"event_id": f"h{i}", "user_id": "u", "event_type": "user_login", "timestamp": base + i * 15 * 60_000}
        for i in range(4 * 30)
    ]
    store, svc = open_service(tmp_path / "q.db", zone)
    try:
        ingest(svc, events)
        hours = all_events(svc, "hour", "2026-07-01/2026-07-02")
        assert {label[:16]: n for label, n in hours.items()} == dict(
            Counter(local(e, zone).strftime("%Y-%m-%dT%H:00") for e in events)
        )
        assert all(label.endswith("+09:30") for label in hours)
        counts = [hours[k] for k in sorted(hours)]
        assert counts[0] == 2 and counts[-1] == 2 and set(counts[1:-1]) == {4}  # local hours straddle UTC ones
    finally:
        svc.close()
        store.close()


def test_changing_the_zone_takes_effect_at_rebuild(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from quicknav_mcp.cli import main

    db = tmp_path / "q.db"
    day = date(2026, 10, 4)
    events = events_around("Australia/Sydney", day, seed=5)
    days = [day + timedelta(days=k) for k in range(-2, 3)]
    period = f"{days[0]}/{days[-1]}"
    store, svc = open_service(db, "UTC")
    ingest(svc, events)
    svc.close()
    store.close()

    store, svc = open_service(db, "Australia/Sydney")
    try:
        status = svc.timezone_status()
        assert (
            status["rebuild_needed"] and status["rollups"] == "UTC" and "quicknav analytics rebuild" in status["hint"]
        )
        assert "rebuild" in (svc.dashboard(period.split("/")[0], "now").notice or "")
        # Until the rebuild the rollups are read in the zone they were built in, never mixed.
        assert all_events(svc, "day", period) == expected_days(events, "UTC", days)
        svc.track_events(
            [{"event_id": "late", "user_id": "u", "event_type": "user_login", "timestamp": "2026-10-04T14:30:00Z"}]
        )
        assert svc.wait_for_rollups(10)
        later = [
            *events,
            {"user_id": "u", "timestamp": int(datetime.fromisoformat("2026-10-04T14:30:00+00:00").timestamp() * 1000)},
        ]
        assert all_events(svc, "day", period) == expected_days(later, "UTC", days)

        result = svc.rebuild()
        assert (result["timezone"], result["previous_timezone"]) == ("Australia/Sydney", "UTC")
        assert not svc.timezone_status()["rebuild_needed"] and svc.dashboard().notice is None
        assert all_events(svc, "day", period) == expected_days(later, "Australia/Sydney", days)
        rebuilt = svc.snapshot()
    finally:
        svc.close()
        store.close()

    # The same events folded live in Sydney give the same tables as the rebuild.
    store, svc = open_service(tmp_path / "fresh.db", "Australia/Sydney")
    try:
        ingest(svc, events)
        svc.track_events(
            [{"event_id": "late", "user_id": "u", "event_type": "user_login", "timestamp": "2026-10-04T14:30:00Z"}]
        )
        assert svc.wait_for_rollups(10)
        assert svc.snapshot() == rebuilt
    finally:
        svc.close()
        store.close()

    # The CLI: --timezone names the zone to re-bucket in; an unknown zone is an error naming it.
    assert main(["analytics", "rebuild", "--db", str(db), "--timezone", "Australia/Adelaide"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["timezone"], out["previous_timezone"]) == ("Australia/Adelaide", "Australia/Sydney")
    store, svc = open_service(db, "Australia/Adelaide")
    try:
        assert all_events(svc, "day", period) == expected_days(later, "Australia/Adelaide", days)
    finally:
        svc.close()
        store.close()
    assert main(["analytics", "rebuild", "--db", str(db), "--timezone", "Australia/Springfield"]) == 2
    assert "unknown --timezone 'Australia/Springfield'" in capsys.readouterr().err


def test_a_database_from_before_zones_reads_as_utc(tmp_path: Path) -> None:
    """Rollups folded before the zone was recorded were bucketed in UTC: they stay readable as such."""
    db = tmp_path / "q.db"
    events = events_around("UTC", date(2026, 4, 5), seed=9)
    store, svc = open_service(db, "UTC")
    ingest(svc, events)
    svc.close()
    with store.transaction() as c:
        c.execute("DELETE FROM an_meta WHERE key = 'timezone'")
    store.close()
    store, svc = open_service(db, "Australia/Adelaide")
    try:
        assert svc.timezone_status()["rollups"] == "UTC"
        days = [date(2026, 4, 3) + timedelta(days=k) for k in range(5)]
        assert all_events(svc, "day", "2026-04-03/2026-04-07") == expected_days(events, "UTC", days)
    finally:
        svc.close()
        store.close()


@pytest.mark.anyio
async def test_mcp_tools_answer_in_the_configured_zone(tmp_path: Path) -> None:
    """Through the real MCP client: events tracked with track_events, read with run_report and
    get_dashboard, in Adelaide across the October change (+9:30 -> +10:30)."""
    from mcp import Client

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config
    from quicknav_mcp.server import build_server

    zone, day = "Australia/Adelaide", date(2026, 10, 4)
    events = events_around(zone, day, seed=21)
    days = [day + timedelta(days=k) for k in range(-2, 3)]
    app = App.open(load_config(db=tmp_path / "q.db", roots=[], user="tester", timezone=zone, env={}))
    try:
        async with Client(build_server(lambda: app, close_on_exit=False)) as client:
            for i in range(0, len(events), 1000):
                r = await client.call_tool("track_events", {"events": events[i : i + 1000]})
                assert not r.is_error and r.structured_content["failed_items"] == 0
            assert app.analytics.wait_for_rollups(30)
            r = await client.call_tool(
                "run_report", {"metric": "searches", "group_by": ["day"], "period": f"{days[0]}/{days[-1]}"}
            )
            report = r.structured_content
            searches = expected_days(events, zone, days, lambda e: e["event_type"] in SEARCH_TYPES)
            assert {row["day"]: row["searches"] for row in report["rows"]} == searches
            assert report["time_range"]["timezone"] == zone
            assert report["time_range"]["start"] == "2026-10-02T00:00:00.000+09:30"
            assert report["time_range"]["end"] == "2026-10-07T00:00:00.000+10:30"
            r = await client.call_tool("get_dashboard", {"start": day.isoformat(), "end": day.isoformat()})
            board = r.structured_content
            assert board["metrics"]["total_events"] == sum(1 for e in events if local(e, zone).date() == day)
            assert board["metrics"]["total_searches"] == searches[day.isoformat()]
            assert board.get("notice") is None  # a brief answer leaves out an empty notice
    finally:
        app.close()


def test_legacy_history_times_without_offset_are_local(tmp_path: Path) -> None:
    """The old app wrote ``datetime.now().isoformat()``: wall time where it ran."""
    path = tmp_path / "userdata.json"
    history = [
        {"action": "navigate", "project_code": "17741", "status": "success", "timestamp": "2026-03-01T08:45:00"},
        {"action": "navigate", "project_code": "17741", "status": "success", "timestamp": "2026-03-01T00:15:00Z"},
    ]
    path.write_text(json.dumps({"history": history, "preferences": {}}))
    store, svc = open_service(tmp_path / "q.db", "Australia/Adelaide")
    try:
        assert svc.import_legacy(path, user="dana").imported == 2
        stored = sorted(r[0] for r in store.query("SELECT ts_ms FROM events"))
        assert stored == [
            int(datetime.fromisoformat(t).timestamp() * 1000)
            for t in ("2026-03-01T08:45:00+10:30", "2026-03-01T00:15:00+00:00")
        ]
        assert svc.wait_for_rollups(10)
        # 00:15 UTC is 10:45 in Adelaide: both on the local 1st of March, 08:00 and 10:00.
        hours = all_events(svc, "hour", "2026-03-01/2026-03-01")
        assert {label[11:13]: n for label, n in hours.items()} == {"08": 1, "10": 1}
    finally:
        svc.close()
        store.close()


def test_compaction_and_forget_stay_consistent_in_a_zone(tmp_path: Path) -> None:
    """Compaction cuts at local midnight, so day rows stay whole and a rebuild from the watermark
    gives the same tables as folding did; forgetting a user takes their events out of the
    local-day and local-hour counts they were added to.

    Sessions are left out of that comparison: one that straddles the watermark is re-derived from
    the events after it only (in any zone, UTC included: the log before it is gone).
    """
    zone, day = "Australia/Adelaide", date(2026, 10, 4)
    events = events_around(zone, day, seed=3)
    days = [day + timedelta(days=k) for k in range(-2, 3)]
    period = f"{days[0]}/{days[-1]}"
    store, svc = open_service(tmp_path / "q.db", zone)
    try:
        ingest(svc, events)
        now = midnight(day + timedelta(days=2), zone) + 5 * HOUR
        result = svc.compact(max_age_days=2, now=now)
        assert result["cutoff"] == midnight(day, zone)
        assert result["deleted"] == sum(1 for e in events if e["timestamp"] < midnight(day, zone))
        assert all_events(svc, "day", period) == expected_days(events, zone, days)
        snap = svc.snapshot()
        svc.rebuild()
        again = svc.snapshot()
        assert {t: rows for t, rows in again.items() if "session" not in t} == {
            t: rows for t, rows in snap.items() if "session" not in t
        }

        # Forget can only take out what the log still holds: the days from the cutoff on.
        svc.forget("user001")
        kept = [e for e in events if e["user_id"] != "user001" or local(e, zone).date() < day]
        assert all_events(svc, "day", period) == expected_days(kept, zone, days)
        recent = [e for e in kept if day <= local(e, zone).date() <= days[-1]]
        assert all_events(svc, "hour_of_day", f"{day}/{days[-1]}") == dict(Counter(local(e, zone).hour for e in recent))
    finally:
        svc.close()
        store.close()
