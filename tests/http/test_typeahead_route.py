"""``GET /api/v1/search/typeahead`` over a real ``quicknav serve --http`` child on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from quicknav_mcp.search.typeahead import prefix_matches

from .core_harness import Served, copy_db, serve


@pytest.fixture(scope="module")
def client(sample_db: Path, sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    served: Served
    with serve(copy_db(sample_db, tmp_path_factory.mktemp("typeahead")), sample_root) as served, served.client() as c:
        yield c


def test_each_keystroke_answers_with_matches_of_what_is_typed(client: httpx.Client) -> None:
    for text in ("po", "pool", "poolwerx", "2161", "21614"):
        r = client.get("/api/v1/search/typeahead", params={"q": text})
        assert r.status_code == 200, r.text
        out = r.json()
        assert {"query", "projects", "documents", "words", "bounded", "search_time_ms"} <= out.keys()
        assert out["projects"], text
        for p in out["projects"]:
            assert prefix_matches(
                " ".join([p["project_number"], p["name"], p["client"] or "", *p["client_names"]]), text
            )
            assert p["why"]
    docs = client.get("/api/v1/search/typeahead", params={"q": "training ro", "limit": 3, "projects": 0}).json()
    assert docs["projects"] == [] and 0 < len(docs["documents"]) <= 3
    assert all(d["why"] and d["path"] for d in docs["documents"])


def test_bad_input_is_a_422_naming_the_field(client: httpx.Client) -> None:
    for params, field in (
        ({}, "q is empty"),
        ({"q": "pool", "limit": "ten"}, "limit"),
        ({"q": "pool", "limit": 99}, "limit"),
    ):
        r = client.get("/api/v1/search/typeahead", params=params)
        assert r.status_code == 422 and field in r.json()["error"], r.text
    assert client.get("/api/v1/search/typeahead", params={"q": "pool"}).status_code == 200  # still serving
    spec = client.get("/openapi.json").json()
    assert "/api/v1/search/typeahead" in spec["paths"]
