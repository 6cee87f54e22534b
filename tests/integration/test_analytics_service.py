"""The analytics service on a real database: aggregates checked against counts computed here,
independently, from the generated events; idempotency; rebuild; bad input; retention; privacy."""

from __future__ import annotations

import itertools
import json
import math
import re
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from quicknav_mcp.analytics import AnalyticsService, AnalyticsSettings
from quicknav_mcp.analytics.events import iso
from quicknav_mcp.analytics.synthetic import generate_events
from quicknav_mcp.errors import InvalidInput
from quicknav_mcp.store import Store

DAY = 86_400_000
NOW = int(time.time() * 1000)
START = (NOW // DAY - 20) * DAY  # 20 whole days ago
SETTINGS = AnalyticsSettings(maintenance_interval=0, poll_interval=0.05)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "q.db")
    yield s
    s.close()


@pytest.fixture
def service(store: Store):
    svc = AnalyticsService(store, user="me", settings=SETTINGS)
    yield svc
    svc.close()


def ingest(svc: AnalyticsService, events: list[dict[str, Any]], batch: int = 1000) -> None:
    for i in range(0, len(events), batch):
        r = svc.track_events(events[i : i + batch])
        assert r.failed_items == 0, r.errors[:3]
    assert svc.wait_for_rollups(30)


# ---- independent expectations ----------------------------------------------------------------
def norm(q: str) -> str:
    return re.sub(r"\s+", " ", q).strip().lower()


