"""How a finished tool call becomes an event, and the background writer's guarantees."""

from __future__ import annotations

import threading
import time

from quicknav_mcp.analytics.tracking import Tracker, event_for_tool_call, structured


def ev(name, args, result, failed=False):
    return event_for_tool_call(name, args, result, elapsed_ms=12.3456, failed=failed, user="dana")


def test_navigate_by_code_is_a_project_view() -> None:
    e = ev("navigate_project", {"project_number": "21614"}, {"status": "success", "path": "/x"})
    assert e["event_type"] == "project_view" and e["project_id"] == "21614" and e["operation"] == "navigate_project"
    assert e["result_count"] == 1 and e["user_id"] == "dana" and e["response_time_ms"] == 12.346
    assert e["error"] is False and e["metadata"]["status"] == "success"


def test_navigate_by_words_is_a_search_that_may_land_on_a_project() -> None:
    e = ev(
        "navigate_project",
        {"project_number": "Poolwerx"},
        {"status": "success", "projects": [{"project_number": "21614"}]},
    )
    assert e["event_type"] == "project_search" and e["query"] == "Poolwerx" and e["project_id"] == "21614"
    e = ev("navigate_project", {"project_number": "pool"}, {"status": "select", "paths": ["/a", "/b", "/c"]})
    assert e["event_type"] == "project_search" and e["result_count"] == 3 and "project_id" not in e
    e = ev("navigate_project", {"project_number": "99999"}, {"status": "error", "message": "not found"})
    assert e["event_type"] == "project_search" and e["result_count"] == 0


def test_document_tools_are_document_searches() -> None:
    e = ev(
        "find_documents",
        {"project_number": "20692", "doc_type": "change_order"},
        {"status": "success", "documents": [{"id": 42}]},
    )
    assert e["event_type"] == "document_search" and e["project_id"] == "20692" and e["query"] == "change_order"
    assert e["document_id"] == "42" and e["result_count"] == 1
    e = ev("list_project_documents", {"project_number": "20692"}, {"total_count": 57, "documents": []})
    assert e["event_type"] == "document_search" and e["result_count"] == 57


def test_other_tools_and_failures_are_tool_calls() -> None:
    e = ev("index_status", {}, {"projects": 4})
    assert e["event_type"] == "tool_call" and e["operation"] == "index_status"
    e = ev("get_project", {"project_number": "12345"}, None, failed=True)
    assert e["event_type"] == "tool_call" and e["error"] is True and e["result_count"] is None


def test_structured_reads_wire_results() -> None:
    assert structured({"structuredContent": {"a": 1}}) == {"a": 1}
    assert structured({"content": [{"type": "text", "text": '{"b": 2}'}]}) == {"b": 2}
    assert structured({"content": [{"type": "text", "text": "plain"}]}) is None
    assert structured(None) is None


def test_tracker_batches_never_raises_and_drops_when_full() -> None:
    batches: list[int] = []
    gate = threading.Event()

    def write(events):
        gate.wait(5)
        batches.append(len(events))
        if len(batches) == 1:
            raise RuntimeError("database is locked")

    t = Tracker(write, flush_interval=0.01, max_queue=100, batch=50)
    t.start()
    started = time.perf_counter()
    for i in range(300):  # the writer is stuck: the queue fills and the rest are dropped
        t.record({"i": i})
    assert time.perf_counter() - started < 0.5  # never blocks the caller
    assert t.dropped >= 150
    gate.set()
    assert t.flush(5)
    assert t.failed_batches == 1 and sum(batches) == 300 - t.dropped
    t.close()
