"""/health, /metrics, /ws and the response cache inside `quicknav serve --http` (a real child process)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from websockets.asyncio.client import connect

from .core_harness import SECRET, copy_db, serve


def test_served_gateway_health_metrics_cache_and_live_events(
    sample_db: Path, sample_root: Path, tmp_path: Path
) -> None:
    from quicknav_mcp.http.auth import mint

    token = mint(SECRET, "dana", days=1)
    with serve(copy_db(sample_db, tmp_path), sample_root, QUICKNAV_JWT_SECRET=SECRET) as served:
        with served.client() as anonymous:
            health = anonymous.get("/health")
            assert health.status_code == 200  # no token needed
            assert health.json()["checks"]["store"]["ok"] and health.json()["checks"]["fts"]["ok"]
            assert anonymous.get("/metrics").status_code == 401

        async def live() -> None:
            url = served.base.replace("http://", "ws://") + f"/ws/dana?token={token}"
            async with connect(url) as ws:
                assert json.loads(await ws.recv())["type"] == "hello"
                with served.client(token) as http:
                    event = {"event_type": "project_view", "project_id": "17741", "event_id": "live-1"}
                    r = await asyncio.to_thread(http.post, "/api/v1/analytics/events", json=event)
                    assert r.status_code == 200, r.text
                while True:
                    message = json.loads(await asyncio.wait_for(ws.recv(), 5))
                    if message["type"] == "event":
                        assert message["event"]["event_id"] == "live-1"
                        assert message["event"]["user_id"] == "dana"
                        break

        asyncio.run(live())
        with served.client(token) as http:
            body = {"query": "substation", "limit": 5}
            first = http.post("/api/v1/projects/search", json=body).json()
            second = http.post("/api/v1/projects/search", json=body).json()
            assert first["projects"] == second["projects"]
            metrics = http.get("/metrics").text
    assert 'route="/api/v1/projects/search",status="200"' in metrics
    assert 'route="/health",status="200"' in metrics
    assert "quicknav_events_ingested_total" in metrics and "quicknav_cache_misses" in metrics
    assert 'quicknav_bus_lag{sub="gateway-feed"}' in metrics
