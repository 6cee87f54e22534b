"""Event validation: every kind of bad input gets a clear, specific reason."""

from __future__ import annotations

import json
import math

import pytest

from quicknav_mcp.analytics.events import (
    FLAG_METADATA_CAPPED,
    MIN_TS_MS,
    EventError,
    normalise_query,
    parse_time,
    validate_event,
)

NOW = 1_750_000_000_000  # 2025-06-15


def ok(raw: dict, **kw):
    return validate_event(raw, default_user=kw.pop("default_user", "me"), received_ms=NOW, metadata_cap=4096, **kw)


def bad(raw: object, **kw) -> str:
    with pytest.raises(EventError) as info:
        validate_event(raw, default_user=kw.pop("default_user", "me"), received_ms=NOW, metadata_cap=4096, **kw)
    return str(info.value)


def test_a_full_legacy_event_is_accepted_as_is() -> None:
    v = ok(
        {
            "event_id": "e1",
            "user_id": "dana",
            "session_id": "s1",
            "event_type": "project_search",
            "project_id": "17741",
            "query": "  QPS   mtr ",
            "result_count": 3,
            "response_time_ms": 12.5,
            "metadata": {"source": "gui"},
            "timestamp": "2025-06-14T09:15:00Z",
        }
    )
    r = v.row
    assert (r.event_id, r.user_id, r.session_id, r.event_type, r.project_id) == (
        "e1",
        "dana",
        "s1",
        "project_search",
        "17741",
    )
    assert r.query == "QPS mtr" and r.result_count == 3 and r.response_time_ms == 12.5
    assert json.loads(r.metadata) == {"source": "gui"}
    assert r.ts_ms == 1_749_892_500_000 and r.operation == "project_search"
    assert v.warnings == []


def test_defaults_user_id_time_and_a_deterministic_id() -> None:
    r = ok({"event_type": "user_login"}).row
    assert r.user_id == "me" and r.ts_ms == NOW and r.event_id
    a = ok({"event_type": "user_login", "timestamp": "2025-06-14T09:15:00Z"}).row
    b = ok({"event_type": "user_login", "timestamp": "2025-06-14T09:15:00Z"}).row
    assert a.event_id == b.event_id  # a resent batch without ids stays idempotent
    assert "user_id is required" in bad({"event_type": "user_login"}, default_user=None)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not an object", "must be an object"),
        ([1, 2], "must be an object"),
        ({}, "event_type is required"),
        ({"event_type": 7}, "event_type is required"),
        ({"event_type": "teleport"}, "unknown event_type 'teleport'"),
        ({"event_type": "project_view"}, "needs project_id"),
        ({"event_type": "project_view", "project_id": "abc"}, "5-digit project number"),
        ({"event_type": "project_view", "project_id": "1774"}, "5-digit project number"),
        ({"event_type": "project_view", "project_id": 17741.5}, "5-digit project number"),
        ({"event_type": "project_view", "project_id": True}, "5-digit project number"),
        ({"event_type": "project_search"}, "needs a non-empty query"),
        ({"event_type": "project_search", "query": "   "}, "needs a non-empty query"),
        ({"event_type": "project_search", "query": ["a"]}, "query must be text"),
        ({"event_type": "project_search", "query": "x" * 5000}, "query is too long"),
        ({"event_type": "document_access"}, "needs document_id"),
        ({"event_type": "document_search"}, "needs a query or a project_id"),
        ({"event_type": "recommendation_click"}, "needs project_id or document_id"),
        ({"event_type": "recommendation_impression"}, "needs project_id, document_id or metadata.items"),
        ({"event_type": "tool_call"}, "needs operation"),
        ({"event_type": "tool_call", "operation": "drop table; --"}, "operation must be"),
        ({"event_type": "user_login", "result_count": "5"}, "result_count must be a whole number"),
        ({"event_type": "user_login", "result_count": -1}, "between 0 and"),
        ({"event_type": "user_login", "result_count": 2.5}, "result_count must be a whole number"),
        ({"event_type": "user_login", "response_time_ms": "fast"}, "response_time_ms must be a number"),
        ({"event_type": "user_login", "response_time_ms": -3}, "response_time_ms must be between"),
        ({"event_type": "user_login", "response_time_ms": math.nan}, "response_time_ms must be between"),
        ({"event_type": "user_login", "response_time_ms": 1e12}, "response_time_ms must be between"),
        ({"event_type": "user_login", "metadata": "x"}, "metadata must be an object"),
        ({"event_type": "user_login", "metadata": [1]}, "metadata must be an object"),
        ({"event_type": "user_login", "error": "maybe"}, "error must be true or false"),
        ({"event_type": "user_login", "user_id": {"id": 1}}, "user_id must be text"),
        ({"event_type": "user_login", "user_id": "u" * 600}, "user_id is too long"),
        ({"event_type": "user_login", "timestamp": "yesterday"}, "not an ISO 8601"),
        ({"event_type": "user_login", "timestamp": "2025-13-45"}, "not an ISO 8601"),
        ({"event_type": "user_login", "timestamp": True}, "got a boolean"),
        ({"event_type": "user_login", "timestamp": [2025]}, "ISO 8601"),
        ({"event_type": "user_login", "timestamp": math.inf}, "not a finite number"),
        ({"event_type": "user_login", "timestamp": "1999-12-31T23:59:59Z"}, "before 2000-01-01"),
        ({"event_type": "user_login", "timestamp": 0}, "before 2000-01-01"),
        ({"event_type": "user_login", "timestamp": "2035-01-01T00:00:00Z"}, "in the future"),
        ({"event_type": "user_login", "timestamp": 9e15}, "in the future"),
    ],
)
def test_bad_events_say_what_is_wrong(raw: object, reason: str) -> None:
    assert reason in bad(raw)


