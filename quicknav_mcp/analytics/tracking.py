"""Automatic tracking: turning a finished tool call into an event, and writing such events in
the background so a tool call never waits on (or fails because of) analytics."""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..validation import strip_controls
from .events import PROJECT_LIKE

log = logging.getLogger(__name__)

# Tools whose calls are more than a generic tool_call: how to read them as project/document use.
PROJECT_TOOLS = frozenset({"navigate_project", "get_project"})
DOCUMENT_SEARCH_TOOLS = frozenset({"find_documents", "list_project_documents"})


def _result_count(name: str, result: Mapping[str, Any] | None) -> int | None:
    if not isinstance(result, Mapping):
        return None
    status = result.get("status")
    if status is not None and name in PROJECT_TOOLS | DOCUMENT_SEARCH_TOOLS:
        if status == "success":
            return 1
        if status == "select":
            return len(result.get("paths") or [])
        if status == "error":
            return 0
    for key in ("total_count", "total_items"):
        if isinstance(result.get(key), int):
            return result[key]
    for key in ("documents", "projects", "items", "rows", "roots", "predictions"):
        if isinstance(result.get(key), list):
            return len(result[key])
    return None


def structured(result: Any) -> dict[str, Any] | None:
    """The structured content of a tools/call wire result (or its JSON text)."""
    if not isinstance(result, Mapping):
        return None
    content = result.get("structuredContent")
    if isinstance(content, Mapping):
        return dict(content)
    blocks = result.get("content")
    if isinstance(blocks, list) and blocks and isinstance(blocks[0], Mapping):
        text = blocks[0].get("text")
        if isinstance(text, str) and text[:1] == "{" and len(text) < 2_000_000:
            try:
                value = json.loads(text)
            except ValueError:
                return None
            return value if isinstance(value, dict) else None
    return None


def event_for_tool_call(
    name: str,
    arguments: Mapping[str, Any] | None,
    result: Mapping[str, Any] | None,
    *,
    elapsed_ms: float,
    failed: bool,
    user: str,
) -> dict[str, Any]:
    """The event an MCP tool call stands for (legacy types where one fits, else tool_call)."""
    args = arguments if isinstance(arguments, Mapping) else {}
    count = None if failed else _result_count(name, result)
    event: dict[str, Any] = {
        "event_type": "tool_call",
        "user_id": user,
        "operation": name[:64],
        "response_time_ms": round(min(max(elapsed_ms, 0.0), 3_600_000.0), 3),
        "error": failed,
        "result_count": count,
    }
    code = args.get("project_number")
    # Tracked queries are cleaned like tool input, so a junk argument never becomes an invalid event.
    code = strip_controls(code) if isinstance(code, str) else None
    is_code = bool(code) and PROJECT_LIKE.match(code or "") is not None
    status = result.get("status") if isinstance(result, Mapping) else None
    if name == "navigate_project" and code:
        if is_code and status == "success":
            event.update(event_type="project_view", project_id=code)
        else:
            event.update(event_type="project_search", query=code[:500])
            if status == "success" and isinstance(result, Mapping):
                projects = result.get("projects") or []
                if len(projects) == 1 and isinstance(projects[0], Mapping):
                    event["project_id"] = projects[0].get("project_number")
    elif name == "get_project" and is_code and not failed:
        event.update(event_type="project_view", project_id=code)
    elif name in DOCUMENT_SEARCH_TOOLS and is_code:
        event.update(event_type="document_search", project_id=code)
        doc_type = args.get("doc_type")
        if name == "find_documents":
            event["query"] = str(doc_type or "lld")[:100]
            docs = (result or {}).get("documents") if isinstance(result, Mapping) else None
            if status == "success" and isinstance(docs, list) and len(docs) == 1 and isinstance(docs[0], Mapping):
                doc_id = docs[0].get("id")
                if doc_id is not None:
                    event["document_id"] = str(doc_id)
            event["metadata"] = {"doc_type": str(doc_type or "lld")[:40], "mode": str(args.get("mode", "auto"))[:10]}
    if event["event_type"] != "tool_call" and status is not None:
        event.setdefault("metadata", {})["status"] = str(status)[:10]
    return event


class Tracker:
    """A bounded queue drained by one writer thread in batches.

    ``record`` never blocks and never raises: when the queue is full (the database is stuck),
    events are dropped and counted rather than slowing tool calls down.
    """

    def __init__(
        self,
        write: Callable[[list[dict[str, Any]]], Any],
        *,
        flush_interval: float = 0.2,
        max_queue: int = 50_000,
        batch: int = 1000,
    ) -> None:
        self._write = write
        self._queue: queue.Queue[Any] = queue.Queue(max_queue)
        self._interval = flush_interval
        self._batch = batch
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self.dropped = 0
        self.written = 0
        self.failed_batches = 0

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="analytics-tracker", daemon=True)
            self._thread.start()

    def record(self, event: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1
            if self.dropped in (1, 100) or self.dropped % 10_000 == 0:
                log.warning("analytics tracking queue full: %d events dropped", self.dropped)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything recorded so far is written (or given up on)."""
        if self._thread is None or not self._thread.is_alive():
            self._drain_now()
            return True
        done = threading.Event()
        try:
            self._queue.put(done, timeout=timeout)
        except queue.Full:
            return False
        return done.wait(timeout)

    def close(self, timeout: float = 10.0) -> None:
        """Write everything recorded so far, then stop the writer thread."""
        self.flush(timeout)
        self._stopping.set()
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("analytics tracking writer still busy after %.1fs; queued events may be lost", timeout)
                return
        # An event recorded while the flush ran is still queued behind it: write it here.
        self._drain_now()

    def _drain_now(self) -> None:
        items = []
        while True:
            try:
                items.append(self._queue.get_nowait())
            except queue.Empty:
                break
        self._write_batch([i for i in items if isinstance(i, dict)])
        for i in items:
            if isinstance(i, threading.Event):
                i.set()

    def _run(self) -> None:
        while not self._stopping.is_set():
            first = self._queue.get()
            if first is None:
                break
            # Let a burst gather so it is written in one transaction.
            if isinstance(first, dict):
                time.sleep(self._interval)
            items = [first]
            while len(items) < self._batch:
                try:
                    items.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write_batch([i for i in items if isinstance(i, dict)])
            for i in items:
                if isinstance(i, threading.Event):
                    i.set()
                elif i is None:
                    return

    def _write_batch(self, events: list[dict[str, Any]]) -> None:
        if not events:
            return
        try:
            self._write(events)
            self.written += len(events)
        except Exception as exc:  # analytics must never take the server down; the next batch retries the DB
            self.failed_batches += 1
            if self.failed_batches in (1, 10) or self.failed_batches % 1000 == 0:
                log.warning(
                    "analytics tracking could not store %d events (%d batches so far): %s",
                    len(events),
                    self.failed_batches,
                    exc,
                )
