"""Analytics result models, shared by MCP tools, the CLI and (later) the HTTP facade."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..models import Answer


class ItemProblem(BaseModel):
    """One bad (or noteworthy) item of a batch."""

    index: int = Field(description="Position of the item in the batch, from 0")
    event_id: str | None = None
    reason: str


class BatchResult(BaseModel):
    """Legacy batch-ingest result, plus duplicates and warnings."""

    total_items: int
    successful_items: int = Field(description="Stored now or already stored (a replay is not an error)")
    failed_items: int
    duplicate_items: int = Field(0, description="Items whose event_id was already stored (nothing added)")
    errors: list[ItemProblem] = Field(default_factory=list, description="Each rejected item with the reason")
    warnings: list[ItemProblem] = Field(
        default_factory=list, description="Stored items with a note: unknown project (flagged), capped metadata"
    )
    duplicates: list[int] = Field(default_factory=list, description="Indexes of the already-stored items")


class TrackResult(BaseModel):
    """One event recorded."""

    event_id: str
    stored: bool = Field(description="False when this event_id was already stored")
    warnings: list[str] = Field(default_factory=list)


class TimeRange(BaseModel):
    start: str
    end: str
    resolution: str = Field("hour", description="Bucket size the answer is exact to: hour or day")
    timezone: str = Field("UTC", description="IANA zone of the day/hour buckets and of start/end")


class DashboardMetrics(BaseModel):
    total_projects: int = Field(description="Distinct projects with any activity")
    total_users: int
    total_searches: int
    total_events: int
    total_sessions: int
    zero_result_searches: int
    avg_response_time_ms: float | None
    error_rate_percent: float


class TopProject(BaseModel):
    project_number: str
    name: str | None = Field(None, description="Folder name, when the project is in the index")
    known: bool = Field(description="False when events name a project that is not in the index")
    views: int
    unique_users: int
    searches: int
    document_opens: int
    last_accessed: str | None = None


class TrendPoint(BaseModel):
    period: str = Field(description="Start of the bucket (ISO 8601)")
    searches: int
    zero_results: int
    events: int = 0


class QueryStat(BaseModel):
    query: str
    searches: int
    zero_results: int
    clicks: int
    click_through_rate: float


class ActivityPoint(BaseModel):
    period: str
    active_users: int
    events: int
    sessions: int


class OperationStats(BaseModel):
    operation: str
    count: int
    errors: int
    error_rate_percent: float
    avg_ms: float | None
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None


class LatencyPoint(BaseModel):
    period: str
    count: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class PerformanceSummary(BaseModel):
    time_range: TimeRange
    overall: OperationStats
    operations: list[OperationStats]
    series: list[LatencyPoint] = Field(default_factory=list)


class Dashboard(Answer):
    """The legacy analytics dashboard."""

    BRIEF_OMIT = frozenset({"search_trends", "performance_metrics"})  # get_search_trends, get_performance_summary

    metrics: DashboardMetrics
    top_projects: list[TopProject]
    search_trends: list[TrendPoint] = Field(default_factory=list)
    popular_queries: list[QueryStat]
    zero_result_queries: list[QueryStat]
    user_activity: list[ActivityPoint]
    performance_metrics: PerformanceSummary | None = None
    time_range: TimeRange
    pending_events: int = Field(0, description="Events stored but not yet folded into the rollups")
    notice: str | None = Field(None, description="Set when the rollups are bucketed in another zone than configured")


class ProjectDay(BaseModel):
    date: str
    views: int
    unique_users: int
    document_opens: int
    searches: int


class ProjectMetrics(BaseModel):
    project_number: str
    name: str | None
    known: bool
    views: int
    unique_users: int
    document_opens: int
    searches: int
    last_accessed: str | None
    daily: list[ProjectDay]
    time_range: TimeRange


class SearchTrends(BaseModel):
    time_range: TimeRange
    granularity: str
    total_searches: int
    zero_result_searches: int
    series: list[TrendPoint]
    popular_queries: list[QueryStat]
    zero_result_queries: list[QueryStat]


class UserProject(BaseModel):
    project_number: str
    name: str | None
    events: int
    active_days: int


class UserActivity(BaseModel):
    user_id: str
    time_range: TimeRange
    events: int
    searches: int
    views: int
    active_days: int
    sessions: int
    avg_session_minutes: float | None
    daily: list[ActivityPoint]
    hour_of_week: list[list[int]] = Field(description="7 rows (Monday first) × 24 local hours of event counts")
    top_projects: list[UserProject]
    recent_events: list[dict[str, Any]]


class Report(BaseModel):
    metric: str
    group_by: list[str]
    filters: dict[str, list[str]]
    time_range: TimeRange
    source: str = Field(description="The rollup the answer came from")
    rows: list[dict[str, Any]]
    total: float | None = None
    truncated: bool = False


class ImportResult(BaseModel):
    """What ``import-legacy`` did."""

    path: str
    history_entries: int
    imported: int
    duplicates: int
    failed: int
    errors: list[ItemProblem] = Field(default_factory=list)
    preferences_imported: int = 0
    preference_errors: list[str] = Field(default_factory=list)
