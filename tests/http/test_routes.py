"""Every REST route over a real ``quicknav serve --http`` child: legacy fields in, the tools' models out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .core_harness import Served, copy_db, serve


@pytest.fixture(scope="module")
def server(sample_db: Path, sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with serve(copy_db(sample_db, tmp_path_factory.mktemp("routes")), sample_root) as served:
        yield served


@pytest.fixture
def client(server: Served) -> Iterator[httpx.Client]:
    with server.client() as c:
        yield c


def test_project_search_keeps_the_legacy_fields(client: httpx.Client) -> None:
    body = {"query": "poolwerx", "limit": 5, "offset": 0, "filters": None, "user_id": "dana", "include_analytics": True}
    r = client.post("/api/v1/projects/search", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert {"projects", "total_count", "search_time_ms", "facets", "suggestions", "from_cache"} <= out.keys()
    assert [p["project_number"] for p in out["projects"]] == ["21614"]
    assert out["projects"][0]["analytics"]["views_30d"] >= 0
    assert out["from_cache"] is False
    plain = client.post("/api/v1/projects/search", json={"query": "poolwerx"}).json()
    assert "analytics" not in plain["projects"][0]


def test_a_repeated_search_is_served_from_the_cache(client: httpx.Client) -> None:
    body = {"query": "hearing loop", "limit": 3, "user_id": "cache-check"}
    first = client.post("/api/v1/documents/search", json=body).json()
    again = client.post("/api/v1/documents/search", json=body).json()  # the first call's own event came between
    assert again["from_cache"] is True
    assert [d["path"] for d in again["documents"]] == [d["path"] for d in first["documents"]]


def test_document_search_takes_project_id_and_doc_type(client: httpx.Client) -> None:
    body = {"query": "", "project_id": "20865", "doc_type": "lld", "limit": 3, "include_content": False}
    r = client.post("/api/v1/documents/search", json=body)
    assert r.status_code == 200, r.text
    docs = r.json()["documents"]
    assert docs and all(d["project_number"] == "20865" and d["doc_type"] == "lld" for d in docs)
    assert all("snippet" not in d for d in docs)
    with_content = client.post("/api/v1/documents/search", json=body | {"include_content": True}).json()
    assert all("snippet" in d for d in with_content["documents"])


def test_legacy_navigate_from_body_or_query(client: httpx.Client) -> None:
    r = client.post("/legacy/navigate_project", json={"project_number": "20865"})
    assert r.status_code == 200 and r.json()["status"] == "success"
    assert r.json()["path"].endswith("20865 - CPQST 50 Quay St BNE")
    q = client.post("/legacy/navigate_project", params={"project_number": "20865"})
    assert q.status_code == 200 and q.json()["path"] == r.json()["path"]
    missing = client.post("/legacy/navigate_project", json={"project_number": "99999"})
    assert missing.status_code == 200 and missing.json()["status"] == "error" and missing.json()["message"]


def test_project_details_documents_and_autocomplete(client: httpx.Client) -> None:
    detail = client.get("/api/v1/projects/20865")
    assert detail.status_code == 200 and detail.json()["project_number"] == "20865"
    docs = client.get("/api/v1/projects/20865/documents", params={"doc_type": "lld", "mode": "latest"})
    assert docs.status_code == 200 and docs.json()["documents"]
    assert client.get("/api/v1/projects/99999").status_code == 404
    bad_mode = client.get("/api/v1/projects/20865/documents", params={"mode": "newest"})
    assert bad_mode.status_code == 422 and bad_mode.json()["details"][0]["field"] == "mode"
    done = client.get("/api/v1/autocomplete", params={"q": "208"})
    assert done.status_code == 200 and any(s["text"] == "20865" for s in done.json()["suggestions"])


def test_events_one_or_a_batch_and_the_legacy_alias(client: httpx.Client) -> None:
    one = client.post("/api/v1/analytics/events", json={"event_type": "project_view", "project_id": "21614"})
    assert one.status_code == 200 and one.json()["successful_items"] == 1
    batch = {
        "events": [
            {"event_type": "project_search", "query": "poolwerx", "result_count": 1, "event_id": "b-1"},
            {"event_type": "no_such_type"},
        ]
    }
    out = client.post("/api/v1/ingest/user-action", json=batch).json()
    assert (out["total_items"], out["successful_items"], out["failed_items"]) == (2, 1, 1)
    assert out["errors"][0]["index"] == 1
    again = client.post("/api/v1/analytics/events", json={"events": batch["events"][:1]}).json()
    assert again["duplicate_items"] == 1
    metrics = client.get("/api/v1/analytics/projects/21614/metrics").json()
    assert metrics["views"] >= 1
    board = client.post("/api/v1/analytics/dashboard", json={"start": "7d"})
    assert board.status_code == 200 and board.json()["metrics"]["total_events"] >= 2
    assert "from_cache" in board.json()


def test_other_analytics_routes(client: httpx.Client) -> None:
    assert client.get("/api/v1/analytics/search-trends", params={"granularity": "day"}).status_code == 200
    assert client.get("/api/v1/analytics/performance").status_code == 200
    activity = client.get("/api/v1/analytics/users/dana/activity")
    assert activity.status_code == 200, activity.text
    report = client.post("/api/v1/analytics/report", json={"metric": "views", "group_by": ["project"]})
    assert report.status_code == 200, report.text
    bad = client.post("/api/v1/analytics/report", json={"metric": "views", "limit": "lots"})
    assert bad.status_code == 422 and bad.json()["details"][0]["field"] == "limit"


def test_recommendations_in_the_legacy_shape(client: httpx.Client) -> None:
    client.post("/api/v1/analytics/events", json={"event_type": "project_view", "project_id": "20865"})
    r = client.post("/api/v1/recommendations/projects", json={"recommendation_type": "projects", "limit": 3})
    assert r.status_code == 200, r.text
    out = r.json()
    assert {"items", "algorithm_used", "context_considered", "cached"} <= out.keys()
    item = out["items"][0]
    assert {"item_id", "item_type", "title", "confidence_score", "reasoning"} <= item.keys()
    assert item["item_type"] == "project" and 0 <= item["confidence_score"] <= 1
    docs = client.post("/api/v1/recommendations/projects", json={"recommendation_type": "documents", "limit": 2})
    assert docs.status_code == 200 and all(i["item_type"] == "document" for i in docs.json()["items"])
    similar = client.post(
        "/api/v1/recommendations/projects", json={"recommendation_type": "similar_projects", "project_number": "20865"}
    )
    assert similar.status_code == 200, similar.text
    too_many = client.post("/api/v1/recommendations/projects", json={"limit": 21})
    assert too_many.status_code == 422 and too_many.json()["details"][0]["field"] == "limit"
    wrong = client.post("/api/v1/recommendations/projects", json={"recommendation_type": "people"})
    assert wrong.status_code == 422 and wrong.json()["details"][0]["field"] == "recommendation_type"
    assert client.post("/api/v1/recommendations/similar", json={"project_number": "20865"}).status_code == 200
    assert client.post("/api/v1/recommendations/documents", json={"limit": 2}).status_code == 200
    click = client.post("/api/v1/recommendations/click", json={"project_id": "20865"})
    assert click.status_code == 200 and click.json()["event_id"]


def test_predictions_and_insights(client: httpx.Client) -> None:
    r = client.post("/api/v1/prediction/next-action", json={"context": {}, "prediction_type": "project"})
    assert r.status_code == 200, r.text
    assert {"predictions", "confidence_score", "model_version"} <= r.json().keys()
    wrong = client.post("/api/v1/prediction/next-action", json={"prediction_type": "weather"})
    assert wrong.status_code == 422 and wrong.json()["details"][0]["field"] == "prediction_type"
    # The sample has a handful of events: each insight answers, or says there is too little data (never a 500).
    for r in (
        client.post("/api/v1/prediction/anomalies", json={"start": "7d"}),
        client.post("/api/v1/prediction/forecast", json={"horizon_days": 7}),
        client.get("/api/v1/prediction/segments"),
    ):
        assert r.status_code == 200 or (r.status_code == 422 and r.json()["error_code"] == "insufficient_data"), r.text
    bad = client.post("/api/v1/prediction/forecast", json={"horizon_days": "soon"})
    assert bad.status_code == 422 and bad.json()["details"][0]["field"] == "horizon_days"


def test_ml_routes(client: httpx.Client) -> None:
    r = client.post("/api/v1/ml/classify-document", json={"name": "L2 Floor Plan Rev C.pdf"})
    assert r.status_code == 200 and r.json()["doc_type"] == "floor_plans"
    assert client.post("/api/v1/ml/classify-document", json={}).json()["details"][0]["field"] == "name"
    models = client.get("/api/v1/ml/models")
    assert models.status_code == 200 and "trainable" in models.json()
    assert client.get("/api/v1/ml/ab-tests/nope").status_code in (404, 422)


def test_index_routes(client: httpx.Client) -> None:
    status = client.get("/api/v1/index/status")
    assert status.status_code == 200 and status.json()["projects"] == 4
    update = client.post("/api/v1/ingest/project-update", json={"project_id": "20865"})
    assert update.status_code == 200, update.text
    seen = update.json()["roots"][0]["files_seen"]
    assert 0 < seen < 115  # just that project's files, not the whole root's 115
    assert client.post("/api/v1/index/reindex", json={"force": "yes"}).status_code == 422


def test_project_update_rescans_just_the_named_project_or_path(client: httpx.Client, sample_root: Path) -> None:
    folder = next(sample_root.rglob("20865 - *"))
    other = next(sample_root.rglob("21614 - *"))
    new_file = folder / "Gateway Ingest Marker Rev A.pdf"
    stray = other / "Not Yet Seen Marker.pdf"
    new_file.write_bytes(b"%PDF-1.4\n")
    stray.write_bytes(b"%PDF-1.4\n")
    try:
        by_number = client.post("/api/v1/ingest/project-update", json={"project_id": "20865"}).json()["roots"][0]
        assert by_number["added"] == 1 and by_number["deleted"] == 0
        found = client.post("/api/v1/documents/search", json={"query": "gateway ingest marker"}).json()
        assert any(d["path"].endswith(new_file.name) for d in found["documents"])
        missed = client.post("/api/v1/documents/search", json={"query": "not yet seen marker"}).json()
        assert not any(d["path"].endswith(stray.name) for d in missed["documents"])  # its project was not re-scanned
        by_path = client.post("/api/v1/ingest/project-update", json={"path": str(stray)}).json()["roots"][0]
        assert by_path["added"] == 1
    finally:
        new_file.unlink()
        stray.unlink()
    gone = client.post("/api/v1/ingest/project-update", json={"path": str(folder)}).json()["roots"][0]
    assert gone["deleted"] == 1
    client.post("/api/v1/ingest/project-update", json={"path": str(other)})
    outside = client.post("/api/v1/ingest/project-update", json={"path": str(sample_root.parent)})
    assert outside.status_code == 422 and "outside the configured roots" in outside.json()["error"]
    relative = client.post("/api/v1/ingest/project-update", json={"path": "20865"})
    assert relative.status_code == 422 and "absolute" in relative.json()["error"]
    assert client.post("/api/v1/ingest/project-update", json={}).status_code == 422
    unknown = client.post("/api/v1/ingest/project-update", json={"project_id": "99999"})
    assert unknown.status_code == 404


def test_openapi_lists_every_route_and_docs_are_local(client: httpx.Client, server: Served) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.1")
    for path in ("/api/v1/projects/search", "/legacy/navigate_project", "/api/v1/analytics/events"):
        assert path in spec["paths"]
    op = spec["paths"]["/api/v1/projects/search"]["post"]
    assert {"200", "401", "413", "422"} <= op["responses"].keys()
    body_ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert "include_analytics" in spec["components"]["schemas"][body_ref]["properties"]
    params = {p["name"] for p in spec["paths"]["/api/v1/autocomplete"]["get"]["parameters"]}
    assert params == {"q", "limit"}
    page = client.get("/docs")
    assert page.status_code == 200 and "/openapi.json" in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing loaded from elsewhere


def test_one_json_log_line_per_request(client: httpx.Client, server: Served) -> None:
    import json
    import time

    r = client.get("/api/v1/index/status", headers={"X-Request-ID": "test-request-0001"})
    assert r.headers["x-request-id"] == "test-request-0001"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        records = [json.loads(x) for x in server.lines if "test-request-0001" in x]
        if records:
            break
        time.sleep(0.05)
    (record,) = records
    assert record["route"] == "/api/v1/index/status" and record["status"] == 200
    assert record["user"] and record["user"] != "dana" and record["ms"] >= 0


def test_answers_have_every_field_unless_brief_is_asked(client: httpx.Client) -> None:
    body = {"query": "design", "user_id": "detail-check"}
    full = client.post("/api/v1/documents/search", json=body).json()
    assert len(full["documents"]) == min(20, full["total_count"]) and full["facets"]
    assert {"rel_path", "series_key", "modified", "phase"} <= full["documents"][0].keys()
    brief = client.post("/api/v1/documents/search", json=body | {"detail": "brief"}).json()
    assert brief["from_cache"] is False and "facets" not in brief and len(brief["documents"]) <= 10
    assert "rel_path" not in brief["documents"][0] and brief["documents"][0]["path"] == full["documents"][0]["path"]
    nav = client.post("/legacy/navigate_project", params={"project_number": "20865", "detail": "brief"}).json()
    assert nav["status"] == "success" and "path" not in nav["projects"][0]
    assert "path" in client.post("/legacy/navigate_project", json={"project_number": "20865"}).json()["projects"][0]
