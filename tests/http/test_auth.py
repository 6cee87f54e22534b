"""JWT auth: 401 for missing, expired and forged tokens; 403 for another user's data; secrets rotate."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from quicknav_mcp.http.auth import mint

from .core_harness import OLD_SECRET, QUICKNAV, SECRET, Served, copy_db, serve


@pytest.fixture(scope="module")
def server(sample_db: Path, sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    db = copy_db(sample_db, tmp_path_factory.mktemp("auth"))
    with serve(db, sample_root, QUICKNAV_JWT_SECRET=f"{SECRET},{OLD_SECRET}") as served:
        yield served


def error_code(r) -> str:
    assert "Traceback" not in r.text
    return r.json()["error_code"]


def test_missing_expired_and_forged_tokens_are_401(server: Served) -> None:
    with server.client() as anon:
        r = anon.get("/api/v1/index/status")
        assert r.status_code == 401 and error_code(r) == "missing_token"
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert anon.post("/mcp", json={}).status_code == 401  # MCP sits behind the same auth
        assert anon.get("/openapi.json").status_code == 200  # the description holds no data
    expired = mint(SECRET, "erin", days=1, now=time.time() - 3 * 86400)
    with server.client(expired) as c:
        r = c.get("/api/v1/index/status")
        assert r.status_code == 401 and error_code(r) == "token_expired"
    forged = mint("not-the-server-secret-" + "x" * 20, "erin", days=1, admin=True)
    with server.client(forged) as c:
        assert c.get("/api/v1/index/status").status_code == 401
    unsigned = jwt.encode({"sub": "erin", "exp": time.time() + 60}, key=None, algorithm="none")
    with server.client(unsigned) as c:
        assert c.get("/api/v1/index/status").status_code == 401
    no_expiry = jwt.encode({"sub": "erin"}, SECRET, algorithm="HS256")
    with server.client(no_expiry) as c:
        assert c.get("/api/v1/index/status").status_code == 401


def test_a_token_signed_with_the_second_secret_still_verifies(server: Served) -> None:
    with server.client(mint(OLD_SECRET, "erin", days=1)) as c:
        assert c.get("/api/v1/index/status").status_code == 200


def test_the_token_user_is_the_user_and_others_need_admin(server: Served) -> None:
    erin = mint(SECRET, "erin", days=1)
    with server.client(erin) as c:
        r = c.post("/api/v1/analytics/events", json={"event_type": "project_view", "project_id": "20865"})
        assert r.status_code == 200 and r.json()["successful_items"] == 1
        assert c.get("/api/v1/analytics/users/erin/activity").status_code == 200
        r = c.get("/api/v1/analytics/users/dana/activity")
        assert r.status_code == 403 and error_code(r) == "forbidden"
        forged_user = c.post("/api/v1/analytics/events", json={"event_type": "project_view", "user_id": "dana"})
        assert forged_user.status_code == 403
        assert c.post("/api/v1/recommendations/projects", json={"user_id": "dana"}).status_code == 403
        assert c.post("/api/v1/prediction/next-action", json={"user_id": "dana"}).status_code == 403
        assert c.post("/api/v1/index/reindex", json={}).status_code == 403
        assert c.post("/api/v1/projects/search", json={"query": "quay", "user_id": "dana"}).status_code == 403
        assert c.post("/api/v1/projects/search", json={"query": "quay", "user_id": "erin"}).status_code == 200
    with server.client(mint(SECRET, "admin", days=1, admin=True)) as boss:
        activity = boss.get("/api/v1/analytics/users/erin/activity")
        assert activity.status_code == 200, activity.text
        assert activity.json()["summary"]["events"] >= 1 if "summary" in activity.json() else activity.json()
        assert boss.post("/api/v1/recommendations/projects", json={"user_id": "erin"}).status_code == 200


def test_quicknav_token_mints_a_working_token(server: Served, sample_root: Path) -> None:
    env = {"QUICKNAV_JWT_SECRET": f"{SECRET},{OLD_SECRET}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [*QUICKNAV, "token", "--user", "fay", "--days", "2", "--admin"], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    token = out.stdout.strip()
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["sub"] == "fay" and claims["admin"] is True and 1.9 * 86400 < claims["exp"] - time.time() <= 2 * 86400
    with server.client(token) as c:
        assert c.get("/api/v1/analytics/users/dana/activity").status_code == 200
    missing = subprocess.run(
        [*QUICKNAV, "token", "--user", "fay"], capture_output=True, text=True, env={"PATH": "/usr/bin"}
    )
    assert missing.returncode == 2 and "QUICKNAV_JWT_SECRET" in missing.stderr


def test_serving_beyond_loopback_without_a_secret_is_refused(tmp_path: Path, sample_root: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "QUICKNAV_DB": str(tmp_path / "x.db"), "QUICKNAV_ROOTS": str(sample_root)}
    out = subprocess.run(
        [*QUICKNAV, "serve", "--http", "--host", "0.0.0.0", "--port", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert out.returncode == 2
    assert "QUICKNAV_JWT_SECRET" in out.stderr and "0.0.0.0" in out.stderr
    short = subprocess.run(
        [*QUICKNAV, "token", "--user", "x"], capture_output=True, text=True, env=env | {"QUICKNAV_JWT_SECRET": "short"}
    )
    assert short.returncode == 2 and "32" in short.stderr


def test_request_log_hashes_the_token_user(server: Served) -> None:
    with server.client(mint(SECRET, "gus", days=1)) as c:
        rid = c.get("/api/v1/index/status").headers["x-request-id"]
    deadline = time.monotonic() + 5
    records: list[dict] = []
    while not records and time.monotonic() < deadline:
        records = [json.loads(x) for x in server.lines if rid in x and "http.access" in x]
        time.sleep(0.05)
    assert records and records[0]["user"] and "gus" not in json.dumps(records[0])
