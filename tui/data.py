"""What each screen shows, gathered from the App's services (never SQL of its own).

Each function runs on a Textual worker thread and returns a plain snapshot the screen renders.
Time comes from the caller's clock, so a frozen clock gives a stable screen (tests, screenshots).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from quicknav_mcp.analytics.models import Dashboard, Report, SearchTrends
    from quicknav_mcp.app import App
    from quicknav_mcp.models import DocumentInfo, IndexStatus
    from quicknav_mcp.predict.insights import AnomaliesOut
    from quicknav_mcp.recommend.models import NextPredictions, Recommendations
    from quicknav_mcp.search.excerpt import Excerpt
    from quicknav_mcp.search.models import SearchDocumentsResult, SearchProjectsResult
    from quicknav_mcp.search.typeahead import TypeaheadResult

log = logging.getLogger(__name__)
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
RANGES = (("7d", 7), ("30d", 30), ("90d", 90), ("365d", 365))


def iso(ms: int) -> str:
    """UTC ISO 8601 with seconds, what the analytics services take as start/end."""
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


@dataclass
class ModelLine:
    name: str
    version: int | None
    trained: str  # when the active version was made
    metric: str


@dataclass
class HomeData:
    per_minute: list[int]
    per_hour: list[int]
    board: Dashboard
    status: IndexStatus
    models: list[ModelLine]
    ab_tests: list[str]
    pending: int


def hourly(series: list[Any], now_ms: int, hours: int = 24) -> list[int]:
    """Events per hour for the last ``hours`` hours, zeros filled in (the rollups skip empty hours)."""
    out = [0] * hours
    start = now_ms - hours * HOUR_MS
    for point in series:
        ms = int(datetime.fromisoformat(point.period).timestamp() * 1000)
        i = (ms - start) // HOUR_MS
        if 0 <= i < hours:
            out[i] += point.events
        elif i == -1:  # the partial first hour of the window, bucketed at its whole hour
            out[0] += point.events
    return out


def home(app: App, now_ms: int) -> HomeData:
    """Home: live activity, the day's top projects, searches, latency, the index and the models."""
    start = iso(now_ms - DAY_MS)
    board = app.analytics.dashboard(start, iso(now_ms), top=8)
    per_minute = app.analytics.events_per_minute(60, now_ms=now_ms)
    return HomeData(
        per_minute=per_minute,
        per_hour=hourly(board.search_trends, now_ms),
        board=board,
        status=app.indexing.status(),
        models=models(app),
        ab_tests=[f"{t.name} ({t.model}: {', '.join(f'v{v}' for v in t.variants)})" for t in running_tests(app)],
        pending=board.pending_events,
    )


def models(app: App) -> list[ModelLine]:
    """The active version of each model and when it was trained."""
    out = []
    for m in app.ml.list_models():
        if m.status != "active":
            continue
        metric = next(((k, v) for k, v in m.metrics.items() if isinstance(v, int | float)), None)
        out.append(
            ModelLine(
                name=m.name,
                version=m.version,
                trained=m.created_at.replace("T", " ")[:16],
                metric=f"{metric[0]} {metric[1]:.3f}" if metric else "",
            )
        )
    return sorted(out, key=lambda m: m.name)


def running_tests(app: App) -> list[Any]:
    return [t for t in app.ml.abtests.list() if t.status == "running"]


@dataclass
class SearchData:
    query: str
    projects: SearchProjectsResult | None
    documents: SearchDocumentsResult | None
    error: str | None = None
    typeahead: TypeaheadResult | None = None  # a keystroke's quick answer (no facets); the full search follows


def search(app: App, query: str, filters: dict[str, list[str]], user: str) -> SearchData:
    """Search-as-you-type: a few projects and the documents, narrowed by the chosen facet values."""
    from quicknav_mcp.errors import QuickNavError

    try:
        projects = None
        if not filters:  # a facet narrows documents; projects stay as typed
            projects = app.search.search_projects(query, limit=5, user_id=user, include_facets=False)
        documents = app.search.search_documents(query, filters=filters or None, limit=30, user_id=user)
    except QuickNavError as exc:
        return SearchData(query, None, None, error=str(exc))
    except Exception as exc:  # the box stays usable; the next keystroke searches again
        log.exception("search for %r failed", query)
        return SearchData(query, None, None, error=f"search failed: {exc}")
    return SearchData(query, projects, documents)


