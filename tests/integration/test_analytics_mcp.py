"""Analytics over MCP through the real SDK client, in memory: tools, resources, and the automatic
tracking of every tool call."""

from __future__ import annotations

import json
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from quicknav_mcp.analytics.synthetic import generate_events
from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.server import build_server

pytestmark = pytest.mark.anyio

ANALYTICS_TOOLS = {
    "track_event",
    "track_events",
    "get_dashboard",
    "get_project_metrics",
    "get_search_trends",
    "get_user_activity",
    "get_performance_summary",
    "run_report",
}
DAY = 86_400_000
START = (int(time.time() * 1000) // DAY - 5) * DAY


@pytest.fixture
def app(sample_db: Path, sample_root: Path, tmp_path: Path):
    db = tmp_path / "q.db"
    shutil.copy(sample_db, db)
    application = App.open(load_config(db=db, roots=[sample_root], user="tester", env={}))
    yield application
    application.close()


@pytest.fixture
def server(app: App):
    return build_server(lambda: app, close_on_exit=False)


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def test_analytics_tools_are_listed_with_annotations(server) -> None:
    async with Client(server) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) >= ANALYTICS_TOOLS
    for name in ANALYTICS_TOOLS:
        assert tools[name].description and len(tools[name].description) > 40, name
        assert tools[name].output_schema is not None, name
        assert tools[name].annotations is not None
    assert tools["track_events"].annotations.read_only_hint is False
    assert tools["track_events"].annotations.idempotent_hint is True
    assert tools["get_dashboard"].annotations.read_only_hint is True


async def test_tool_calls_are_tracked_automatically(server, app: App) -> None:
    async with Client(server) as client:
        assert (await call(client, "navigate_project", project_number="21614"))["status"] == "success"
        assert (await call(client, "navigate_project", project_number="Poolwerx"))["status"] == "success"
        assert (await call(client, "navigate_project", project_number="zzzz qqqq"))["status"] == "error"
        await call(client, "find_documents", project_number="21614", doc_type="lld")
        await call(client, "list_project_documents", project_number="20692", limit=5)
        assert (await client.call_tool("get_project", {"project_number": "12345"})).is_error
        await call(client, "index_status")
        assert app.analytics.wait_for_rollups(10)
        rows = app.store.query(
            "SELECT event_type, operation, project_id, query, result_count, response_time_ms, error, user_id, flags "
            "FROM events ORDER BY seq"
        )
        got = [(r[0], r[1], r[2], r[3], r[4], r[6]) for r in rows]
        assert got[:7] == [
            ("project_view", "navigate_project", "21614", None, 1, 0),
            ("project_search", "navigate_project", "21614", "Poolwerx", 1, 0),
            ("project_search", "navigate_project", None, "zzzz qqqq", 0, 0),
            ("document_search", "find_documents", "21614", "lld", 1, 0),
            ("document_search", "list_project_documents", "20692", None, got[4][4], 0),
            ("tool_call", "get_project", None, None, None, 1),
            ("tool_call", "index_status", None, None, 1, 0),  # one root
        ]
        assert got[4][4] > 5  # the project's total document count
        assert all(r[7] == "tester" and r[8] & 8 and r[5] > 0 for r in rows)  # who, automatic, timed

        dash = await call(client, "get_dashboard", detail="full")
        top = {p["project_number"]: p for p in dash["top_projects"]}
        assert top["21614"]["views"] == 1 and top["21614"]["known"] is True
        assert top["21614"]["name"] == "21614 - PLWRX  TR L1 Upgrades" and top["21614"]["unique_users"] == 1
        assert dash["metrics"]["total_users"] == 1 and dash["metrics"]["total_searches"] >= 4
        ops = {o["operation"]: o for o in dash["performance_metrics"]["operations"]}
        assert ops["navigate_project"]["count"] == 3 and ops["get_project"]["errors"] == 1
        assert dash["zero_result_queries"][0]["query"] == "zzzz qqqq"
        metrics = await call(client, "get_project_metrics", project_number="21614")
        assert metrics["views"] == 1 and metrics["searches"] == 2 and metrics["known"] is True
        activity = await call(client, "get_user_activity")
        assert activity["user_id"] == "tester" and activity["events"] >= 7 and activity["sessions"] == 1


