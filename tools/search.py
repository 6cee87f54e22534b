"""Search tools: hybrid search over projects and documents, and autocomplete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from ..models import shaped
from ..search.models import SearchDocumentsResult, SearchProjectsResult, SuggestResult
from ._common import READ_ONLY, detail_arg, tool_errors

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from ..server import AppHolder

Filters = Annotated[
    dict[str, str | list[str]] | None,
    Field(
        description="Exact filters, each a value or a list: doc_type (lld, change_order, ...), project (5-digit), "
        "ext (pdf), phase (system_designs, bom_orders, ...), status (current, superseded, archive, as_built, "
        "draft), year (2024), client, after/before (2024-03-01 or 01/03/2024). The same can be typed in the "
        "query as type:lld project:21614 ext:pdf after:2024-01."
    ),
]
Limit = Annotated[
    int | None, Field(ge=1, le=100, description='Page size (1-100); default 10, or 20 with detail "full"')
]
Detail = detail_arg(
    "; adds facets (counts by family, phase, project, ...), each hit's parsed fields (phase, raw revision, "
    "status tags, dates, size, series) and a snippet even when it is only the highlighted name"
)
ProjectSearchDetail = detail_arg("; adds facets (client, range) and each folder's client code, range folder, highlight")
BRIEF_LIMIT, FULL_LIMIT = 10, 20
UserId = Annotated[
    str | None, Field(description="Who is searching: their recent projects rank a little higher", max_length=128)
]


def register(server: MCPServer, holder: AppHolder) -> None:
    @server.tool(title="Search projects", annotations=READ_ONLY)
    @tool_errors
    def search_projects(
        query: Annotated[
            str,
            Field(
                description="Anything that identifies a project: a code (21614, PAVS20699, or part of one: 2161), "
                "client abbreviation or full name (PLWRX / Poolwerx), words of the folder name, site or words "
                "inside its documents, or a plain-language description. Typos are tolerated."
            ),
        ],
        limit: Limit = None,
        offset: Annotated[int, Field(ge=0, le=10_000, description="Start of the page")] = 0,
        filters: Annotated[
            dict[str, str | list[str]] | None,
            Field(
                description="Exact filters: project (5-digit), client, doc_type (projects holding that family), year"
            ),
        ] = None,
        user_id: UserId = None,
        detail: ProjectSearchDetail = "brief",
    ) -> SearchProjectsResult:
        """Ranked project folders for a search, each with path, score and why it matched, plus
        total_count, next_offset and did-you-mean suggestions (facets with detail "full"). Use when
        the user describes a project and you need to choose among several ("the Downer jobs",
        "hearing loop project in Adelaide"); for a single best folder by code or name,
        navigate_project is simpler."""
        found = holder.get().search.search_projects(
            query, _limit(limit, detail), offset, filters, user_id, include_facets=detail == "full"
        )
        return shaped(found, detail)

    @server.tool(title="Search documents", annotations=READ_ONLY)
    @tool_errors
    def search_documents(
        query: Annotated[
            str,
            Field(
                description="What the document is: words of its name or content, a family (LLD, design, as "
                "built, CO5, change order, SWMS, quote, PO, floor plan), a revision (rev 102), a room (room 12, "
                'R12), a project code, "quoted phrases", a plain-language question, or key:value filters. '
                "May be empty when project_number, doc_type or filters say enough."
            ),
        ] = "",
        project_number: Annotated[str | None, Field(description="Only this 5-digit project")] = None,
        doc_type: Annotated[
            str | None,
            Field(
                description="Only this family: lld, hld, change_order, sales_po, floor_plans, scope, qa_itp, "
                "swms, supplier_quotes, photos, handover, purchase_order, ... (synonyms accepted)"
            ),
        ] = None,
        filters: Filters = None,
        limit: Limit = None,
        offset: Annotated[int, Field(ge=0, le=10_000, description="Start of the page")] = 0,
        current_only: Annotated[
            bool, Field(description="Only current documents (no superseded revisions, no archive folders)")
        ] = False,
        user_id: UserId = None,
        detail: Detail = "brief",
    ) -> SearchDocumentsResult:
        """Search documents across all projects (or one) by name, folder, family, revision, room,
        change order, text inside the files and meaning. Each result has its absolute path, name,
        project_number, doc_type, revision, is_current, score, why it matched and a highlighted
        snippet of the text inside when that matched; the answer has total_count and next_offset
        (facets by doc_type, phase, project, extension, year and status with detail "full"). Use
        for "which drawings mention the Tesira DSP", "CO5 for 20692", "latest as built for 21614";
        to get the one current document of a known family, find_documents."""
        app = holder.get()
        found = app.search.search_documents(
            query,
            project_number,
            doc_type,
            filters,
            _limit(limit, detail),
            offset,
            current_only,
            user_id,
            include_facets=detail == "full",
        )
        app.ml.doc_types.annotate(found.documents)  # a model's family for documents the rules call "other"
        return shaped(found, detail)

    @server.tool(title="Autocomplete", annotations=READ_ONLY)
    @tool_errors
    def suggest(
        prefix: Annotated[
            str, Field(description="The start of what the user is typing (code, project, client, word)", max_length=200)
        ],
        limit: Annotated[int, Field(ge=1, le=50, description="How many suggestions (1-50)")] = 10,
    ) -> SuggestResult:
        """Completions for a partly typed query: project codes, project folder names, client names
        (abbreviations and full names), frequent searches and indexed words. Use while the user is
        typing, or to turn a half-remembered name into something search_projects will find."""
        return holder.get().search.suggest(prefix, limit)


def _limit(limit: int | None, detail: str) -> int:
    """The page size asked for, else a brief answer's 10 or a full answer's 20 (the HTTP API's default)."""
    return limit if limit is not None else FULL_LIMIT if detail == "full" else BRIEF_LIMIT
