"""Analytics tools and resources, and the middleware that tracks every tool call automatically."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from mcp.types import ToolAnnotations
from pydantic import Field

from ..analytics.events import EVENT_TYPES
from ..analytics.models import (
    BatchResult,
    Dashboard,
    PerformanceSummary,
    ProjectMetrics,
    Report,
    SearchTrends,
    TrackResult,
    UserActivity,
)
from ..analytics.reports import DIMENSIONS, FILTERS, METRICS
from ..analytics.timerange import PERIODS
from ..analytics.tracking import event_for_tool_call, structured
from ..models import shaped
from ._common import READ_ONLY, detail_arg, resource_errors, tool_errors

if TYPE_CHECKING:
    from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
    from mcp.server.mcpserver import MCPServer

    from ..server import AppHolder

log = logging.getLogger("quicknav_mcp.tools.analytics")

WRITE = ToolAnnotations(read_only_hint=False, idempotent_hint=True, destructive_hint=False, open_world_hint=False)
_TIME = "ISO date (2025-03-01: local midnight), date-time (2025-03-01T09:00+10:30), 'now', or ago like 7d, 24h, 2w"
Start = Annotated[str | None, Field(description=f"Start of the range: {_TIME}. Default: 30 days before end")]
End = Annotated[str | None, Field(description=f"End of the range (a date includes that day): {_TIME}. Default: now")]
DashboardDetail = detail_arg("; adds the search trend series and per-tool latency percentiles")


class ToolCallTracker:
    """Server middleware: records each ``tools/call`` (who, what, result count, latency, error).

    It runs around every tool, so no tool has tracking code. Recording only queues the event
    (a background thread writes batches), and any failure here is swallowed: tracking can
    neither fail a tool call nor slow it down.
    """

    def __init__(self, server: MCPServer, holder: AppHolder) -> None:
        self._server = server
        self._holder = holder
        self._names: set[str] = set()
        self._names_at = 0.0

    async def _known(self, name: str) -> bool:
        # Unknown tool names are not recorded: callers must not be able to mint operations.
        if name not in self._names and time.monotonic() - self._names_at > 30:
            self._names = {t.name for t in await self._server.list_tools()}
            self._names_at = time.monotonic()
        return name in self._names

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method != "tools/call" or ctx.request_id is None:
            return await call_next(ctx)
        started = time.perf_counter()
        result: Any = None
        failed = True
        try:
            result = await call_next(ctx)
            failed = bool(isinstance(result, Mapping) and result.get("isError"))
            return result
        finally:
            elapsed = (time.perf_counter() - started) * 1000
            try:
                await self._record(ctx.params, result, elapsed, failed)
            except Exception:  # never let analytics break a tool call
                log.debug("tool call not tracked", exc_info=True)

    async def _record(self, params: Mapping[str, Any] | None, result: Any, elapsed: float, failed: bool) -> None:
        app = self._holder.opened  # a call that never opened the App (broken DB) is not tracked
        if app is None or not isinstance(params, Mapping):
            return
        name = params.get("name")
        if not isinstance(name, str) or not await self._known(name):
            return
        args = params.get("arguments")
        event = event_for_tool_call(
            name,
            args if isinstance(args, Mapping) else None,
            None if failed else structured(result),
            elapsed_ms=elapsed,
            failed=failed,
            user=app.config.user,
        )
        app.analytics.record_tool_call(event)


def register(server: MCPServer, holder: AppHolder) -> None:
    server.middleware.append(ToolCallTracker(server, holder))

    @server.tool(title="Record an analytics event", annotations=WRITE)
    @tool_errors
    def track_event(
        event_type: Annotated[str, Field(description="One of: " + ", ".join(EVENT_TYPES))],
        project_id: Annotated[str | int | None, Field(description="5-digit project number")] = None,
        document_id: Annotated[str | None, Field(description="Document id or path relative to its root")] = None,
        query: Annotated[str | None, Field(description="The search text, or the query a view came from")] = None,
        result_count: Annotated[
            int | None, Field(strict=True, ge=0, description="How many results the search gave")
        ] = None,
        response_time_ms: Annotated[float | None, Field(ge=0, description="How long it took, in ms")] = None,
        metadata: Annotated[dict[str, Any] | None, Field(description="Extra JSON data (at most 4 KB)")] = None,
        timestamp: Annotated[
            str | float | None, Field(description="When it happened: ISO 8601 or epoch seconds; default now")
        ] = None,
        event_id: Annotated[str | None, Field(description="Your id for the event; resending it adds nothing")] = None,
        user_id: Annotated[str | None, Field(description="Default: the configured QuickNav user")] = None,
        session_id: Annotated[str | None, Field(description="Client session id, if the client has one")] = None,
    ) -> TrackResult:
        """Record one usage event (a project viewed, a search and its result count, a document
        opened, a recommendation clicked) so dashboards and recommendations learn from it. Tool
        calls made through this server are tracked automatically; use this for what happens
        elsewhere (a document opened in Explorer, a click in a client UI)."""
        app = holder.get()
        raw = {
            k: v
            for k, v in {
                "event_type": event_type,
                "project_id": project_id,
                "document_id": document_id,
                "query": query,
                "result_count": result_count,
                "response_time_ms": response_time_ms,
                "metadata": metadata,
                "timestamp": timestamp,
                "event_id": event_id,
                "user_id": user_id,
                "session_id": session_id,
            }.items()
            if v is not None
        }
        return app.analytics.track_event(raw, default_user=app.config.user)

    @server.tool(title="Record a batch of analytics events", annotations=WRITE)
    @tool_errors
    def track_events(
        events: Annotated[
            list[Any],
            Field(
                description="Up to 1,000 event objects with the fields of track_event (event_type, project_id, "
                "document_id, query, result_count, response_time_ms, metadata, timestamp, event_id, user_id, "
                "session_id)"
            ),
        ],
    ) -> BatchResult:
        """Record many usage events at once (legacy batch ingest). Good events are stored even when
        others in the batch are bad; the answer gives `total_items`, `successful_items`,
        `failed_items` and `errors` with the index and reason of each bad item. Resending a batch
        with the same event_ids adds nothing (`duplicate_items`)."""
        app = holder.get()
        return app.analytics.track_events(events, default_user=app.config.user)

    @server.tool(title="Analytics dashboard", annotations=READ_ONLY)
    @tool_errors
    def get_dashboard(
        start: Start = None,
        end: End = None,
        top: Annotated[int, Field(strict=True, ge=1, le=50, description="How many top projects and queries")] = 10,
        detail: DashboardDetail = "brief",
    ) -> Dashboard:
        """How QuickNav is used over a time range (default: the last 30 days): totals (projects,
        users, searches, sessions, average response time, error rate), top projects with views and
        unique users, popular and zero-result queries and daily active users; detail "full" adds
        the search trend series and per-tool latency percentiles (also get_search_trends and
        get_performance_summary). Served from live rollups, so it is cheap to call."""
        return shaped(holder.get().analytics.dashboard(start, end, top=top), detail)

    @server.tool(title="A project's usage metrics", annotations=READ_ONLY)
    @tool_errors
    def get_project_metrics(
        project_number: Annotated[str, Field(description="5-digit project number")],
        start: Annotated[str | None, Field(description=f"Start: {_TIME}. Default: a year before end")] = None,
        end: End = None,
    ) -> ProjectMetrics:
        """How much a project is used: views, unique users, document opens, searches that led to it,
        when it was last accessed, and a daily series. Use to answer "who works on 17741?" or "is
        this project still active?"."""
        return holder.get().analytics.project_metrics(project_number, start, end)

    @server.tool(title="Search trends", annotations=READ_ONLY)
    @tool_errors
    def get_search_trends(
        start: Start = None,
        end: End = None,
        granularity: Annotated[
            Literal["auto", "hour", "day", "week", "month"], Field(description="Bucket size of the series")
        ] = "auto",
        limit: Annotated[
            int, Field(strict=True, ge=1, le=100, description="How many popular / zero-result queries")
        ] = 10,
    ) -> SearchTrends:
        """Searches over time with zero-result counts, the most popular queries with click-through,
        and the queries that found nothing (what people look for and cannot find)."""
        return holder.get().analytics.search_trends(start, end, granularity, limit=limit)

    @server.tool(title="A user's activity", annotations=READ_ONLY)
    @tool_errors
    def get_user_activity(
        user_id: Annotated[str | None, Field(description="Default: the configured QuickNav user")] = None,
        start: Start = None,
        end: End = None,
    ) -> UserActivity:
        """One user's activity: events, searches, views, sessions (30-minute inactivity), an hour-of-
        week heatmap (local time), their most used projects and their most recent events."""
        return holder.get().analytics.user_activity(user_id, start, end)

    @server.tool(title="Performance summary", annotations=READ_ONLY)
    @tool_errors
    def get_performance_summary(
        start: Annotated[str | None, Field(description=f"Start: {_TIME}. Default: 7 days before end")] = None,
        end: End = None,
        operation: Annotated[str | None, Field(description="Only this tool/operation, e.g. navigate_project")] = None,
    ) -> PerformanceSummary:
        """Latency and errors of every tool/operation: count, error rate, average and p50/p95/p99
        (from mergeable latency histograms), overall and as a time series."""
        return holder.get().analytics.performance_summary(start, end, operation)

    @server.tool(title="Run an analytics report", annotations=READ_ONLY)
    @tool_errors
    def run_report(
        metric: Annotated[str, Field(description="One of: " + ", ".join(METRICS))],
        group_by: Annotated[list[str], Field(max_length=2, description="Up to two of: " + ", ".join(DIMENSIONS))] = [],  # noqa: B006 - pydantic copies defaults
        period: Annotated[
            str, Field(description="One of " + ", ".join(PERIODS) + ", last_N_days, or START/END dates")
        ] = "last_30_days",
        filters: Annotated[
            dict[str, Any] | None,
            Field(description="Optional {name: value or [values]} with names " + ", ".join(FILTERS)),
        ] = None,
        limit: Annotated[int, Field(strict=True, ge=1, le=1000, description="Maximum rows")] = 100,
    ) -> Report:
        """Any usage metric grouped by up to two dimensions over a period, e.g. views by project,
        p95_response_time_ms by operation and day, searches by query, active_users by week,
        events by hour_of_week. Names are checked against a whitelist; the answer says which
        rollup served it and its resolution."""
        return holder.get().analytics.run_report(metric, group_by, period, filters, limit=limit)

    @server.resource(
        "quicknav://analytics/dashboard",
        name="analytics_dashboard",
        title="Analytics dashboard",
        description="The last 30 days of usage: totals, top projects, searches, activity, latency",
        mime_type="application/json",
    )
    @resource_errors
    def dashboard_resource() -> str:
        return holder.get().analytics.dashboard().model_dump_json()

    @server.resource(
        "quicknav://users/{user_id}/activity",
        name="user_activity",
        title="A user's activity",
        description="A user's last 30 days: events, sessions, hour-of-week heatmap, projects, recent events",
        mime_type="application/json",
    )
    @resource_errors
    def user_activity_resource(user_id: str) -> str:
        return holder.get().analytics.user_activity(user_id).model_dump_json()
