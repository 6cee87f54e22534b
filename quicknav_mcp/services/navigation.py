"""``navigate_project``: a 5-digit code resolves exactly; anything else is a search term."""

from __future__ import annotations

import logging
from typing import Protocol

from ..errors import InvalidInput
from ..models import NavigateResult
from ..validation import PROJECT_CODE, clean_text
from .projects import ProjectMatch, ProjectService

log = logging.getLogger(__name__)

MAX_CHOICES = 10


class ProjectSearcher(Protocol):
    """The search engine as navigation sees it (``SearchService.project_matches``)."""

    def project_matches(self, text: str, limit: int = ...) -> list[ProjectMatch]: ...


class NavigationService:
    """Turns what a person typed into one project folder, a short selection, or a clear error."""

    def __init__(self, projects: ProjectService, search: ProjectSearcher | None = None) -> None:
        self.projects = projects
        self.search = search

    def navigate(self, query: object) -> NavigateResult:
        """Legacy behaviour: never raises for bad input, answers ``status="error"`` instead."""
        try:
            text = clean_text(query, "project_number")
        except InvalidInput as exc:
            return NavigateResult(status="error", message=str(exc))
        if PROJECT_CODE.match(text):
            found = self.projects.by_code(text)
            if not found:
                return NavigateResult(status="error", message=f"Project {text} not found{self._empty_hint()}")
            return self._answer([ProjectMatch(p, 100.0, "code") for p in found], f"project {text}")
        matches = self.projects.search(text, limit=MAX_CHOICES + 1)
        if matches:
            return self._answer(self._clear_winner(matches), repr(text))
        # Nothing in folder or client names: ask the search engine, which also knows site names
        # and words inside documents. Its scores are relative (best = 100), so they cannot tell
        # a confident hit from the least bad one: several hits are always offered as a choice.
        matches = self._engine(text)
        if not matches:
            return NavigateResult(status="error", message=f"No project matches {text!r}{self._empty_hint()}")
        return self._answer(matches, repr(text))

    def _engine(self, text: str) -> list[ProjectMatch]:
        if self.search is None:
            return []
        try:
            return self.search.project_matches(text, limit=MAX_CHOICES + 1)
        except Exception:  # the engine must never break the legacy tool
            log.exception("search engine failed for navigate_project")
            return []

    def _empty_hint(self) -> str:
        return "" if self.projects.all() else "; the index is empty: run `quicknav index` or the reindex tool"

    @staticmethod
    def _clear_winner(matches: list[ProjectMatch]) -> list[ProjectMatch]:
        """Keep only the best match when it stands well clear of the rest."""
        if len(matches) == 1:
            return matches
        best, second = matches[0].score, matches[1].score
        if best >= 100 and second < 95:
            return matches[:1]
        if best - second >= 15:
            return matches[:1]
        return matches

    @staticmethod
    def _answer(matches: list[ProjectMatch], what: str) -> NavigateResult:
        summaries = [m.project.summary() for m in matches[:MAX_CHOICES]]
        if len(summaries) == 1:
            return NavigateResult(status="success", path=summaries[0].path, projects=summaries)
        more = f" (showing the best {MAX_CHOICES})" if len(matches) > MAX_CHOICES else ""
        return NavigateResult(
            status="select",
            paths=[s.path for s in summaries],
            message=f"{len(summaries)} project folders match {what}{more}; choose one",
            projects=summaries,
        )
