"""Bad input gets the one error model with the right status: 400, 404, 405, 413, 422 — never a traceback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .core_harness import Served, copy_db, serve

ERROR_KEYS = {"error", "error_code", "details", "request_id"}


@pytest.fixture(scope="module")
def server(sample_db: Path, sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(copy_db(sample_db, tmp_path_factory.mktemp("errors")), sample_root) as served:
        yield served


@pytest.fixture
def client(server: Served) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


def check(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert body.keys() == ERROR_KEYS and body["error_code"] == code and body["error"]
    assert body["request_id"] == r.headers["x-request-id"]
    assert "Traceback" not in r.text and 'File "' not in r.text
    return body


def test_malformed_json_is_400(client: httpx.Client) -> None:
    r = client.post("/api/v1/projects/search", content=b'{"query": "pool', headers={"content-type": "application/json"})
    check(r, 400, "malformed_json")
    check(client.post("/api/v1/projects/search", content=b"\xff\xfe{}"), 400, "malformed_json")


def test_body_over_one_megabyte_is_413_declared_or_streamed(client: httpx.Client) -> None:
    big = b'{"query": "' + b"a" * (1024 * 1024 + 10) + b'"}'
    check(client.post("/api/v1/projects/search", content=big), 413, "body_too_large")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(20):
            yield b" " * 65536
        yield b"{}"

    check(client.post("/api/v1/analytics/events", content=chunks()), 413, "body_too_large")


def test_deeply_nested_json_is_refused_before_parsing(client: httpx.Client) -> None:
    deep = b'{"query": "x", "filters": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    check(client.post("/api/v1/projects/search", content=deep), 400, "too_deep")
    nested: object = {"event_type": "project_view"}
    for _ in range(40):  # parses, but deeper than any model: refused before validation
        nested = {"metadata": nested}
    check(client.post("/api/v1/analytics/events", json=nested), 400, "too_deep")
    # Brackets inside strings are text, not nesting.
    ok = client.post("/api/v1/projects/search", json={"query": "poolwerx " + "[" * 100})
    assert ok.status_code == 200, ok.text


def test_validation_names_the_field(client: httpx.Client) -> None:
    body = check(client.post("/api/v1/projects/search", json={"query": "x", "limit": 0}), 422, "validation_error")
    assert body["details"][0]["field"] == "limit" and "limit" in body["error"]
    body = check(client.post("/api/v1/projects/search", json={"limit": 5}), 422, "validation_error")
    assert body["details"][0]["field"] == "query"
    body = check(client.post("/api/v1/projects/search", json={"query": "x", "limt": 5}), 422, "validation_error")
    assert body["details"][0]["field"] == "limt" and "did you mean 'limit'" in body["error"]
    check(client.post("/api/v1/projects/search", json=["query"]), 422, "validation_error")
    body = check(client.post("/api/v1/analytics/events", json={"event_type": 5}), 422, "validation_error")
    assert body["details"][0]["field"] == "event_type"


def test_unknown_route_and_method_use_the_error_model(client: httpx.Client) -> None:
    check(client.get("/api/v1/nothing-here"), 404, "not_found")
    check(client.get("/legacy/navigate_project"), 405, "method_not_allowed")
