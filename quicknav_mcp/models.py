"""Result models shared by every front door (MCP structured output, HTTP JSON, CLI --json).

A leaf module: it imports nothing from the package, so every feature's models can build on these.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar, Literal, Self, get_args

from pydantic import BaseModel, Field, SerializerFunctionWrapHandler, model_serializer, model_validator

Status = Literal["success", "select", "error"]
Detail = Literal["brief", "full"]


class Answer(BaseModel):
    """An answer model with a brief form: what a caller needs to act, for an assistant that pays per token.

    ``brief()`` returns a copy that dumps without the fields only ``detail="full"`` shows
    (``BRIEF_OMIT``) and without optional fields at an empty value (null, "", [], {}, false) unless
    named in ``BRIEF_KEEP``. Required fields always stay, so a brief answer still validates against
    the model's schema. A model that was not made brief dumps every field, as before.
    """

    BRIEF_OMIT: ClassVar[frozenset[str]] = frozenset()
    BRIEF_KEEP: ClassVar[frozenset[str]] = frozenset()

    # The fields a brief copy leaves out (None: a full answer) live in pydantic's private slot, set
    # only on brief copies: a declared PrivateAttr would cost every model built (~1.8 us, doubling
    # a small model's construction on navigation's and listing's paths).
    @property
    def _brief_omit(self) -> frozenset[str] | None:
        private = self.__pydantic_private__
        return private.get(_OMIT) if private else None

    @_brief_omit.setter
    def _brief_omit(self, omit: frozenset[str]) -> None:
        if self.__pydantic_private__ is None:
            object.__setattr__(self, "__pydantic_private__", {})
        self.__pydantic_private__[_OMIT] = omit

    def brief(self) -> Self:
        """A brief copy of this answer and every answer inside it (the original is left as it is:
        services may hand out cached answers)."""
        copy = _copy_answers(self)
        copy._make_brief(frozenset())
        return copy

    def _make_brief(self, omit: frozenset[str]) -> None:
        """Mark this answer and its nested answers brief, leaving out ``omit`` besides ``BRIEF_OMIT``;
        a container narrows its items here."""
        self._brief_omit = self.BRIEF_OMIT | omit
        for name in _nested(type(self)):
            _mark_brief(getattr(self, name))

    def _shorten(self, data: dict[str, Any]) -> dict[str, Any]:
        """Last brief touches on the dumped fields (drop what repeats another field)."""
        return data

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        data = handler(self)
        if self._brief_omit is None or not isinstance(data, dict):
            return data
        omit, keep = self._brief_omit, _kept_when_empty(type(self))
        return self._shorten({k: v for k, v in data.items() if k not in omit and (k in keep or not _empty(v))})


_OMIT = "brief_omit"


@functools.cache
def _kept_when_empty(cls: type[Answer]) -> frozenset[str]:
    """Fields a brief answer keeps even when empty: BRIEF_KEEP and the required ones (for the schema)."""
    return cls.BRIEF_KEEP | {name for name, f in cls.model_fields.items() if f.is_required()}


def _empty(value: object) -> bool:
    return value is None or value is False or (isinstance(value, str | list | dict) and not value)


@functools.cache
def _nested(cls: type[Answer]) -> tuple[str, ...]:
    """The fields of ``cls`` that can hold answers (walked when making a brief copy)."""
    return tuple(name for name, f in cls.model_fields.items() if _holds_answer(f.annotation))


def _holds_answer(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, Answer):
        return True
    return any(_holds_answer(arg) for arg in get_args(annotation))


def _copy_answers(value: Any) -> Any:
    """``value`` with every answer inside it copied (shallow copies: a deep copy costs ~1 ms a page)."""
    if isinstance(value, Answer):
        copy = value.model_copy()
        for name in _nested(type(value)):
            copy.__dict__[name] = _copy_answers(value.__dict__[name])
        return copy
    if isinstance(value, list) and value and isinstance(value[0], Answer | list | dict):
        return [_copy_answers(item) for item in value]
    if isinstance(value, dict) and any(isinstance(item, Answer | list) for item in value.values()):
        return {key: _copy_answers(item) for key, item in value.items()}
    return value


def _mark_brief(value: object, omit: frozenset[str] = frozenset()) -> None:
    if isinstance(value, Answer):
        value._make_brief(omit)
    elif isinstance(value, list | tuple):
        for item in value:
            _mark_brief(item, omit)
    elif isinstance(value, dict):
        for item in value.values():
            _mark_brief(item, omit)


def shaped(answer: Any, detail: Detail) -> Any:
    """``answer`` as asked for: brief (the default of the MCP tools) or every field."""
    return answer.brief() if detail == "brief" and isinstance(answer, Answer) else answer


class ProjectSummary(Answer):
    """One project folder."""

    BRIEF_OMIT = frozenset({"client", "description", "range_folder"})  # all three are parts of the folder's name

    project_number: str = Field(description="5-digit project code")
    name: str = Field(description="The project folder's name")
    path: str = Field("", description="Absolute path of the project folder")
    client: str | None = Field(None, description="Client/office abbreviation from the folder name")
    client_names: list[str] = Field(default_factory=list, description="Fuller client names seen in documents")
    description: str = ""
    range_folder: str | None = None
    doc_count: int = 0


class Page(Answer):
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


class NavigateResult(Answer):
    """Legacy ``navigate_project`` shape: success with ``path``, select with ``paths``, or error."""

    status: Status
    path: str | None = None
    paths: list[str] | None = None
    message: str | None = None
    projects: list[ProjectSummary] = Field(
        default_factory=list, description="The matched projects, in the order of `paths` (brief: without the path)"
    )

    def _make_brief(self, omit: frozenset[str]) -> None:
        super()._make_brief(omit)
        _mark_brief(self.projects, frozenset({"path"}))  # each is in `path` / `paths`, in the same order


class DocumentInfo(Answer):
    """A document with everything parsed from its name and location."""

    # Brief: what identifies and ranks the document; its name holds the raw revision, tags, date and sheet.
    BRIEF_OMIT = frozenset(
        {"rel_path", "phase", "revision_raw", "revision_scheme", "status_tags", "doc_date", "sheet", "series_key"}
        | {"is_handover_copy", "size", "modified"}
    )
    BRIEF_KEEP = frozenset({"is_current"})

    id: int
    path: str = Field("", description="Absolute path (brief answers of one project may give rel_path instead)")
    rel_path: str = Field("", description="Path relative to its project folder")
    name: str = ""
    project_number: str = ""
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
    series_key: str = ""
    is_archive: bool = False
    is_handover_copy: bool = False
    is_current: bool = Field(False, description="The current document of its series (not superseded)")
    size: int = 0
    modified: str = Field("", description="File modification time, ISO 8601 UTC")
    predicted_doc_type: str | None = Field(
        None, description="When the rules type it 'other': the document classifier's family (a model's guess)"
    )
    predicted_confidence: float | None = Field(None, description="The classifier's probability of that family")


class FindDocumentsResult(Answer):
    """Legacy document-finder shape plus the parsed documents."""

    status: Status
    path: str | None = None
    paths: list[str] | None = None
    message: str | None = None
    project_number: str | None = None
    mode: str | None = None
    documents: list[DocumentInfo] = Field(
        default_factory=list, description="The documents, in the order of `paths` (brief: without path and project)"
    )

    def _make_brief(self, omit: frozenset[str]) -> None:
        super()._make_brief(omit)
        _mark_brief(self.documents, frozenset({"path", "project_number"}))  # both stated once above


class ProjectDetail(ProjectSummary):
    """A project with a document-type breakdown."""

    doc_types: dict[str, int] = Field(default_factory=dict)
    phases: dict[str, int] = Field(default_factory=dict)
    indexed_at: str | None = None


class GetProjectResult(Answer):
    """All project folders carrying one project number (usually one)."""

    project_number: str
    projects: list[ProjectDetail]


class DocumentPage(Page):
    """A page of a project's documents."""

    project_number: str
    folder: str | None = Field(
        None, description="Brief answers: the project folder; each document's path is folder/rel_path"
    )
    documents: list[DocumentInfo]

    def _make_brief(self, omit: frozenset[str]) -> None:
        super()._make_brief(omit)
        folder = common_folder(self.documents)
        if folder is None:  # documents in several folders of one code: absolute paths
            _mark_brief(self.documents, frozenset({"project_number"}))
            return
        self.folder = folder
        # rel_path instead of the absolute path and the name (its last part); the page states the project.
        for doc in self.documents:
            doc._brief_omit = (doc._brief_omit or frozenset()) - {"rel_path"} | {"path", "name", "project_number"}


