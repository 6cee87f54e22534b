"""Segments, forecasts and anomalies through the real MCP client over a generated month of use."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.server import build_server

pytestmark = pytest.mark.anyio
DAYS = 35


def _month(project: str) -> list[dict[str, Any]]:
    """Four office-hours users on one project, four evening searchers; weekdays busier."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    out: list[dict[str, Any]] = []
    for back in range(DAYS, 0, -1):
        day = today - timedelta(days=back)
        busy = 3 if day.weekday() < 5 else 1
        for u in range(4):
            for n in range(busy):
                ts = day + timedelta(hours=10 + n, minutes=u)
                out.append(
                    {
                        "user_id": f"office{u}",
                        "event_type": "project_view",
                        "project_id": project,
                        "timestamp": ts.isoformat(),
                    }
                )
            for n in range(busy * 3):
                ts = day + timedelta(hours=20, minutes=10 * n + u)
                out.append(
                    {
                        "user_id": f"night{u}",
                        "event_type": "project_search",
                        "query": f"q{n}",
                        "result_count": 3,
                        "timestamp": ts.isoformat(),
                    }
                )
    odd_day = today - timedelta(days=2)
    out += [
        {
            "user_id": "office1",
            "event_type": "project_search",
            "query": f"zz{n}",
            "result_count": 0,
            "timestamp": (odd_day + timedelta(hours=15, minutes=n)).isoformat(),
        }
        for n in range(8)
    ]
    return out


async def test_insight_tools(sample_db: Path, sample_root: Path, tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    shutil.copy(sample_db, db)
    with App.open(load_config(db=db, roots=[sample_root], user="tester", env={})) as app:
        project = app.projects.all()[0].code
        events = _month(project)
        for i in range(0, len(events), 1000):  # the ingestion's batch limit
            assert not app.analytics.track_events(events[i : i + 1000]).errors
        server = build_server(lambda: app, close_on_exit=False)
        async with Client(server) as client:

            async def call(tool: str, **args: Any) -> dict[str, Any]:
                res = await client.call_tool(tool, args)
                assert not res.is_error, res.content
                return res.structured_content

            async def error(tool: str, **args: Any) -> str:
                res = await client.call_tool(tool, args)
                assert res.is_error
                return res.content[0].text

            seg = await call("user_segments")
            assert seg["k"] == 2 and seg["users"] == 8
            assert sorted(s["size"] for s in seg["segments"]) == [4, 4]
            assert "segments (chosen by silhouette)" in seg["summary"]

            fc = await call("forecast_usage", horizon_days=7, metric="project_views", project_number=project)
            assert len(fc["points"]) == 7 and fc["history"]["days"] >= 28
            assert fc["model"] in ("seasonal_naive", "ets", "arima") and fc["seasonal_naive_mase"] is not None
            p = fc["points"][0]
            assert p["lo95"] <= p["lo80"] <= p["value"] <= p["hi80"] <= p["hi95"]
            weekday = [pt["value"] for pt in fc["points"] if datetime.fromisoformat(pt["date"]).weekday() < 5]
            weekend = [pt["value"] for pt in fc["points"] if datetime.fromisoformat(pt["date"]).weekday() >= 5]
            assert min(weekday) > max(weekend)  # 12 views on weekdays, 4 at weekends

            an = await call("detect_anomalies", start="10d")
            assert an["anomalies"] and an["anomalies"][0]["subject"] == "office1"
            assert an["anomalies"][0]["feature"] == "zero_result_searches"
            assert len(an["anomalies"][0]["evidence"]) == 5

            assert "horizon_days must be a whole number from 1 to 90" in await error("forecast_usage", horizon_days=400)
            assert "metric must be one of" in await error("forecast_usage", metric="money")
            assert "project 99999 not found" in await error("forecast_usage", project_number="99999")
            assert "project_number must be a 5-digit" in await error("forecast_usage", project_number="abc")
            assert "k must be a whole number from 2 to 8" in await error("user_segments", k=12)
            assert "more than 366 days" in await error("detect_anomalies", start="2020-01-01", end="2026-01-01")
            assert "not a real date" in await error("detect_anomalies", start="2026-02-31")
            assert "must be after start" in await error("detect_anomalies", start="2026-03-05", end="2026-03-01")
