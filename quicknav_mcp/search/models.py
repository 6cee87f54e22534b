"""Result models of the search tools (MCP structured output, HTTP JSON, CLI ``--json``).

Pure Pydantic: importing this module loads nothing heavy.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..models import ProjectSummary


class FacetValue(BaseModel):
    """One value of a facet and how many results carry it."""

    value: str
    count: int


class QueryInterpretation(BaseModel):
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
    filters: dict[str, list[str]] = Field(default_factory=dict, description="Explicit filters (type:, project: ...)")
    corrections: dict[str, str] = Field(default_factory=dict, description="Misspelt word -> indexed word used")


class ProjectHit(ProjectSummary):
    """A project folder that matches (the same fields as navigation's projects), with why."""

    score: float = Field(description="Relevance, higher is better (comparable within one answer)")
    why: list[str] = Field(default_factory=list, description="Signals that matched")
    highlight: str = Field("", description="The folder name with matched words in **bold**")


class DocumentHit(BaseModel):
    """A document that matches, with its parsed facts, a highlighted snippet and why."""

    id: int
    path: str = Field(description="Absolute path")
    name: str
    project_number: str
    project_name: str = ""
    doc_type: str
    phase: str | None = None
    ext: str = ""
    revision: int | None = Field(None, description="Comparable revision value (Rev 1.02 -> 102)")
    revision_raw: str | None = None
    is_current: bool = Field(False, description="The current document of its series (not superseded)")
    is_as_built: bool = False
    is_archive: bool = False
    status_tags: list[str] = Field(default_factory=list)
    room: int | None = None
    change_order: int | None = None
    doc_date: str | None = None
    modified: str = ""
    score: float
    snippet: str = Field("", description="Matched words in **bold**, from the name or the content")
    why: list[str] = Field(default_factory=list)


class SearchProjectsResult(BaseModel):
    """``search_projects`` answer."""

    query: str
    projects: list[ProjectHit]
    total_count: int
    offset: int
    limit: int
    next_offset: int | None = None
    search_time_ms: float
    facets: dict[str, list[FacetValue]] = Field(default_factory=dict)
    suggestions: list[str] = Field(default_factory=list, description="Did-you-mean queries when few results")
    understood: QueryInterpretation = Field(default_factory=QueryInterpretation)
    semantic: bool = Field(False, description="Whether semantic (embedding) retrieval took part")


class SearchDocumentsResult(BaseModel):
    """``search_documents`` answer."""

    query: str
    documents: list[DocumentHit]
    total_count: int
    offset: int
    limit: int
    next_offset: int | None = None
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


class SearchIndexStatus(BaseModel):
    """Progress of content extraction and embeddings, and whether semantic search works."""

    documents: int = 0
    content_processed: int = 0
    content_pending: int = 0
    content_ok: int = 0
    content_failed: int = 0
    content_by_status: dict[str, int] = Field(default_factory=dict)
    recent_failures: list[dict[str, str]] = Field(default_factory=list)
    embeddings_done: int = 0
    embeddings_pending: int = 0
    project_embeddings_done: int = 0
    semantic_available: bool = False
    semantic_status: str = Field("", description="ready | not loaded yet | unavailable: <reason>")
    model: str = ""
    vectors_available: bool = False
    worker_running: bool = False