def typeahead(app: App, query: str) -> SearchData:
    """A keystroke's answer: the first projects and documents matching what is typed so far."""
    from quicknav_mcp.errors import QuickNavError

    try:
        quick = app.search.typeahead.search(query, limit=20, projects_limit=5)
    except QuickNavError as exc:
        return SearchData(query.strip(), None, None, error=str(exc))
    except Exception as exc:  # the box stays usable; the full search follows
        log.exception("type-ahead for %r failed", query)
        return SearchData(query.strip(), None, None, error=f"type-ahead failed: {exc}")
    return SearchData(query.strip(), None, None, typeahead=quick)


@dataclass
class PreviewData:
    history: list[DocumentInfo]
    excerpt: Excerpt | None


def preview(app: App, document_id: int, query: str) -> PreviewData:
    """A document's revision history and an excerpt of its text (around the query's words when they occur)."""
    from quicknav_mcp.errors import QuickNavError

    history = app.documents.history(document_id)
    try:
        excerpt = app.search.excerpts.excerpt(document_id, query)
    except QuickNavError:  # gone from the index since it was listed: the history says so too
        excerpt = None
    return PreviewData(history, excerpt)


@dataclass
class ForYouData:
    user: str
    recommendations: Recommendations
    predictions: NextPredictions
    documents: NextPredictions


def for_you(app: App, user: str, now_ms: int) -> ForYouData:
    """The user's recommended projects and the projects and documents they are predicted to need next."""
    context = {"time": iso(now_ms)}
    return ForYouData(
        user=user,
        recommendations=app.recommend.recommend_projects(user, 8, context),
        predictions=app.predict.predict_next(user, context, "project", 5),
        documents=app.predict.predict_next(user, context, "document_type", 3),
    )


@dataclass
class AnalyticsData:
    start: str
    end: str
    trends: SearchTrends
    board: Dashboard
    users: Report
    heatmap: list[list[int]]  # 7 weekdays (Monday first) x 24 local hours
    anomalies: AnomaliesOut | None = None
    notes: list[str] = field(default_factory=list)


def range_of(days: int, now_ms: int) -> tuple[str, str]:
    return iso(now_ms - days * DAY_MS), iso(now_ms)


def analytics(app: App, start: str, end: str) -> AnalyticsData:
    """Analytics over a date range: trends, top projects/users/queries and the hour-of-week heatmap."""
    period = f"{start}/{end}"
    heat = app.analytics.run_report("events", "hour_of_week", period, limit=7 * 24)
    return AnalyticsData(
        start=start,
        end=end,
        trends=app.analytics.search_trends(start, end, "auto", limit=8),
        board=app.analytics.dashboard(start, end, top=8),
        users=app.analytics.run_report("events", "user", period, limit=8),
        heatmap=heatmap(heat.rows),
    )


def heatmap(rows: list[dict[str, Any]]) -> list[list[int]]:
    """Report rows labelled ``Mon 09:00`` (local time) -> a 7 x 24 grid."""
    grid = [[0] * 24 for _ in WEEKDAYS]
    for row in rows:
        label = str(row.get("hour_of_week", ""))
        day, _, hour = label.partition(" ")
        if day in WEEKDAYS and hour[:2].isdigit():
            grid[WEEKDAYS.index(day)][int(hour[:2]) % 24] += int(row.get("events") or 0)
    return grid


def anomalies(app: App, start: str, end: str, now_ms: int) -> AnomaliesOut:
    """Unusual user- and project-days with their explanations (reads the event log: its own worker)."""
    return app.ml.insights.anomalies(start, end, limit=10, now_ms=now_ms)
