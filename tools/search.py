"""Search tools: hybrid search over projects and documents, and autocomplete."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from ..search.models import SearchDocumentsResult, SearchProjectsResult, SuggestResult
from ._common import READ_ONLY, tool_errors

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
        limit: Annotated[int, Field(ge=1, le=100, description="Page size (1-100)")] = 20,
        offset: Annotated[int, Field(ge=0, le=10_000, description="Start of the page")] = 0,
        filters: Annotated[
            dict[str, str | list[str]] | None,
            Field(
                description="Exact filters: project (5-digit), client, doc_type (projects holding that family), year"
            ),
        ] = None,
        user_id: UserId = None,
    ) -> SearchProjectsResult:
        """Ranked project folders for a search, with score and why each matched, facets (client,
        range), total_count and did-you-mean suggestions. Use when the user describes a project
        and you need to choose among several ("the Downer jobs", "hearing loop project in Adelaide");
        for a single best folder by code or name, navigate_project is simpler."""
        return holder.get().search.search_projects(query, limit, offset, filters, user_id)

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
        limit: Annotated[int, Field(ge=1, le=100, description="Page size (1-100)")] = 20,
        offset: Annotated[int, Field(ge=0, le=10_000, description="Start of the page")] = 0,
        current_only: Annotated[
            bool, Field(description="Only current documents (no superseded revisions, no archive folders)")
        ] = False,
        user_id: UserId = None,
    ) -> SearchDocumentsResult:
        """Search documents across all projects (or one) by name, folder, family, revision, room,
        change order, text inside the files and meaning. Each result has path, project_number,
        doc_type, revision, is_current, score, a highlighted snippet and why it matched; the
        answer has facets (doc_type, phase, project, extension, year, status), total_count and
        pagination. Use for "which drawings mention the Tesira DSP", "CO5 for 20692", "latest
        as built for 21614"; to get the one current document of a known family, find_documents."""
        app = holder.get()
        found = app.search.search_documents(
            query, project_number, doc_type, filters, limit, offset, current_only, user_id
        )
        app.ml.doc_types.annotate(found.documents)  # a model's family for documents the rules call "other"
        return found

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
