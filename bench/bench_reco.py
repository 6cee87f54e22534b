"""Recommendations and predictions at firm scale: latency, full retrain, fold-in.

Builds (or reuses) a generated firm, indexes it, simulates ~``--events`` usage events by
``--users`` people and stores them through the analytics service, then measures:

- a full retrain of the recommender and the next-project model (seconds, peak RSS);
- ``recommend_projects`` and ``predict_next`` p50/p95 in-process, on the live state;
- folding in one event: the state update alone, and the next call's read + fold-in after track_event
  (with how many of those reads needed a range query, and track_event's own cost for scale).

Targets at 1,000 users x 5,000 projects x 1,000,000 events: recommend_projects p95 <= 30 ms,
predict_next p95 <= 20 ms, full retrain <= 60 s, fold-in of one event <= 1 ms.

    python bench/bench_reco.py                       # full size (slow to set up)
    python bench/bench_reco.py --projects 500 --users 100 --events 100000
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, emit, firm, peak_rss_mb, percentiles

from quicknav_mcp.analytics import AnalyticsSettings
from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo.usage import simulate
from quicknav_mcp.services.corpus import project_documents

DAY = 86_400_000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--projects", type=int, default=5000)
    ap.add_argument("--users", type=int, default=1000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--calls", type=int, default=300)
    args = ap.parse_args()
    root = firm(args.projects)
    db = OUT / f"reco-{args.projects}-{args.users}-{args.events}.db"
    figures: dict = {"projects": args.projects, "users": args.users}
    AnalyticsSettings.from_env = classmethod(lambda cls: cls(maintenance_interval=0))  # type: ignore[method-assign]
    with App.open(load_config(db=db, roots=[root], user="bench", env={})) as app:
        t = time.monotonic()
        app.indexing.reindex()
        figures["index_seconds"] = round(time.monotonic() - t, 1)
        stored = app.analytics.counts()["events"]
        if stored < 0.9 * args.events:
            t = time.monotonic()
            specs = [
                (r.code, r.client_names[0] if r.client_names else (r.client or "x"), r.name) for r in app.projects.all()
            ]
            # pace 12/day over ~70% working days: days chosen to land near the requested size
            days = max(30, round(args.events / (args.users * 12 * 0.67)))
            sim = simulate(
                specs,
                users=args.users,
                days=days,
                seed=5,
                end_ms=int(time.time() * 1000) - DAY,
                documents=project_documents(app.store),
            )
            figures["simulate_seconds"] = round(time.monotonic() - t, 1)
            t = time.monotonic()
            events = sim.events
            for lo in range(0, len(events), 5000):
                chunk = [e.as_event("bench", lo + i) for i, e in enumerate(events[lo : lo + 5000])]
                app.analytics.track_events(chunk, limit=5000)
            del sim, events
            figures["ingest_seconds"] = round(time.monotonic() - t, 1)
        figures["events"] = app.analytics.counts()["events"]

        rss_before = peak_rss_mb()
        t = time.monotonic()
        run, _ = app.ml.train(["recommender", "next_project"], wait=True, timeout=3600)
        figures["retrain_seconds"] = round(time.monotonic() - t, 1)
        figures["retrain"] = {
            o.name: {
                "status": o.status,
                "seconds": round(o.seconds, 1),
                o.metric or "metric": o.value,
                "message": o.message[:200],
            }
            for o in run.outcomes
        }
        figures["peak_rss_mb_after_retrain"] = peak_rss_mb()
        figures["peak_rss_mb_before_retrain"] = rss_before

        t = time.monotonic()
        app.usage.current()  # the live state: one replay at start-up
        figures["live_state_build_seconds"] = round(time.monotonic() - t, 1)
        users = sorted(app.usage.current().users)
        codes = sorted({r.code for r in app.projects.all()})
        rng = random.Random(1)
        app.recommend.recommend_projects(users[0], 10)  # loads the model
        app.predict.predict_next(users[0], None, "project", 5)
        lat_rec, lat_ctx, lat_next = [], [], []
        for _ in range(args.calls):
            u = rng.choice(users)
            t0 = time.perf_counter()
            app.recommend.recommend_projects(u, 10)
            lat_rec.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            app.recommend.recommend_projects(u, 10, {"current_project": rng.choice(codes), "query": "upgrade"})
            lat_ctx.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            app.predict.predict_next(u, {"current_project": rng.choice(codes)}, "project", 5)
            lat_next.append((time.perf_counter() - t0) * 1000)
        figures["recommend_projects"] = percentiles(lat_rec)
        figures["recommend_projects_with_context"] = percentiles(lat_ctx)
        figures["predict_next"] = percentiles(lat_next)

        state = app.usage.current()
        now = int(time.time() * 1000)
        t0 = time.perf_counter()
        for k in range(10_000):
            state.add(users[k % len(users)], codes[k % len(codes)], "project_view", now + k)
        figures["fold_in_state_update_ms"] = round((time.perf_counter() - t0) * 1000 / 10_000, 4)
        folds, tracks = [], []
        queries = app.usage.fold_queries
        for k in range(50):
            t0 = time.perf_counter()
            app.analytics.track_event(
                {
                    "event_type": "project_view",
                    "user_id": users[k],
                    "project_id": codes[k],
                    "event_id": f"fold-{now}-{k}",
                }
            )
            tracks.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            app.usage.current()  # what the next call does first: read the new event, fold it in
            folds.append((time.perf_counter() - t0) * 1000)
        figures["fold_in_next_call_ms"] = percentiles(folds)
        figures["fold_in_range_queries"] = app.usage.fold_queries - queries  # 0: all handed over in-process
        figures["track_event_ms"] = percentiles(tracks)  # storing it (the write), for scale
        figures["peak_rss_mb"] = peak_rss_mb()
    emit("bench_reco", figures)


if __name__ == "__main__":
    main()
