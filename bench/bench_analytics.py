"""Analytics: ingestion through the service and through MCP track_events, get_dashboard latency
with 1,000,000 events stored, and database bytes per event.

Targets: service ingestion >= 20,000 events/s; MCP track_events >= 2,000 events/s;
get_dashboard p95 <= 50 ms at 1M events. Issue 12 also holds each figure at or under the code's figures
when it was filed: ``--against NAME=PYTHON`` (another checkout's interpreter, repeatable) runs this
bench there and here in alternating rounds and prints both with their ratio (``_compare.py``). Calls
are timed as wall time and CPU time (the calling thread's; the whole process's for ingestion, whose
rollups run on a thread, and through the MCP client).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import anyio
from _common import OUT, emit, peak_rss_mb, percentiles
from _compare import alternate, parse_against

from quicknav_mcp.analytics import AnalyticsService, AnalyticsSettings
from quicknav_mcp.analytics.synthetic import generate_events
from quicknav_mcp.store import Store

DAY = 86_400_000
SETTINGS = AnalyticsSettings(maintenance_interval=0)
ZONE = "Australia/Sydney"  # --timezone: the zone rollups are bucketed in (a DST zone is the costlier case)


def fresh(name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return db


def ingest(svc: AnalyticsService, events: list[dict], batch: int) -> dict[str, float]:
    """Events/s of the track_events calls, and until the rollups have folded everything in."""
    c0, t0 = time.process_time(), time.perf_counter()
    for i in range(0, len(events), batch):
        r = svc.track_events(events[i : i + batch])
        assert r.failed_items == 0, r.errors[:2]
    t_ingest = time.perf_counter() - t0
    assert svc.wait_for_rollups(600)
    t_all, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {
        "events": len(events),
        "batch": batch,
        "ingest_events_per_s": round(len(events) / t_ingest),
        "with_rollups_events_per_s": round(len(events) / t_all),
        "with_rollups_events_per_cpu_s": round(len(events) / cpu),
        "seconds": round(t_all, 2),
    }


def bench_service(n: int) -> dict:
    db = fresh("analytics-ingest.db")
    store = Store(db)
    svc = AnalyticsService(store, user="bench", settings=SETTINGS, timezone=ZONE)
    start = (int(time.time() * 1000) // DAY - 30) * DAY
    events = generate_events(n, seed=1, start_ms=start, days=30, users=100)
    out = ingest(svc, events, 1000)
    svc.close()
    store.close()
    return out


def bench_mcp(n: int) -> dict:
    from mcp import Client

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config
    from quicknav_mcp.server import build_server

    db = fresh("analytics-mcp.db")
    app = App.open(load_config(db=db, roots=[], user="bench", timezone=ZONE, env={}))
    server = build_server(lambda: app, close_on_exit=False)
    start = (int(time.time() * 1000) // DAY - 30) * DAY
    events = generate_events(n, seed=2, start_ms=start, days=30, users=100)
    batches = [events[i : i + 1000] for i in range(0, n, 1000)]

    async def run() -> tuple[float, float]:
        async with Client(server) as client:
            await client.call_tool("track_events", {"events": batches[0][:10]})  # warm up
            c0, t0 = time.process_time(), time.perf_counter()
            for b in batches:
                r = await client.call_tool("track_events", {"events": b})
                assert not r.is_error
            return time.perf_counter() - t0, time.process_time() - c0

    seconds, cpu = anyio.run(run)
    app.analytics.wait_for_rollups(120)
    app.close()
    return {
        "events": n,
        "batch": 1000,
        "events_per_s": round(n / seconds),
        "events_per_cpu_s": round(n / cpu),
        "seconds": round(seconds, 2),
    }


def bench_dashboard(n: int, calls: int, rebuild: bool = True) -> dict:
    db = OUT / f"analytics-{n}.db"
    store = Store(db)
    svc = AnalyticsService(store, user="bench", settings=SETTINGS, timezone=ZONE)
    have = store.query_one("SELECT count(*) FROM events")[0]
    load = None
    if have < n:  # build once; reused by later runs
        start = (int(time.time() * 1000) // DAY - 90) * DAY
        events = generate_events(n - have, seed=3 + have, start_ms=start, days=90, users=200, id_prefix=f"d{have}")
        load = ingest(svc, events, 1000)
        del events
    svc.wait_for_rollups(600)
    svc._writer.raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = store.query_one("SELECT count(*) FROM events")[0]

    def timed(fn) -> dict[str, dict[str, float]]:
        fn()
        wall, cpu = [], []
        for _ in range(calls):
            c0, t0 = time.thread_time(), time.perf_counter()
            fn()
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
        return {"wall": percentiles(wall), "cpu": percentiles(cpu)}

    figures = {
        "events_stored": stored,
        "dashboard_last_30_days": timed(lambda: svc.dashboard()),
        "dashboard_all_90_days": timed(lambda: svc.dashboard("95d", "now")),
        "dashboard_last_24_hours": timed(lambda: svc.dashboard("24h", "now")),
        "project_metrics": timed(lambda: svc.project_metrics("17005")),
        "search_trends_90_days": timed(lambda: svc.search_trends("95d", "now", "day")),
        "report_p95_by_operation_and_day": timed(
            lambda: svc.run_report("p95_response_time_ms", ["operation", "day"], "last_90_days", limit=1000)
        ),
        "rebuild_seconds": None,
    }
    figures["mcp_get_dashboard_last_30_days"] = mcp_dashboard(db, calls)
    size = os.path.getsize(db)
    by_table = {}
    try:
        rows = store.query("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC")
        by_table = {r[0]: r[1] for r in rows}
    except Exception:  # dbstat not compiled in
        pass
    raw = sum(v for k, v in by_table.items() if k.startswith(("events", "sqlite_autoindex_events")))
    figures["db_bytes"] = size
    figures["db_bytes_per_event"] = round(size / stored, 1)
    figures["raw_log_bytes_per_event"] = round(raw / stored, 1) if raw else None
    figures["largest_tables"] = dict(list(by_table.items())[:8])
    if load:
        figures["load"] = load
    if rebuild:
        t0 = time.perf_counter()
        svc.rebuild()
        figures["rebuild_seconds"] = round(time.perf_counter() - t0, 1)
    svc.close()
    store.close()
    return figures


def mcp_dashboard(db: Path, calls: int) -> dict[str, dict[str, float]]:
    """get_dashboard through the real MCP client in memory (tool call + JSON both ways)."""
    from mcp import Client

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config
    from quicknav_mcp.server import build_server

    app = App.open(load_config(db=db, roots=[], user="bench", timezone=ZONE, env={}))  # tracking on, as in use
    server = build_server(lambda: app, close_on_exit=False)

    async def run() -> tuple[list[float], list[float]]:
        wall, cpu = [], []
        async with Client(server) as client:
            await client.call_tool("get_dashboard", {})
            for _ in range(calls):
                c0, t0 = time.process_time(), time.perf_counter()
                r = await client.call_tool("get_dashboard", {})
                wall.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                assert not r.is_error
        return wall, cpu

    wall, cpu = anyio.run(run)
    app.close()
    return {"wall": percentiles(wall), "cpu": percentiles(cpu)}


def main() -> None:
    global ZONE
    ap = argparse.ArgumentParser()
    ap.add_argument("--ingest-events", type=int, default=200_000)
    ap.add_argument("--mcp-events", type=int, default=50_000)
    ap.add_argument("--events", type=int, default=1_000_000, help="events stored for the dashboard benchmark")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--timezone", default=ZONE, help="IANA zone for the day/hour buckets (default %(default)s)")
    ap.add_argument("--no-rebuild", action="store_true", help="skip timing a rebuild of the rollups")
    ap.add_argument("--against", action="append", default=[], help="NAME=PYTHON of another checkout")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds with --against")
    args = ap.parse_args()
    ZONE = args.timezone
    if args.against:
        argv = [f"--{k.replace('_', '-')}={getattr(args, k)}" for k in ("ingest_events", "mcp_events", "events")]
        argv += [f"--calls={args.calls}", f"--timezone={ZONE}"] + (["--no-rebuild"] if args.no_rebuild else [])
        emit("analytics", alternate(__file__, argv, parse_against(args.against), args.rounds))
        return
    emit(
        "analytics",
        {
            "service_ingest": bench_service(args.ingest_events),
            "mcp_track_events": bench_mcp(args.mcp_events),
            "dashboard": bench_dashboard(args.events, args.calls, rebuild=not args.no_rebuild),
            "peak_rss_mb": peak_rss_mb(),
            "targets": {"service_events_per_s": 20_000, "mcp_events_per_s": 2_000, "dashboard_p95_ms": 50},
        },
    )


if __name__ == "__main__":
    main()
