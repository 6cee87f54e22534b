"""Navigation tools: projects and the documents inside them."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import Field

from ..models import DocumentPage, FindDocumentsResult, GetProjectResult, NavigateResult, shaped
from ._common import READ_ONLY, ProjectNumber, detail_arg, legacy_errors, tool_errors

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from ..server import AppHolder


NavigateDetail = detail_arg("; adds each project's path again, client code, description and range folder")
DocumentDetail = detail_arg(
    "; adds each document's path and project again, phase, raw revision and scheme, status tags, date, "
    "sheet, series, size and modification time"
)


def register(server: MCPServer, holder: AppHolder) -> None:
    @server.tool(title="Navigate to a project folder", annotations=READ_ONLY)
    @legacy_errors(NavigateResult)
    def navigate_project(
        project_number: Annotated[
            ProjectNumber,
            Field(
                description="A 5-digit project number (17741) or search words (client, site, job); a number "
                "alone needs at least 3 digits and matches whole numbers in folder names"
            ),
        ],
        detail: NavigateDetail = "brief",
    ) -> NavigateResult:
        """Find a project folder. Use this first whenever the user names a project by number or
        by words ("the Poolwerx job", "50 Quay St"). Returns status "success" with `path`,
        "select" with several `paths` to choose from, or "error" with a `message`; `projects`
        gives each one's number, name, client names and document count, in the same order."""
        return shaped(holder.get().navigation.navigate(project_number), detail)

    @server.tool(title="Project details", annotations=READ_ONLY)
    @tool_errors
    def get_project(
        project_number: Annotated[ProjectNumber, Field(description="5-digit project number")],
    ) -> GetProjectResult:
        """Details of a project by its exact 5-digit number: folder path, client names, and how
        many documents of each type and phase it holds. Use after navigate_project when you need
        to know what a project contains before asking for documents."""
        app = holder.get()
        details = app.projects.detail(project_number)
        return GetProjectResult(project_number=details[0].project_number, projects=details)

    @server.tool(title="Find a project's current documents", annotations=READ_ONLY)
    @legacy_errors(FindDocumentsResult)
    def find_documents(
        project_number: Annotated[ProjectNumber, Field(description="5-digit project number")],
        doc_type: Annotated[
            str,
            Field(
                description="Document family: lld (system designs), hld, change_order, sales_po, "
                "floor_plans, scope, qa_itp, swms, supplier_quotes, photos, handover, purchase_order, "
                "proposal, ... Synonyms such as 'design', 'CO', 'as built' are accepted."
            ),
        ] = "lld",
        mode: Annotated[
            Literal["auto", "latest", "all"],
            Field(
                description="auto: the single current document when one clearly wins, else a short "
                "selection; latest: the current document of every series; all: every document"
            ),
        ] = "auto",
        room: Annotated[
            int | None, Field(ge=0, le=9999, strict=True, description="Only documents for this room")
        ] = None,
        change_order: Annotated[
            int | None, Field(ge=0, le=9999, strict=True, description="Only this change-order number")
        ] = None,
        include_archive: Annotated[
            bool, Field(strict=True, description="Also consider ARCHIVE/OLD/SUPERSEDED folders")
        ] = False,
        detail: DocumentDetail = "brief",
    ) -> FindDocumentsResult:
        """Find the document an engineer would open: the highest revision outside archive folders,
        as-built preferred. Use when the user wants "the drawings", "the latest design", "CO5", "the
        Sales & PO report" of a known project. Returns the legacy status/path/paths plus `documents`
        in the same order, each with id, name, doc_type, revision, is_current and the as-built,
        archive, room and change-order marks that apply."""
        app = holder.get()
        found = app.documents.find(project_number, doc_type, mode, room, change_order, include_archive)
        app.ml.doc_types.annotate(found.documents)  # a model's family for documents the rules call "other"
        return shaped(found, detail)

    @server.tool(title="List a project's documents", annotations=READ_ONLY)
    @tool_errors
    def list_project_documents(
        project_number: Annotated[ProjectNumber, Field(description="5-digit project number")],
        offset: Annotated[int, Field(ge=0, le=10_000_000, strict=True, description="Start of the page")] = 0,
        limit: Annotated[int, Field(ge=1, le=500, strict=True, description="Page size")] = 50,
        detail: DocumentDetail = "brief",
    ) -> DocumentPage:
        """Every document of a project, a page at a time, in folder order, each with id, doc_type,
        revision and `is_current`. Brief answers give the project `folder` once and each document's
        `rel_path` (its path is folder/rel_path). Use to browse a project when find_documents'
        families do not fit; follow `next_offset` for the next page."""
        app = holder.get()
        page = app.documents.page(project_number, offset, limit)
        app.ml.doc_types.annotate(page.documents)  # a model's family for documents the rules call "other"
        return shaped(page, detail)
