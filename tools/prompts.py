"""MCP prompts (project briefing, what next, weekly report) and argument completion.

Completion covers project numbers on the prompts and on the ``quicknav://projects/{number}``
resource templates (a digit prefix completes codes, words complete by project name), users on
``what_next`` and recent Mondays on ``weekly_report``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS, Completion, PromptReference, ResourceTemplateReference
from pydantic import Field

from ..analytics.history import known_users
from ..errors import QuickNavError
from ..predict import briefings
from ..validation import clean_text

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from ..app import App
    from ..server import AppHolder

MAX_COMPLETIONS = 100
PROJECT_ARGS = {"project_number", "number"}
F = TypeVar("F", bound=Callable[..., Any])


def prompt_errors(fn: F) -> F:
    """Bad arguments to a prompt are the caller's to fix: report them as invalid params."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except QuickNavError as exc:
            raise MCPError(code=INVALID_PARAMS, message=str(exc)) from exc

    return wrapper  # type: ignore[return-value]


def complete_projects(app: App, prefix: str) -> Completion:
    """Project codes for a prefix: digits match codes, words match names (best first)."""
    prefix = prefix.strip()
    if not prefix or prefix.isdigit():
        codes = sorted({p.code for p in app.projects.all() if p.code.startswith(prefix)})
    else:
        term = clean_text(prefix, "value", max_len=100)
        codes = list(dict.fromkeys(m.project.code for m in app.projects.search(term, MAX_COMPLETIONS)))
    return Completion(values=codes[:MAX_COMPLETIONS], total=len(codes), has_more=len(codes) > MAX_COMPLETIONS)


def complete_users(app: App, prefix: str) -> Completion:
    users = sorted(u for u in known_users(app.store) if u.lower().startswith(prefix.strip().lower()))
    return Completion(values=users[:MAX_COMPLETIONS], total=len(users), has_more=len(users) > MAX_COMPLETIONS)


def complete_weeks(prefix: str) -> Completion:
    today = datetime.now(UTC).date()
    monday = today - timedelta(days=today.weekday())
    weeks = [(monday - timedelta(weeks=i)).isoformat() for i in range(1, 13)]
    values = [w for w in weeks if w.startswith(prefix.strip())]
    return Completion(values=values, total=len(values), has_more=False)


def register(server: MCPServer, holder: AppHolder) -> None:
    @server.prompt(title="Project briefing")
    @prompt_errors
    def project_briefing(
        project_number: str = Field(description="5-digit project number, e.g. 21614"),
    ) -> str:
        """Brief someone on a project: what it is, its current designs, latest Sales & PO, change
        orders, recent activity and who works on it, and similar projects."""
        return briefings.project_briefing(holder.get(), project_number)

    @server.prompt(title="What next")
    @prompt_errors
    def what_next(user: str = Field(description="The user id, as in the analytics events")) -> str:
        """What a person is likely to work on next and what is recommended for them, with reasons."""
        return briefings.what_next(holder.get(), user)

    @server.prompt(title="Weekly report")
    @prompt_errors
    def weekly_report(
        start: str | None = Field(None, description="Monday of the week (2026-03-02); default: last full week"),
    ) -> str:
        """A weekly usage report: activity, top projects, failed searches, unusual days, next week's outlook."""
        return briefings.weekly_report(holder.get(), start)

    @server.completion()
    async def complete(ref: Any, argument: Any, context: Any) -> Completion | None:
        name, value = argument.name, argument.value or ""
        if isinstance(ref, ResourceTemplateReference):
            if ref.uri.startswith("quicknav://projects/{number}") and name == "number":
                return complete_projects(holder.get(), value)
            return None
        if not isinstance(ref, PromptReference):
            return None
        if name in PROJECT_ARGS:
            return complete_projects(holder.get(), value)
        if ref.name == "what_next" and name == "user":
            return complete_users(holder.get(), value)
        if ref.name == "weekly_report" and name == "start":
            return complete_weeks(value)
        return None