async def test_tracking_never_breaks_a_tool_call(server, app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(_event: dict) -> None:
        raise RuntimeError("analytics is down")

    monkeypatch.setattr(app.analytics, "record_tool_call", broken)
    async with Client(server) as client:
        assert (await call(client, "navigate_project", project_number="21614"))["status"] == "success"
        # an unknown tool is an error as before, and is not recorded
        assert (await client.call_tool("no_such_tool", {})).is_error
    monkeypatch.undo()
    app.analytics.flush()
    assert app.store.query_one("SELECT count(*) FROM events")[0] == 0


async def test_tracking_adds_no_material_latency(server, app: App) -> None:
    async def timed(n: int) -> float:
        samples = []
        async with Client(server) as client:
            for _ in range(n):
                t = time.perf_counter()
                await client.call_tool("navigate_project", {"project_number": "20692"})
                samples.append(time.perf_counter() - t)
        return statistics.median(samples)

    with_tracking = await timed(60)
    app.analytics.settings = app.analytics.settings.__class__(tracking=False, maintenance_interval=0)
    without = await timed(60)
    print(f"navigate_project median: {with_tracking * 1000:.2f} ms tracked, {without * 1000:.2f} ms untracked")
    assert with_tracking <= without * 1.5 + 0.003


async def test_track_events_and_reports_over_mcp(server, app: App) -> None:
    events = generate_events(1500, seed=21, start_ms=START, days=5)
    async with Client(server) as client:
        r = await call(client, "track_events", events=events[:1000])
        assert r["successful_items"] == 1000 and r["failed_items"] == 0
        r = await call(client, "track_events", events=events[:1000])
        assert r["duplicate_items"] == 1000  # a replayed batch adds nothing
        mixed = [*events[1000:1100], {"event_type": "bogus"}, "x", {"event_type": "project_view"}]
        r = await call(client, "track_events", events=mixed)
        assert (r["successful_items"], r["failed_items"]) == (100, 3)
        assert [(e["index"], e["reason"][:20]) for e in r["errors"]] == [
            (100, "unknown event_type '"),
            (101, "an event must be an "),
            (102, "project_view needs p"),
        ]
        big = generate_events(10_000, seed=22, start_ms=START, days=5)
        r = await call(client, "track_events", events=big)
        assert r["successful_items"] == 1000 and r["failed_items"] == 9000
        one = await call(
            client,
            "track_event",
            event_type="document_access",
            project_id=21614,
            document_id="21614 - PLWRX  TR L1 Upgrades/x.pdf",
            event_id="single-1",
        )
        assert one["event_id"] == "single-1" and one["stored"] is True and one["warnings"] == []
        assert app.analytics.wait_for_rollups(10)

        report = await call(client, "run_report", metric="events", group_by=["event_type"], period="last_30_days")
        assert report["source"] == "type_day" and report["total"] >= 2100
        report = await call(client, "run_report", metric="p95_response_time_ms", group_by=["operation"])
        assert report["rows"] and all(row["p95_response_time_ms"] > 0 for row in report["rows"])
        trends = await call(client, "get_search_trends", start="7d", granularity="day")
        assert trends["total_searches"] > 0 and trends["popular_queries"]
        perf = await call(client, "get_performance_summary", operation="navigate_project", start="30d")
        assert perf["overall"]["operation"] == "navigate_project"

        res = await client.read_resource("quicknav://analytics/dashboard")
        dash = json.loads(res.contents[0].text)
        assert dash["metrics"]["total_events"] >= 2100
        res = await client.read_resource("quicknav://users/user000/activity")
        assert json.loads(res.contents[0].text)["events"] > 0


@pytest.mark.parametrize(
    ("tool", "args", "reason"),
    [
        ("track_event", {"event_type": "teleport"}, "unknown event_type"),
        ("track_event", {"event_type": "project_view", "project_id": "abc"}, "5-digit"),
        ("track_event", {"event_type": "user_login", "timestamp": "2999-01-01"}, "in the future"),
        ("track_events", {"events": "not a list"}, ""),
        ("get_project_metrics", {"project_number": "x; DROP TABLE events"}, "5-digit"),
        ("get_dashboard", {"start": "yesterday-ish"}, "ISO 8601"),
        ("get_dashboard", {"start": "2025-01-10", "end": "2025-01-01"}, "must be after start"),
        ("get_search_trends", {"granularity": "fortnight"}, ""),
        ("run_report", {"metric": "views", "group_by": ["1; DROP TABLE events"]}, "unknown dimension"),
        ("run_report", {"metric": "SELECT * FROM events"}, "unknown metric"),
        ("run_report", {"metric": "views", "filters": {"project_id": "' OR 1=1 --"}}, "5-digit"),
    ],
)
async def test_bad_analytics_input_is_a_clear_error_and_serving_goes_on(server, tool, args, reason) -> None:
    async with Client(server) as client:
        r = await client.call_tool(tool, args)
        assert r.is_error
        assert reason in r.content[0].text
        assert (await call(client, "get_dashboard"))["time_range"]


async def test_read_only_database_still_answers_dashboards(sample_db: Path, sample_root: Path, tmp_path: Path) -> None:
    import subprocess

    db = tmp_path / "ro.db"
    shutil.copy(sample_db, db)
    App.open(load_config(db=db, roots=[sample_root], env={})).close()  # migrate before freezing
    if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(db)], capture_output=True).returncode:
        pytest.skip("cannot make a file immutable here")
    try:
        server = build_server(lambda: App.open(load_config(db=db, roots=[sample_root], env={})))
        async with Client(server) as client:
            r = await client.call_tool("track_event", {"event_type": "user_login"})
            assert r.is_error and "read-only" in r.content[0].text
            assert (await call(client, "navigate_project", project_number="21614"))["status"] == "success"
            assert (await call(client, "get_dashboard"))["metrics"]["total_events"] == 0
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=False)
