"""The text behind the MCP prompts: a project briefing, what to do next, a weekly report.

Each builder gathers facts from the services (index, documents, analytics, recommendations,
predictions, insights) and returns them as a compact, labelled text an assistant can turn into
prose. A part whose data is missing says so instead of failing the whole prompt.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from ..analytics import feedback
from ..errors import InvalidInput, QuickNavError
from ..validation import clean_text, project_code

if TYPE_CHECKING:
    from ..app import App

log = logging.getLogger(__name__)


def _part(title: str, build: Callable[[], list[str]]) -> str:
    try:
        lines = build()
    except QuickNavError as exc:
        lines = [f"(not available: {exc})"]
    except Exception as exc:  # one failing part must not lose the rest of the briefing
        log.warning("prompt part %r failed: %s", title, exc)
        lines = [f"(not available: {type(exc).__name__})"]
    return f"## {title}\n" + ("\n".join(lines) if lines else "(none)")


def _docs(app: App, code: str, doc_type: str, limit: int = 5) -> list[str]:
    res = app.documents.find(code, doc_type, mode="latest")
    if res.status == "error":
        return [f"(none: {res.message})"]
    out = []
    for d in res.documents[:limit]:
        raw = d.revision_raw or ""
        rev = f" ({raw})" if raw.lower().startswith("rev") else f" rev {raw}" if raw else ""
        when = f", dated {d.doc_date}" if d.doc_date else ""
        out.append(f"- {d.name}{rev}{when} ({d.rel_path})")
    if len(res.documents) > limit:
        out.append(f"- ... and {len(res.documents) - limit} more")
    return out


def project_briefing(app: App, project_number: object) -> str:
    code = project_code(project_number)
    details = app.projects.detail(code)  # NotFound for an unknown project
    p = details[0]

    def what() -> list[str]:
        clients = ", ".join(p.client_names) or p.client or "unknown"
        types = ", ".join(f"{t} {n}" for t, n in sorted(p.doc_types.items(), key=lambda kv: -kv[1])[:8])
        return [
            f"- Folder: {p.name} ({p.path})",
            f"- Client: {clients}",
            f"- Description: {p.description or '(none)'}",
            f"- Documents: {p.doc_count} ({types})",
        ]

    def activity() -> list[str]:
        m = app.analytics.project_metrics(code, "30d")
        lines = [
            f"- Last 30 days: {m.views} views, {m.document_opens} document opens, {m.searches} searches, "
            f"{m.unique_users} people; last accessed {m.last_accessed or 'never'}"
        ]
        since = int((datetime.now(UTC) - timedelta(days=90)).timestamp() * 1000)
        users = Counter(e.user_id for e in feedback.behaviour(app.store, since_ms=since, project=code)).most_common(5)
        if users:
            lines.append("- Who works on it (90 days): " + ", ".join(f"{u} ({n} events)" for u, n in users))
        return lines

    def similar() -> list[str]:
        res = app.recommend.similar_projects(code, 5)
        return [f"- {i.project_number} {i.name}: {'; '.join(i.reasoning[:2])}" for i in res.items]

    parts = [
        f"Brief me on project {code} ({p.name}) for someone picking it up today. Use only these facts; "
        "say what is missing. Keep it short: what it is, the current design, commercial state, change orders, "
        "who to ask, and related projects.",
        _part("What the project is", what),
        _part("Current designs (system design drawings, current revisions)", lambda: _docs(app, code, "lld")),
        _part("Latest Sales & PO", lambda: _docs(app, code, "sales_po", 3)),
        _part("Change orders", lambda: _docs(app, code, "change_order", 8)),
        _part("Recent activity", activity),
        _part("Similar projects", similar),
    ]
    return "\n\n".join(parts)


def what_next(app: App, user: object) -> str:
    user_id = clean_text(user, "user", max_len=128)

    def recs() -> list[str]:
        res = app.recommend.recommend_projects(user_id, 5)
        head = [f"(algorithm: {res.algorithm_used}; model version {res.model_version})"]
        return head + [
            f"- {i.project_number} {i.name} (confidence {i.confidence_score:.2f}): {' '.join(i.reasoning[:2])}"
            for i in res.items
        ]

    def preds() -> list[str]:
        res = app.predict.predict_next(user_id, None, "project", 3)
        return [
            f"- {p.project_number} {p.name or ''} (confidence {p.confidence_score:.2f}): {' '.join(p.reasoning[:2])}"
            for p in res.predictions
        ]

    def types() -> list[str]:
        res = app.predict.predict_next(user_id, None, "document_type", 3)
        return [f"- {p.doc_type} (confidence {p.confidence_score:.2f})" for p in res.predictions]

    return "\n\n".join(
        [
            f"Suggest what {user_id} should work on next, in a few bullet points, each with its reason. "
            "Prefer the predictions for the very next step and the recommendations for the rest of the day.",
            _part("Likely next projects (predicted from their recent steps)", preds),
            _part("Likely next document families", types),
            _part("Recommended projects", recs),
        ]
    )


def _week_start(start: object) -> date:
    if start is None or start == "":
        today = datetime.now(UTC).date()
        return today - timedelta(days=today.weekday() + 7)  # last full week, Monday first
    if not isinstance(start, str):
        raise InvalidInput("start must be a date such as 2026-03-02")
    try:
        day = date.fromisoformat(start.strip())
    except ValueError:
        raise InvalidInput(f"start {start[:40]!r} is not a date like 2026-03-02") from None
    if not 2000 <= day.year <= 2099:
        raise InvalidInput(f"start {start!r} is outside 2000-2099")
    return day


def weekly_report(app: App, start: object = None) -> str:
    first = _week_start(start)
    last = first + timedelta(days=6)
    s, e = first.isoformat(), last.isoformat()

    def overview() -> list[str]:
        d = app.analytics.dashboard(s, e, top=5)
        m = d.metrics
        lines = [
            f"- {m.total_events} events by {m.total_users} people over {m.total_projects} projects; "
            f"{m.total_searches} searches ({m.zero_result_searches} found nothing)"
        ]
        lines += [
            f"- Top: {t.project_number} {t.name or ''}: {t.views} views, {t.document_opens} opens, "
            f"{t.unique_users} people"
            for t in d.top_projects
        ]
        if d.zero_result_queries:
            lines.append("- Searches that found nothing: " + ", ".join(q.query for q in d.zero_result_queries[:5]))
        return lines

    def unusual() -> list[str]:
        res = app.ml.insights.anomalies(s, e, limit=5)
        return [f"- {a.explanation}" for a in res.anomalies] or ["- nothing unusual"]

    def outlook() -> list[str]:
        fc = app.ml.insights.forecast(None, 7, "events")
        return [f"- {fc.summary}"]

    return "\n\n".join(
        [
            f"Write the weekly QuickNav usage report for {s} to {e}: what people worked on, what stood out, "
            "what search could not find, and what next week looks like. Use only these facts.",
            _part("The week in numbers", overview),
            _part("Unusual days", unusual),
            _part("Next week", outlook),
        ]
    )
