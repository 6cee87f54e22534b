"""Read-only resources: the project list and each project's details and documents.

Answers are brief (see ``Answer.brief``): what a reader needs to act, for an assistant that pays per token.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..models import DocumentPage, GetProjectResult, ProjectPage
from ..validation import whole_number
from ._common import resource_errors

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from ..server import AppHolder

PAGE = 30  # a page an assistant can afford (~1,700 tokens); search_projects finds the rest
# Room for 300,000 projects; a bigger page number is a mistake, not a request for an empty page.
MAX_PAGE = 10_000


def register(server: MCPServer, holder: AppHolder) -> None:
    def _json(model: ProjectPage | GetProjectResult | DocumentPage) -> str:
        return model.brief().model_dump_json()

    @server.resource(
        "quicknav://projects",
        name="projects",
        title="All projects",
        description="Every indexed project folder, first page; see quicknav://projects/page/{page}",
        mime_type="application/json",
    )
    @resource_errors
    def projects() -> str:
        return _json(holder.get().projects.page(0, PAGE))

    @server.resource(
        "quicknav://projects/page/{page}",
        name="projects_page",
        title="Projects, page N",
        description=f"Indexed project folders, {PAGE} per page, page 1 first",
        mime_type="application/json",
    )
    @resource_errors
    def projects_page(page: str) -> str:
        number = whole_number(page, "page", 1, MAX_PAGE)
        return _json(holder.get().projects.page((number - 1) * PAGE, PAGE))

    @server.resource(
        "quicknav://projects/{number}",
        name="project",
        title="One project",
        description="A project's folders, client names and document counts by type",
        mime_type="application/json",
    )
    @resource_errors
    def project(number: str) -> str:
        details = holder.get().projects.detail(number)
        return _json(GetProjectResult(project_number=details[0].project_number, projects=details))

    @server.resource(
        "quicknav://projects/{number}/documents",
        name="project_documents",
        title="A project's documents",
        description="The first 500 documents of a project: the project folder once, then each document's "
        "path relative to it, id, doc_type, revision and is_current",
        mime_type="application/json",
    )
    @resource_errors
    def project_documents(number: str) -> str:
        return _json(holder.get().documents.page(number, 0, 500))
