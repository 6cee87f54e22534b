"""Result models shared by every front door (MCP structured output, HTTP JSON, CLI --json).

A leaf module: it imports nothing from the package, so every feature's models can build on these.
"""

from __future__ import annotations

from typing import Any, Literal, Self

from pydantic import BaseModel, Field, model_validator

Status = Literal["success", "select", "error"]


class ProjectSummary(BaseModel):
    """One project folder."""

    project_number: str = Field(description="5-digit project code")
    name: str = Field(description="The project folder's name")
    path: str = Field(description="Absolute path of the project folder")
    client: str | None = Field(None, description="Client/office abbreviation from the folder name")
    client_names: list[str] = Field(default_factory=list, description="Fuller client names seen in documents")
    description: str = ""
    range_folder: str | None = None
    doc_count: int = 0


class Page(BaseModel):
    """One page of a longer list; ``next_offset`` is derived here, never by the callers."""

    total_count: int = Field(description="How many items the whole list holds")
    offset: int
    limit: int
    next_offset: int | None = Field(None, description="The offset of the next page; null on the last page")

    @model_validator(mode="after")
    def _next_offset(self) -> Self:
        end = self.offset + self.limit
        self.next_offset = end if end < self.total_count else None
        return self


class NavigateResult(BaseModel):
    """Legacy ``navigate_project`` shape: success with ``path``, select with ``paths``, or error."""

    status: Status
    path: str | None = None
    paths: list[str] | None = None
    message: str | None = None
    projects: list[ProjectSummary] = Field(default_factory=list, description="The matched projects")


class DocumentInfo(BaseModel):
    """A document with everything parsed from its name and location."""

    id: int
    path: str = Field(description="Absolute path")
    rel_path: str = Field(description="Path relative to its project folder")
    name: str
    project_number: str
    doc_type: str
    phase: str | None = None
    revision: int | None = Field(None, description="Comparable revision value (Rev 1.02 -> 102)")
    revision_raw: str | None = None
    revision_scheme: str | None = None
    status_tags: list[str] = Field(default_factory=list)
    is_as_built: bool = False
    doc_date: str | None = Field(None, description="ISO date parsed from the name (day-first)")
    room: int | None = None
    change_order: int | None = None
    sheet: str | None = None
    series_key: str
    is_archive: bool = False
    is_handover_copy: bool = False
    is_current: bool = Field(False, description="The current document of its series (not superseded)")
    size: int = 0
    modified: str = Field("", description="File modification time, ISO 8601 UTC")
    predicted_doc_type: str | None = Field(
        None, description="When the rules type it 'other': the document classifier's family (a model's guess)"
    )
    predicted_confidence: float | None = Field(None, description="The classifier's probability of that family")


class FindDocumentsResult(BaseModel):
    """Legacy document-finder shape plus the parsed documents."""

    status: Status
    path: str | None = None
    paths: list[str] | None = None
    message: str | None = None
    project_number: str | None = None
    mode: str | None = None
    documents: list[DocumentInfo] = Field(default_factory=list)


class ProjectDetail(ProjectSummary):
    """A project with a document-type breakdown."""

    doc_types: dict[str, int] = Field(default_factory=dict)
    phases: dict[str, int] = Field(default_factory=dict)
    indexed_at: str | None = None


class GetProjectResult(BaseModel):
    """All project folders carrying one project number (usually one)."""

    project_number: str
    projects: list[ProjectDetail]


class DocumentPage(Page):
    """A page of a project's documents."""

    project_number: str
    documents: list[DocumentInfo]


class ProjectPage(Page):
    """A page of projects."""

    projects: list[ProjectSummary]


class ScanSummary(BaseModel):
    root: str
    status: str
    started_at: str | None = None
    finished_at: str | None = None
    files_seen: int = 0
    added: int = 0
    updated: int = 0
    moved: int = 0
    deleted: int = 0
    unchanged: int = 0
    problems: int = 0
    seconds: float | None = None


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
    vector_coverage: dict[str, dict[str, float | int | None]] = Field(
        default_factory=dict,
        description="per kind (identity: every document; content: documents with text; projects): "
        "done, of, percent, docs_per_s of the worker, eta_s to cover the rest",
    )


class IndexStatus(BaseModel):
    """What is indexed, from where, and how healthy it is."""

    db_path: str
    db_bytes: int
    schema_version: int
    vectors_available: bool
    roots: list[str]
    projects: int
    documents: int
    doc_types: dict[str, int]
    last_scans: list[ScanSummary]
    recent_problems: list[dict[str, str]] = Field(default_factory=list)
    search: SearchIndexStatus | None = Field(
        None, description="Text extraction and embedding progress; whether semantic search is available"
    )
    watcher: dict[str, Any] | None = Field(
        None,
        description="The live file watcher while serving: state, mode (inotify/polling), heartbeat, last change, "
        "restarts, paused roots",
    )
    breakers: dict[str, Any] | None = Field(
        None,
        description="Circuit breakers around remote sources (OneDrive's Graph calls): state, failures, retry_in_s",
    )