def nearest_rank(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[max(1, math.ceil(p / 100 * len(s))) - 1]


def expected(events: list[dict[str, Any]]) -> dict[str, Any]:
    views: Counter[str] = Counter()
    opens: Counter[str] = Counter()
    project_users: dict[str, set[str]] = defaultdict(set)
    zero_queries: Counter[str] = Counter()
    query_searches: Counter[str] = Counter()
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: Counter[str] = Counter()
    times: dict[str, list[int]] = defaultdict(list)
    searches = zero = 0
    for e in events:
        t = e["event_type"]
        times[e["user_id"]].append(e["timestamp"])
        if t == "project_view":
            views[e["project_id"]] += 1
        if t == "document_access":
            opens[e["project_id"]] += 1
        if e.get("project_id"):
            project_users[e["project_id"]].add(e["user_id"])
        if t in ("project_search", "document_search"):
            searches += 1
            query_searches[norm(e["query"])] += 1
            if e.get("result_count") == 0:
                zero += 1
                zero_queries[norm(e["query"])] += 1
        if e.get("response_time_ms") is not None:
            op = e.get("operation") or t
            latencies[op].append(e["response_time_ms"])
            errors[op] += bool(e.get("error"))
    sessions = 0
    for ts in times.values():
        ts.sort()
        sessions += 1 + sum(1 for a, b in itertools.pairwise(ts) if b - a >= 30 * 60_000)
    return {
        "views": views,
        "opens": opens,
        "project_users": project_users,
        "zero_queries": zero_queries,
        "query_searches": query_searches,
        "latencies": latencies,
        "errors": errors,
        "searches": searches,
        "zero": zero,
        "users": len(times),
        "sessions": sessions,
        "projects": len(project_users),
    }


def assert_session_days_consistent(service: AnalyticsService) -> None:
    """The per-day session rollup agrees with the sessions themselves."""
    by_day = service._reader.query(
        f"SELECT start_ms / {DAY}, count(*), sum(end_ms - start_ms) FROM an_sessions GROUP BY 1 ORDER BY 1"
    )
    assert [tuple(r) for r in by_day] == [
        tuple(r) for r in service._reader.query("SELECT day, sessions, duration_ms FROM an_session_day ORDER BY day")
    ]


def whole_range() -> tuple[str, str]:
    return iso(START - DAY), iso(NOW + DAY)


# ---- aggregates ------------------------------------------------------------------------------
def test_dashboard_and_views_match_independent_counts(service: AnalyticsService) -> None:
    events = generate_events(6000, seed=11, start_ms=START, days=20, users=40)
    ingest(service, events, batch=700)
    want = expected(events)
    start, end = whole_range()
    d = service.dashboard(start, end, top=15)

    m = d.metrics
    assert m.total_users == want["users"]
    assert m.total_searches == want["searches"]
    assert m.zero_result_searches == want["zero"]
    assert m.total_events == len(events)
    assert m.total_projects == want["projects"]
    assert m.total_sessions == want["sessions"]
    all_lat = [v for vs in want["latencies"].values() for v in vs]
    assert m.avg_response_time_ms == pytest.approx(sum(all_lat) / len(all_lat), abs=0.001)
    assert m.error_rate_percent == pytest.approx(100 * sum(want["errors"].values()) / len(all_lat), abs=0.001)

    # top projects: the view counts in order, and each project's own numbers
    top_views = sorted(want["views"].values(), reverse=True)[:15]
    assert [p.views for p in d.top_projects] == top_views
    for p in d.top_projects:
        assert p.views == want["views"][p.project_number]
        assert p.unique_users == len(want["project_users"][p.project_number])
        assert p.document_opens == want["opens"][p.project_number]
        assert p.known is False and p.name is None  # no projects indexed in this database

    # zero-result queries and popular queries
    assert {q.query: q.zero_results for q in d.zero_result_queries} == dict(want["zero_queries"].most_common(15))
    pop = service.search_trends(start, end, "day", limit=100)
    assert {q.query: q.searches for q in pop.popular_queries} == dict(want["query_searches"])
    assert sum(p.searches for p in pop.series) == want["searches"]

    # p95 (and p50/p99) per operation from histograms vs exact nearest-rank percentiles
    ops = {o.operation: o for o in d.performance_metrics.operations}
    assert set(ops) == set(want["latencies"])
    for op, values in want["latencies"].items():
        assert ops[op].count == len(values) and ops[op].errors == want["errors"][op]
        for p, got in ((50, ops[op].p50_ms), (95, ops[op].p95_ms), (99, ops[op].p99_ms)):
            exact = nearest_rank(values, p)
            assert abs(got - exact) <= exact * 0.045 + 0.001, (op, p, got, exact)


def test_project_metrics_user_activity_and_reports(service: AnalyticsService) -> None:
    events = generate_events(3000, seed=5, start_ms=START, days=20, users=10)
    ingest(service, events)
    want = expected(events)
    start, end = whole_range()
    code = want["views"].most_common(1)[0][0]
    pm = service.project_metrics(code, start, end)
    assert pm.views == want["views"][code] and pm.unique_users == len(want["project_users"][code])
    assert pm.document_opens == want["opens"][code]
    assert pm.last_accessed == iso(max(e["timestamp"] for e in events if e.get("project_id") == code))
    assert sum(d.views for d in pm.daily) == pm.views
    with pytest.raises(InvalidInput, match="5-digit"):
        service.project_metrics("17741; DROP TABLE events")

    user = "user000"
    mine = [e for e in events if e["user_id"] == user]
    ua = service.user_activity(user, start, end)
    assert ua.events == len(mine)
    assert sum(map(sum, ua.hour_of_week)) == len(mine)
    assert ua.recent_events[0]["timestamp"] == iso(max(e["timestamp"] for e in mine))
    assert ua.sessions == expected(mine)["sessions"]

    period = f"{iso(START)[:10]}/{iso(NOW)[:10]}"
    r = service.run_report("views", ["project"], period, limit=1000)
    assert {row["project"]: row["views"] for row in r.rows if row["views"]} == dict(want["views"])
    assert r.total == sum(want["views"].values()) and r.source == "project_day"
    r = service.run_report("unique_users", ["project"], period, {"project_id": code})
    assert r.rows == [{"project": code, "project_name": None, "unique_users": len(want["project_users"][code])}]
    r = service.run_report("p95_response_time_ms", "operation", period)
    for row in r.rows:
        exact = nearest_rank(want["latencies"][row["operation"]], 95)
        assert abs(row["p95_response_time_ms"] - exact) <= exact * 0.045 + 0.001
    r = service.run_report("zero_result_searches", ["query"], period, limit=1000)
    assert {row["query"]: row["zero_result_searches"] for row in r.rows if row["zero_result_searches"]} == dict(
        want["zero_queries"]
    )
    r = service.run_report("events", ["hour_of_week"], period, limit=1000)
    assert r.total == len(events) and r.source == "type_hour"
    r = service.run_report("active_users", [], period)
    assert r.total == want["users"]
    r = service.run_report("sessions", ["user"], period, {"user_id": ["user000", "user001"]})
    assert {row["user"] for row in r.rows} <= {"user000", "user001"}


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"metric": "views; DROP TABLE events"}, "unknown metric"),
        ({"metric": "views", "group_by": ["project", "1=1"]}, "unknown dimension"),
        ({"metric": "views", "group_by": ["operation"]}, "cannot be grouped"),
        ({"metric": "views", "group_by": ["day", "project", "user"]}, "at most two"),
        ({"metric": "views", "group_by": ["day", "day"]}, "twice"),
        ({"metric": "views", "filters": {"sql": "1"}}, "unknown filter"),
        ({"metric": "views", "filters": {"project_id": "x' OR 1=1"}}, "5-digit"),
        ({"metric": "views", "filters": "project_id=1"}, "filters must be an object"),
        ({"metric": "views", "period": "forever"}, "unknown period"),
        ({"metric": "views", "limit": 0}, "limit"),
    ],
)
def test_run_report_accepts_only_whitelisted_names(service: AnalyticsService, kwargs, reason) -> None:
    with pytest.raises(InvalidInput, match=reason):
        service.run_report(**kwargs)


