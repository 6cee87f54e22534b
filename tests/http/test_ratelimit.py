"""Rate limiting: token buckets (unit) and 429 + Retry-After + the error model from a real server."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
import pytest

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.http.auth import mint
from quicknav_mcp.http.ratelimit import TokenBuckets, route_group

from .edge_harness import SECRET, edge_app, serve


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_burst_then_refills_at_the_rate() -> None:
    clock = Clock()
    b = TokenBuckets(60, burst=3, clock=clock)  # one a second
    assert [b.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert b.take("k") == pytest.approx(1.0)
    clock.now += 0.5
    assert b.take("k") == pytest.approx(0.5)
    clock.now += 0.5
    assert b.take("k") == 0.0
    assert b.take("other") == 0.0  # buckets are independent
    clock.now += 100
    assert [b.take("k") for _ in range(4)][-1] > 0  # refilled to the burst, not beyond
    assert b.limited == 3


def test_zero_turns_limiting_off_and_groups() -> None:
    off = TokenBuckets(0)
    assert not off.enabled and all(off.take("k") == 0 for _ in range(1000))
    with pytest.raises(ValueError):
        TokenBuckets(-1)
    assert route_group("/api/v1/projects/12345") == "api/projects"
    assert route_group("/api/v1/analytics/events") == "api/analytics"
    assert route_group("/legacy/navigate_project") == "legacy"
    assert route_group("/mcp/") == "mcp"


@pytest.fixture()
def qn(sample_db: Path, sample_root: Path, tmp_path: Path):
    db = tmp_path / "q.db"
    shutil.copy(sample_db, db)
    app = App.open(load_config(db=db, roots=[sample_root], env={}, embed_model="none", search_background=False))
    yield app
    app.close()


def test_429_with_retry_after_per_user_and_group(qn: App) -> None:
    with serve(edge_app(qn, secrets=(SECRET,), rate_limit=2, burst=2)) as base:
        dana = {"Authorization": f"Bearer {mint(SECRET, 'dana', days=1)}"}
        eve = {"Authorization": f"Bearer {mint(SECRET, 'eve', days=1)}"}
        with httpx.Client(base_url=base) as http:
            assert [http.get("/api/v1/projects/1", headers=dana).status_code for _ in range(2)] == [200, 200]
            refused = http.get("/api/v1/projects/1", headers=dana)
            assert refused.status_code == 429
            assert 1 <= int(refused.headers["Retry-After"]) <= 30  # 2/min: a token every 30 s
            body = refused.json()
            assert set(body) == {"error", "error_code", "details", "request_id"}
            assert body["error_code"] == "rate_limited" and body["details"]["group"] == "api/projects"
            assert http.get("/api/v1/projects/1", headers=eve).status_code == 200  # another user
            assert http.get("/api/v1/search/x", headers=dana).status_code == 200  # another group
            assert all(http.get("/health").status_code == 200 for _ in range(5))  # never limited
            metrics = http.get("/metrics", headers=dana).text
            assert 'quicknav_http_requests_total{method="GET",route="/api/v1/projects/{number}",status="429"} 1.0' in (
                metrics
            )


def test_unauthenticated_callers_share_their_address_bucket(qn: App) -> None:
    with serve(edge_app(qn, rate_limit=1, burst=1)) as base, httpx.Client(base_url=base) as http:
        assert http.get("/api/v1/projects/1").status_code == 200
        assert http.get("/api/v1/projects/1").status_code == 429
