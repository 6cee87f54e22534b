"""Anomalies on a hand-made log: ten quiet users for two weeks, then one odd night and a search spike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from quicknav_mcp.ml.errors import InsufficientData
from quicknav_mcp.predict.anomalies import detect_anomalies

from .conftest import at

START = int(datetime(2026, 3, 2, tzinfo=UTC).timestamp() * 1000)
END = int(datetime(2026, 3, 16, tzinfo=UTC).timestamp() * 1000)


def _quiet() -> list[dict]:
    out = []
    for u in range(10):
        for d in range(2, 14):
            day = f"{d:02d}"
            project = f"2{u:04d}"
            out.append(
                {"user_id": f"user{u}", "event_type": "project_view", "project_id": project, "timestamp": at(day, 10)}
            )
            for k in range(2):
                out.append(
                    {
                        "user_id": f"user{u}",
                        "event_type": "document_access",
                        "project_id": project,
                        "document_id": f"{project} - Job/Doc {k}.pdf",
                        "timestamp": at(day, 11, k),
                    }
                )
            if (u + d) % 3 == 0:
                out.append(
                    {
                        "user_id": f"user{u}",
                        "event_type": "project_search",
                        "query": "hearing loop",
                        "result_count": 4,
                        "timestamp": at(day, 12),
                    }
                )
    return out


def test_an_odd_night_and_a_search_spike_are_found_and_explained(log) -> None:
    store, write = log
    odd = [
        {"user_id": "user3", "event_type": "project_view", "project_id": f"3{n:04d}", "timestamp": at("10", 2, n)}
        for n in range(14)
    ]
    spike = [
        {
            "user_id": "user7",
            "event_type": "project_search",
            "query": f"zz{n}",
            "result_count": 0,
            "timestamp": at("11", 14, n),
        }
        for n in range(6)
    ]
    write(_quiet() + odd + spike)
    result = detect_anomalies(store, since_ms=START, until_ms=END)
    assert result.user_days == 120
    top = {(a.subject, a.day, a.feature): a for a in result.anomalies}
    night = next(a for a in result.anomalies if a.subject == "user3" and a.day == "2026-03-10")
    assert night.feature in ("projects", "after_hours", "events") and night.z >= 3.5
    assert "user3" in night.explanation and "2026-03-10" in night.explanation
    assert len(night.evidence) == 5 and all(e["user_id"] == "user3" for e in night.evidence)
    search = next(a for a in result.anomalies if a.subject == "user7" and a.day == "2026-03-11")
    assert search.feature == "zero_result_searches" and search.value == 6 and search.typical == 0
    assert "searches that found nothing" in search.explanation
    assert all(e["query"].startswith("zz") for e in search.evidence)
    # Quiet days are never reported, and the two odd user-days rank first.
    assert {a.subject for a in result.anomalies if a.kind == "user_day"} == {"user3", "user7"}, top
    assert result.anomalies[0].kind == "user_day" and 0 < result.anomalies[0].score <= 1


def test_a_quiet_log_has_no_anomalies_and_an_empty_one_says_so(log) -> None:
    store, write = log
    with pytest.raises(InsufficientData, match="0 user-days"):
        detect_anomalies(store, since_ms=START, until_ms=END)
    write(_quiet())
    assert detect_anomalies(store, since_ms=START, until_ms=END).anomalies == []