def common_folder(documents: list[DocumentInfo]) -> str | None:
    """The one project folder every document's ``path`` is ``folder/rel_path`` of, else ``None``."""
    folders = set()
    for doc in documents:
        if not doc.rel_path or not doc.path.endswith(doc.rel_path):
            return None
        folders.add(doc.path[: -len(doc.rel_path)].rstrip("/\\"))
    return folders.pop() if len(folders) == 1 else None


class ProjectPage(Page):
    """A page of projects."""

    projects: list[ProjectSummary]


class ScanCounts(BaseModel):
    """What one scan (or watcher session) counted: the one definition of the counters that the
    scanner's report, the ``scans`` row it writes and :class:`ScanSummary` share."""

    files_seen: int = 0
    added: int = 0
    updated: int = 0
    moved: int = 0
    deleted: int = 0
    unchanged: int = 0
    problems: int = 0


#: The counters' names, in the order of :class:`ScanCounts` (columns of the ``scans`` table too).
SCAN_COUNTERS: tuple[str, ...] = tuple(ScanCounts.model_fields)


class _ScanHead(BaseModel):
    """Which scan: the fields a summary lists before its counters."""

    root: str
    kind: str = "scan"  # scan | watch (a watcher session, its change batches folded in) | onedrive
    status: str  # running | done | cancelled | failed | interrupted (its process died) | refused
    started_at: str | None = None
    finished_at: str | None = None


class ScanSummary(ScanCounts, _ScanHead):  # fields: the head's, the counters, then these
    seconds: float | None = None
    batches: int | None = None  # watch rows: how many batches of changes

    @classmethod
    def from_row(cls, row: Any) -> ScanSummary:
        """A ``scans`` row joined with its root's ``path`` as ``root``."""
        return cls(
            root=row["root"],
            kind=row["kind"],
            status=row["status"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            seconds=row["seconds"],
            batches=row["batches"] if row["kind"] == "watch" else None,
            **{name: row[name] for name in SCAN_COUNTERS},
        )


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
    embedding_precision: str = Field(
        "",
        description="arithmetic of the worker's document vectors and why (float32 | bfloat16); "
        "empty until the worker's model has loaded in this process",
    )
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
        "restarts, paused roots; from a process running none, the watcher another process recorded "
        "(source 'recorded', heartbeat_age_s, fresh: false when it went quiet or its process is gone)",
    )
    breakers: dict[str, Any] | None = Field(
        None,
        description="Circuit breakers around remote sources (OneDrive's Graph calls): state, failures, retry_in_s",
    )
