"""``navigate_project``: a 5-digit code resolves exactly; anything else is a search term."""

from __future__ import annotations

from ..errors import InvalidInput
from ..models import NavigateResult
from ..validation import PROJECT_CODE, clean_text
from .projects import ProjectMatch, ProjectService

MAX_CHOICES = 10


class NavigationService:
    """Turns what a person typed into one project folder, a short selection, or a clear error."""

    def __init__(self, projects: ProjectService) -> None:
        self.projects = projects

    def navigate(self, query: object) -> NavigateResult:
        """Legacy behaviour: never raises for bad input, answers ``status="error"`` instead."""
        try:
            text = clean_text(query, "project_number")
        except InvalidInput as exc:
            return NavigateResult(status="error", message=str(exc))
        if PROJECT_CODE.match(text):
            found = self.projects.by_code(text)
            if not found:
                return NavigateResult(status="error", message=f"Project {text} not found")
            return self._answer([ProjectMatch(p, 100.0, "code") for p in found], f"project {text}")
        matches = self.projects.search(text, limit=MAX_CHOICES + 1)
        if not matches:
            return NavigateResult(status="error", message=f"No project matches {text!r}")
        return self._answer(self._clear_winner(matches), repr(text))

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
