"""GET /health (deep checks, degraded states, 503) and GET /metrics from a real server."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.http.auth import mint
from quicknav_mcp.http.cache import INDEX

from .edge_harness import SECRET, edge_app, serve, wait_for


@pytest.fixture()
def qn(sample_db: Path, sample_root: Path, tmp_path: Path):
    db = tmp_path / "q.db"
    shutil.copy(sample_db, db)
    app = App.open(load_config(db=db, roots=[sample_root], env={}, embed_model="none", search_background=False))
    yield app
    app.close()


def test_health_reports_every_check_without_auth(qn: App) -> None:
    with serve(edge_app(qn, secrets=(SECRET,))) as base, httpx.Client(base_url=base) as http:
        r = http.get("/health")  # no token, auth is on: /health is public
        assert r.status_code == 200
        body = r.json()
        checks = body["checks"]
        assert set(checks) >= {"store", "fts", "sqlite_vec", "embedder", "workers", "bus", "breakers", "cache"}
        assert checks["store"]["ok"] and checks["fts"]["ok"]
        assert checks["fts"]["rows"]["search_projects"] == 4
        assert checks["sqlite_vec"]["ok"] == qn.store.vec_available
        # The embedder is off in this configuration: QuickNav works, degraded.
        assert checks["embedder"]["ok"] is False and body["status"] == "degraded"
        assert "embedder" in body["degraded"]
        assert checks["breakers"]["embedder"]["state"] == "closed"
        assert checks["workers"]["websocket_hub"] is True
        assert "rollups" in checks["bus"]["lag"] and "gateway-feed" in checks["bus"]["lag"]
        assert http.get("/metrics").status_code == 401  # metrics are not public


def test_open_breaker_degrades_health(qn: App) -> None:
    app = edge_app(qn)
    with serve(app) as base, httpx.Client(base_url=base) as http:
        breaker = app.state.edge.breakers["embedder"]
        for _ in range(breaker.failure_threshold):
            breaker.failure(RuntimeError("model crashed"))
        body = http.get("/health").json()
        assert body["checks"]["breakers"]["embedder"]["state"] == "open"
        assert "breakers" in body["degraded"] and body["status"] == "degraded"
        assert "model crashed" in body["checks"]["breakers"]["embedder"]["last_error"]


def test_health_shows_the_watcher_and_a_dead_one_degrades_it(qn: App) -> None:
    app = edge_app(qn)
    with serve(app) as base, httpx.Client(base_url=base) as http:
        assert http.get("/health").json()["checks"]["watcher"] == {
            "ok": True,
            "state": "off",
            "ms": pytest.approx(0, abs=1e3),
        }
        supervisor = qn.start_watching()
        assert wait_for(lambda: http.get("/health").json()["checks"]["watcher"].get("state") == "watching", 20)
        watcher = http.get("/health").json()["checks"]["watcher"]
        assert watcher["ok"] and watcher["alive"] and watcher["heartbeat"] and watcher["mode"] in ("inotify", "polling")
        supervisor.stop()  # as if the thread had died: /health must not call that healthy
        body = http.get("/health").json()
        assert body["checks"]["watcher"]["ok"] is False and "watcher" in body["degraded"]


def test_unusable_store_is_503(qn: App) -> None:
    app = edge_app(qn)
    with serve(app) as base, httpx.Client(base_url=base) as http:
        assert http.get("/health").status_code == 200
        qn.store.close()  # the store is gone: nothing can work
        r = http.get("/health")
        assert r.status_code == 503
        assert r.json()["status"] == "unhealthy" and r.json()["checks"]["store"]["ok"] is False


def test_metrics_counts_requests_cache_events_and_index(qn: App) -> None:
    app = edge_app(qn, secrets=(SECRET,))
    token = {"Authorization": f"Bearer {mint(SECRET, 'dana', days=1)}"}
    with serve(app) as base, httpx.Client(base_url=base, headers=token) as http:
        for n in ("10001", "10002", "10003"):
            assert http.get(f"/api/v1/projects/{n}").status_code == 200
        assert http.get("/api/v1/projects/1", headers={"Authorization": "Bearer forged"}).status_code == 401
        edge = app.state.edge
        edge.cache.put("k", b"v", [INDEX])
        edge.cache.get("k")
        edge.cache.get("absent")
        events = [
            {"event_type": "project_search", "user_id": "dana", "query": "x", "event_id": f"m{i}"} for i in range(3)
        ]
        assert qn.analytics.track_events(events).successful_items == 3
        assert wait_for(lambda: edge.feed.delivered == 3)
        text = http.get("/metrics").text
    route = 'route="/api/v1/projects/{number}"'
    assert f'quicknav_http_requests_total{{method="GET",{route},status="200"}} 3.0' in text
    assert f'quicknav_http_requests_total{{method="GET",{route},status="401"}} 1.0' in text
    assert f"quicknav_http_request_duration_seconds_count{{{route}}} 4.0" in text
    assert "quicknav_cache_hits 1.0" in text and "quicknav_cache_misses 1.0" in text
    assert "quicknav_events_ingested_total 3.0" in text
    assert 'quicknav_index_size{kind="projects"} 4.0' in text
    assert "quicknav_ws_clients 0.0" in text
    assert 'quicknav_bus_lag{sub="rollups"}' in text
    assert 'quicknav_breaker_state{breaker="embedder"} 0.0' in text