# ---- idempotency, rebuild, ordering -----------------------------------------------------------
def test_replaying_a_batch_changes_nothing(service: AnalyticsService, store: Store) -> None:
    events = generate_events(2500, seed=2, start_ms=START, days=20)
    ingest(service, events)
    before = service.snapshot()
    count = store.query_one("SELECT count(*) FROM events")[0]
    outbox = store.query_one("SELECT count(*) FROM bus_outbox")[0]
    for i in range(0, len(events), 1000):
        r = service.track_events(events[i : i + 1000])
        assert r.duplicate_items == r.successful_items == len(events[i : i + 1000]) and r.failed_items == 0
    assert service.wait_for_rollups(10)
    assert service.snapshot() == before
    assert store.query_one("SELECT count(*) FROM events")[0] == count
    assert store.query_one("SELECT count(*) FROM bus_outbox")[0] == outbox  # nothing new to announce


def test_rebuild_from_the_log_reproduces_the_rollups_exactly(service: AnalyticsService) -> None:
    events = generate_events(5000, seed=9, start_ms=START, days=20, users=30)
    # Out of time order and in uneven batches: the rollups must not depend on either.
    events.reverse()
    sizes = [1, 999, 7, 500, 1000, 3, 1000, 490]
    i = 0
    while i < len(events):
        for size in sizes:
            r = service.track_events(events[i : i + size])
            assert r.failed_items == 0
            i += size
    assert service.wait_for_rollups(30)
    live = service.snapshot()
    assert sum(len(v) for v in live.values()) > 1000
    assert_session_days_consistent(service)
    result = service.rebuild()
    assert result["events_replayed"] == len(events)
    assert service.snapshot() == live
    # and the live pipeline continues from there without double counting
    more = generate_events(300, seed=10, start_ms=START, days=20, id_prefix="more")
    ingest(service, more)
    after = service.snapshot()
    service.rebuild()
    assert service.snapshot() == after


def test_the_log_is_immutable(store: Store, service: AnalyticsService) -> None:
    service.track_event({"event_type": "user_login", "event_id": "x1", "user_id": "u1"})
    with pytest.raises(Exception, match="immutable"), store.transaction() as c:
        c.execute("UPDATE events SET user_id = 'mallory' WHERE event_id = 'x1'")


# ---- bad input -------------------------------------------------------------------------------
def test_a_mixed_batch_keeps_the_good_and_reports_each_bad(service: AnalyticsService, store: Store) -> None:
    good = generate_events(20, seed=3, start_ms=START, days=5)
    batch: list[Any] = list(good)
    bad_items = [
        ({"event_type": "project_view"}, "needs project_id"),
        ({"event_type": "nope", "user_id": "u"}, "unknown event_type"),
        ("string item", "must be an object"),
        (None, "must be an object"),
        ({"event_type": "project_search", "query": "x", "result_count": "many"}, "whole number"),
        ({"event_type": "user_login", "timestamp": "2999-01-01T00:00:00Z"}, "in the future"),
        ({"event_type": "user_login", "timestamp": "1999-01-01T00:00:00Z"}, "before 2000"),
        ({"event_type": "user_login", "metadata": "nope"}, "metadata must be an object"),
        (dict(good[0]), "duplicate event_id"),  # the same id twice in one batch
    ]
    for k, (item, _reason) in enumerate(bad_items):
        batch.insert(3 + k * 2, item)
    positions = {idx: reason for idx, item in enumerate(batch) for bad_item, reason in bad_items if item is bad_item}
    big_meta = {
        "event_type": "user_login",
        "event_id": "big",
        "user_id": "u8",
        "metadata": {"blob": "x" * 100_000, "k": 1},
    }
    unknown = {"event_type": "project_view", "event_id": "unk", "project_id": "99999", "user_id": "u9"}
    batch += [big_meta, unknown]

    r = service.track_events(batch, default_user="me")
    assert r.total_items == len(batch)
    assert r.failed_items == len(bad_items) == len(r.errors)
    assert r.successful_items == len(good) + 2
    for err in r.errors:
        assert positions[err.index] in err.reason, (err.index, err.reason)
    warn = {w.index: w.reason for w in r.warnings}
    assert "metadata over" in warn[len(batch) - 2] and "99999 is not in the index" in warn[len(batch) - 1]
    stored = {row[0] for row in store.query("SELECT event_id FROM events")}
    assert stored == {e["event_id"] for e in good} | {"big", "unk"}
    flags = dict(store.query("SELECT event_id, flags FROM events WHERE event_id IN ('big', 'unk')"))
    assert flags["big"] & 2 and flags["unk"] & 1
    assert service.wait_for_rollups(10)  # and the service keeps working
    assert service.dashboard(*whole_range()).metrics.total_events == len(good) + 2


