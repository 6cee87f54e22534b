"""Result models of the search tools (MCP structured output, HTTP JSON, CLI ``--json``).

Pure Pydantic: importing this module loads nothing heavy.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from ..models import Answer, DocumentInfo, Page, ProjectSummary


class FacetValue(BaseModel):
    """One value of a facet and how many results carry it."""

    value: str
    count: int


class QueryInterpretation(Answer):
    """What the query was understood to ask for (codes, families, revisions ... and words)."""

    terms: list[str] = Field(default_factory=list, description="Plain words searched for")
    phrases: list[str] = Field(default_factory=list, description="Quoted phrases")
    project_codes: list[str] = Field(default_factory=list)
    partial_codes: list[str] = Field(default_factory=list, description="3-4 digit numbers matched inside codes")
    doc_types: list[str] = Field(default_factory=list, description="Document families named in the query")
    revision: int | None = None
    room: int | None = None
    change_order: int | None = None
    as_built: bool = False
    wants_current: bool = False
    level: int | None = Field(None, description="The floor asked for (level 3, L3; ground floor = 0)")
    latest_change_order: bool = Field(False, description="Asked for the latest (highest-numbered) change order")
    filler: list[str] = Field(default_factory=list, description="Conversational words ignored")
    filters: dict[str, list[str]] = Field(default_factory=dict, description="Explicit filters (type:, project: ...)")
    corrections: dict[str, str] = Field(default_factory=dict, description="Misspelt word -> indexed word used")


class ProjectHit(ProjectSummary):
    """A project folder that matches (the same fields as navigation's projects), with why."""

    score: float = Field(description="Relevance, higher is better (comparable within one answer)")
    BRIEF_OMIT = ProjectSummary.BRIEF_OMIT | {"highlight"}  # `why` says what matched

    why: list[str] = Field(default_factory=list, description="Signals that matched")
    highlight: str = Field("", description="The folder name with matched words in **bold**")


class DocumentHit(DocumentInfo):
    """A document that matches (the same fields as the document finder's), with a highlighted
    snippet and why."""

    BRIEF_OMIT = DocumentInfo.BRIEF_OMIT | {"project_name", "ext"}  # both are in the path

    project_name: str = ""
    ext: str = ""
    score: float
    snippet: str = Field(
        "", description="Matched words in **bold**, from the name or the content (brief: only from the content)"
    )
    why: list[str] = Field(default_factory=list)

    def _shorten(self, data: dict[str, Any]) -> dict[str, Any]:
        snippet = data.get("snippet", "")
        if snippet.replace("**", "") == self.name:  # the name again, highlighted
            del data["snippet"]
        elif snippet:
            data["snippet"] = short_snippet(snippet)
        return data


BRIEF_SNIPPET = 100


def short_snippet(text: str, size: int = BRIEF_SNIPPET) -> str:
    """About ``size`` characters of a highlighted snippet from a little before its first match,
    cut at spaces, a cut bold word closed, and … where text was left out."""
    if len(text) <= size:
        return text
    first = max(text.find("**"), 0)
    start = max(0, first - size // 4)
    if start:
        space = text.find(" ", start, first)
        start = space + 1 if space >= 0 else start
    end = min(len(text), start + size)
    if end < len(text):
        space = text.rfind(" ", start + size // 2, end)
        end = space if space >= 0 else end
    piece = text[start:end].strip()
    if piece.count("**") % 2:  # the cut fell inside a bold word
        piece += "**"
    lead = "…" if start and not piece.startswith("…") else ""
    return f"{lead}{piece}{'…' if end < len(text) and not piece.endswith('…') else ''}"


class SearchProjectsResult(Page):
    """``search_projects`` answer."""

    BRIEF_OMIT = frozenset({"facets"})

    query: str
    projects: list[ProjectHit]
    search_time_ms: float
    facets: dict[str, list[FacetValue]] = Field(default_factory=dict)
    suggestions: list[str] = Field(default_factory=list, description="Did-you-mean queries when few results")
    understood: QueryInterpretation = Field(default_factory=QueryInterpretation)
    semantic: bool = Field(False, description="Whether semantic (embedding) retrieval took part")


class SearchDocumentsResult(Page):
    """``search_documents`` answer."""

    BRIEF_OMIT = frozenset({"facets"})

    query: str
    documents: list[DocumentHit]
    search_time_ms: float
    facets: dict[str, list[FacetValue]] = Field(default_factory=dict)
    suggestions: list[str] = Field(default_factory=list)
    understood: QueryInterpretation = Field(default_factory=QueryInterpretation)
    semantic: bool = False


class Suggestion(BaseModel):
    """One autocomplete entry."""

    text: str = Field(description="What to type / search for")
    kind: str = Field(description="code | project | client | query | word")
    project_number: str | None = None
    detail: str = ""


class SuggestResult(BaseModel):
    """``suggest`` answer."""

    prefix: str
    suggestions: list[Suggestion]
    search_time_ms: float