def test_types_are_accepted_loosely_where_harmless() -> None:
    r = ok({"event_type": " Project_View ", "project_id": 17741, "result_count": 4.0, "error": 1}).row
    assert r.event_type == "project_view" and r.project_id == "17741" and r.result_count == 4 and r.error == 1
    assert ok({"event_type": "user_login", "timestamp": 1_749_892_500}).row.ts_ms == 1_749_892_500_000
    assert ok({"event_type": "user_login", "timestamp": 1_749_892_500_123}).row.ts_ms == 1_749_892_500_123
    naive = ok({"event_type": "user_login", "timestamp": "2025-06-14T09:15:00"}).row.ts_ms
    assert naive == 1_749_892_500_000  # naive means UTC
    offset = ok({"event_type": "user_login", "timestamp": "2025-06-14T19:15:00+10:00"}).row.ts_ms
    assert offset == 1_749_892_500_000
    # a little clock skew is fine
    assert ok({"event_type": "user_login", "timestamp": NOW + 30 * 60_000}).row.ts_ms == NOW + 30 * 60_000


def test_document_path_names_its_project() -> None:
    r = ok(
        {
            "event_type": "document_access",
            "document_id": "21000 - 21999/21614 - PLWRX  TR L1 Upgrades/4. System Designs/a.pdf",
        }
    ).row
    assert r.project_id == "21614"
    r = ok({"event_type": "document_access", "document_id": 1234}).row
    assert r.project_id is None and r.document_id == "1234"


def test_oversized_metadata_is_capped_not_lost() -> None:
    meta = {"small": 1, "big": "x" * 10_000, "also": "kept?"}
    v = ok({"event_type": "user_login", "metadata": meta})
    stored = json.loads(v.row.metadata)
    assert stored["small"] == 1 and "big" not in stored and stored["_dropped"] == ["big"]
    assert stored["also"] == "kept?"
    assert len(v.row.metadata.encode()) <= 4096
    assert v.row.flags & FLAG_METADATA_CAPPED
    assert any("metadata over 4096 bytes" in w for w in v.warnings)
    huge_keys = {("k" * 3000) + str(i): i for i in range(5)}
    v = ok({"event_type": "user_login", "metadata": huge_keys})
    assert len(v.row.metadata.encode()) <= 4096


def test_unknown_fields_are_ignored_with_a_warning_and_control_characters_dropped() -> None:
    v = ok({"event_type": "project_search", "query": "a\x00b\u200bc\n d", "colour": "red"})
    assert v.row.query == "abc d"
    assert any("unknown field(s) ignored: colour" in w for w in v.warnings)


def test_tool_call_takes_operation_from_metadata_tool() -> None:
    r = ok({"event_type": "tool_call", "metadata": {"tool": "navigate_project"}, "response_time_ms": 3}).row
    assert r.operation == "navigate_project"


def test_parse_time_and_query_normalisation() -> None:
    assert parse_time("2000-01-01T00:00:00Z") == MIN_TS_MS
    assert parse_time(946_684_800) == MIN_TS_MS
    assert normalise_query("  PoolWerx   Training ") == "poolwerx training"
    assert normalise_query('"Ｆｕｌｌ width"') == "full width"
    assert normalise_query("   ") is None and normalise_query(None) is None