def test_a_10000_item_batch_stores_the_first_1000_and_reports_the_rest(service: AnalyticsService) -> None:
    events = generate_events(10_000, seed=4, start_ms=START, days=5)
    r = service.track_events(events)
    assert r.total_items == 10_000 and r.successful_items == 1000 and r.failed_items == 9000
    assert r.errors[0].index == 1000 and "batch limit of 1000" in r.errors[0].reason
    assert r.errors[-1].index == 9999 and r.errors[-1].event_id == events[-1]["event_id"]
    with pytest.raises(InvalidInput, match="must be a list"):
        service.track_events({"event_type": "user_login"})  # type: ignore[arg-type]


def test_track_event_single(service: AnalyticsService) -> None:
    event = {"event_type": "project_view", "project_id": "21614", "event_id": "one"}
    r = service.track_event(event, default_user="me")
    assert r.event_id == "one" and r.stored and "not in the index" in r.warnings[0]
    again = service.track_event(event, default_user="u")
    assert again.event_id == "one" and not again.stored
    with pytest.raises(InvalidInput, match="unknown event_type"):
        service.track_event({"event_type": "x"})


# ---- retention -------------------------------------------------------------------------------
def test_compaction_keeps_rollups_and_bounds_the_file(tmp_path: Path) -> None:
    store = Store(tmp_path / "r.db")
    svc = AnalyticsService(store, user="me", settings=SETTINGS)
    try:
        old = generate_events(3000, seed=1, start_ms=START, days=10, id_prefix="old")
        new = generate_events(1000, seed=2, start_ms=NOW - 2 * DAY, days=2, id_prefix="new")
        new = [e for e in new if e["timestamp"] <= NOW]
        ingest(svc, old + new)
        start, end = whole_range()
        before = svc.dashboard(start, end)
        result = svc.compact(max_age_days=5)
        assert result["deleted"] == len(old)
        assert store.query_one("SELECT count(*) FROM events")[0] == len(new)
        after = svc.dashboard(start, end)
        # day-level history survives compaction
        assert after.metrics.total_events == before.metrics.total_events
        assert after.top_projects == before.top_projects
        assert after.metrics.total_users == before.metrics.total_users
        snap = svc.snapshot()
        svc.rebuild()  # from the watermark on: the same numbers
        assert svc.snapshot() == snap

        # A steady stream under a 2-day retention, on a simulated clock: the file stops growing.
        sizes = []
        day0 = (NOW // DAY - 60) * DAY
        for day in range(16):
            batch = generate_events(3000, seed=100 + day, start_ms=day0 + day * DAY, days=1, id_prefix=f"d{day}")
            ingest(svc, batch)
            svc.compact(max_age_days=2, now=day0 + (day + 1) * DAY)
            svc._writer.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            sizes.append((tmp_path / "r.db").stat().st_size)
        # Raw events stop accumulating; what still grows is day-level rollups, a fraction of the raw rate.
        raw_per_day = sizes[1] - sizes[0]
        steady_per_day = (sizes[-1] - sizes[7]) / 8
        assert steady_per_day < 0.35 * raw_per_day, sizes
        assert store.query_one("SELECT count(*) FROM events")[0] <= 3 * 3000
    finally:
        svc.close()
        store.close()


# ---- privacy ---------------------------------------------------------------------------------
def test_forget_deletes_a_user_and_keeps_totals_consistent(
    service: AnalyticsService, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    events = generate_events(3000, seed=8, start_ms=START, days=10, users=8)
    ingest(service, events)
    caplog.set_level("DEBUG")
    out = service.forget("user000")
    n = sum(1 for e in events if e["user_id"] == "user000")
    assert out["events_deleted"] == n > 0
    assert store.query_one("SELECT count(*) FROM events WHERE user_id = 'user000'")[0] == 0
    for table in ("an_project_day_user", "an_user_hour", "an_user_day", "an_sessions"):
        assert store.query_one(f"SELECT count(*) FROM {table} WHERE user_id = 'user000'")[0] == 0
    assert "user000" not in caplog.text  # hashed in logs
    rest = [e for e in events if e["user_id"] != "user000"]
    start, end = whole_range()
    d = service.dashboard(start, end)
    want = expected(rest)
    assert d.metrics.total_events == len(rest) and d.metrics.total_searches == want["searches"]
    assert d.metrics.total_users == want["users"]

    def counts_only(snap):
        # min/max latency and last-seen times cannot be un-applied; compare everything else
        keep = ("an_type_hour", "an_type_day", "an_project_day_user", "an_user_day", "an_session_day")
        out = {k: snap[k] for k in keep}
        out["an_query_day"] = [row[:-1] for row in snap["an_query_day"]]  # without last_ms
        out["an_project_day"] = [row[:-1] for row in snap["an_project_day"]]
        out["an_latency_day"] = [(*row[:4], row[-1]) for row in snap["an_latency_day"]]  # without min/max
        return out

    assert_session_days_consistent(service)
    live = counts_only(service.snapshot())
    service.rebuild()
    assert counts_only(service.snapshot()) == live


# ---- legacy import ---------------------------------------------------------------------------
def test_import_legacy_userdata(service: AnalyticsService, tmp_path: Path, store: Store) -> None:
    path = tmp_path / ".quicknav_userdata.json"
    data = {
        "preferences": {"default_doc_type": "lld", "recent_limit": 10},
        "history": [
            {
                "action": "navigate",
                "project_code": "21614",
                "status": "success",
                "path": "/p/21614 - X",
                "timestamp": "2025-03-04T09:00:00Z",
            },
            {"action": "navigate", "project_code": "pool", "status": "select", "paths": ["/a", "/b"]},
            {"action": "navigate", "project_code": "99999", "status": "error", "message": "not found"},
            "garbage",
            {"action": "navigate", "status": "success"},
            {"action": "navigate", "project_code": "20692", "status": "success", "timestamp": "1990-01-01"},
            {"action": "find_documents", "project_code": "20692", "status": "success", "doc_type": "lld"},
        ],
    }
    path.write_text(json.dumps(data))
    r = service.import_legacy(path, user="dana")
    assert r.history_entries == 7 and r.imported == 4 and r.failed == 3
    assert {e.index for e in r.errors} == {3, 4, 5}
    assert r.preferences_imported == 2 and service.preferences("dana") == data["preferences"]
    rows = store.query("SELECT event_type, project_id, query, result_count, flags FROM events ORDER BY ts_ms")
    kinds = {(r[0], r[1] or r[2]) for r in rows}
    assert kinds == {
        ("project_view", "21614"),
        ("project_search", "pool"),
        ("project_search", "99999"),
        ("document_search", "20692"),
    }
    assert all(r[4] & 4 for r in rows)  # flagged as imported
    again = service.import_legacy(path, user="dana")
    assert again.imported == 0 and again.duplicates == 4


def test_corrupt_legacy_file_is_reported_and_left_alone(service: AnalyticsService, tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    raw = b'{"preferences": {}, "history": [{"action": "navigate", '
    path.write_bytes(raw)
    with pytest.raises(InvalidInput, match="corrupt: invalid JSON at line 1"):
        service.import_legacy(path)
    assert path.read_bytes() == raw
    path.write_text('{"history": {"not": "a list"}}')
    with pytest.raises(InvalidInput, match="history must be a list"):
        service.import_legacy(path)
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InvalidInput, match="not UTF-8"):
        service.import_legacy(path)
    with pytest.raises(InvalidInput, match="no such file"):
        service.import_legacy(tmp_path / "missing.json")
