"""``navigate_project``: a 5-digit code resolves exactly; anything else is a search term."""

from __future__ import annotations

import logging
from typing import Protocol

from ..errors import InvalidInput
from ..models import NavigateResult
from ..validation import ProjectRef, project_ref
from .projects import ProjectMatch, ProjectService

log = logging.getLogger(__name__)

MAX_CHOICES = 10


class ProjectSearcher(Protocol):
    """The search engine as navigation sees it (``SearchService.project_matches``)."""

    def project_matches(self, text: str, limit: int = ...) -> list[ProjectMatch]: ...


class NavigationService:
    """Turns what a person typed into one project folder, a short selection, or a clear error.

    ``success`` needs evidence a person would accept: the exact code, the words and whole
    numbers of a folder or client name, or the engine's only hit for plain words.
    """

    def __init__(self, projects: ProjectService, search: ProjectSearcher | None = None) -> None:
        self.projects = projects
        self.search = search

    def navigate(self, query: object) -> NavigateResult:
        """Legacy behaviour: never raises for bad input, answers ``status="error"`` instead."""
        try:
            ref = project_ref(query)
        except InvalidInput as exc:
            return NavigateResult(status="error", message=str(exc))
        if ref.code:
            found = self.projects.by_code(ref.code)
            if not found:
                return NavigateResult(status="error", message=f"Project {ref.code} not found{self._empty_hint()}")
            return self._answer([ProjectMatch(p, 100.0, "code") for p in found], f"project {ref.code}")
        # Query syntax (``col:*``) cannot be part of a folder name, so it never matches one literally.
        matches = self.projects.search(ref.text, limit=MAX_CHOICES + 1) if ref.literal else []
        if matches:
            return self._answer(self._clear_winner(matches), repr(ref.text))
        # Nothing in folder or client names: ask the search engine, which also knows site names
        # and words inside documents. Its scores are relative (best = 100), so they cannot tell
        # a confident hit from the least bad one: several hits are always offered as a choice.
        # A bare number is not sent: the engine matches parts of numbers (501 in 2501).
        matches = self._engine(ref.text) if ref.has_letters else []
        if not matches:
            return NavigateResult(status="error", message=self._no_match(ref))
        if len(matches) == 1 and ref.literal and not ref.numbers:
            return self._answer(matches, repr(ref.text))
        # Even a single hit is only offered when the term holds query syntax or a number: the
        # engine's prefix, substring and fuzzy matching would read ``col:*`` as "col", and the
        # hit for "hearing loop 501" has no 501 in it.
        return self._choice(matches, repr(ref.text), found_by="by searching documents and sites, not by name")

    def _engine(self, text: str) -> list[ProjectMatch]:
        if self.search is None:
            return []
        try:
            return self.search.project_matches(text, limit=MAX_CHOICES + 1)
        except Exception:  # the engine must never break the legacy tool
            log.exception("search engine failed for navigate_project")
            return []

    def _no_match(self, ref: ProjectRef) -> str:
        message = f"No project matches {ref.text!r}"
        if not ref.has_letters:
            message += " (numbers match whole numbers in folder names; a project number has 5 digits)"
        return message + self._empty_hint()

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

    @classmethod
    def _answer(cls, matches: list[ProjectMatch], what: str) -> NavigateResult:
        if len(matches) == 1:
            summary = matches[0].project.summary()
            return NavigateResult(status="success", path=summary.path, projects=[summary])
        return cls._choice(matches, what)

    @staticmethod
    def _choice(matches: list[ProjectMatch], what: str, found_by: str = "") -> NavigateResult:
        summaries = [m.project.summary() for m in matches[:MAX_CHOICES]]
        more = f", showing the best {MAX_CHOICES}" if len(matches) > MAX_CHOICES else ""
        folders = "project folder might match" if len(summaries) == 1 else "project folders match"
        how = f" ({found_by}{more})" if found_by else f" ({more[2:]})" if more else ""
        return NavigateResult(
            status="select",
            paths=[s.path for s in summaries],
            message=f"{len(summaries)} {folders} {what}{how}; choose one",
            projects=summaries,
        )
