"""DNS rebinding: Host and Origin checked on /api, /legacy and /mcp; CORS only for the configured origins."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .core_harness import Served, copy_db, serve

GUI = "http://gui.local:3000"


@pytest.fixture(scope="module")
def server(sample_db: Path, sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    db = copy_db(sample_db, tmp_path_factory.mktemp("hosts"))
    with serve(db, sample_root, QUICKNAV_ALLOWED_HOSTS="quicknav.internal", QUICKNAV_CORS_ORIGINS=GUI) as served:
        yield served


def test_a_foreign_host_is_421_everywhere_checked(server: Served) -> None:
    with server.client() as c:
        for path in ("/api/v1/index/status", "/mcp"):
            r = c.get(path, headers={"Host": "attacker.example"})
            assert r.status_code == 421 and r.json()["error_code"] == "host_not_allowed", r.text
        r = c.post("/legacy/navigate_project", json={"project_number": "20865"}, headers={"Host": "evil.test:8765"})
        assert r.status_code == 421
        assert c.get("/api/v1/index/status", headers={"Host": "quicknav.internal:8765"}).status_code == 200
        assert c.get("/api/v1/index/status", headers={"Host": "[::1]:8765"}).status_code == 200
        assert c.get("/api/v1/index/status", headers={"Host": "localhost:bad"}).status_code == 400


def test_a_foreign_origin_is_403_and_only_configured_origins_get_cors(server: Served) -> None:
    with server.client() as c:
        r = c.get("/api/v1/index/status", headers={"Origin": "https://attacker.example"})
        assert r.status_code == 403 and r.json()["error_code"] == "origin_not_allowed"
        assert c.post("/mcp", json={}, headers={"Origin": "http://rebind.example"}).status_code == 403
        local = c.get("/api/v1/index/status", headers={"Origin": "http://localhost:5173"})
        assert local.status_code == 200 and "access-control-allow-origin" not in local.headers
        gui = c.get("/api/v1/index/status", headers={"Origin": GUI})
        assert gui.status_code == 200 and gui.headers["access-control-allow-origin"] == GUI
        pre = c.options(
            "/api/v1/projects/search",
            headers={
                "Origin": GUI,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        assert pre.status_code == 204 and "POST" in pre.headers["access-control-allow-methods"]
        assert "Authorization" in pre.headers["access-control-allow-headers"]
