"""``POST /legacy/navigate_project``: the original tool's ``{status, path, paths, message}`` over HTTP."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...models import NavigateResult
from ..adapt import ApiRoute, body_args, gateway, query_args, reply


async def navigate_project(request: Request) -> JSONResponse:
    """The project number (or search words) from the JSON body, or from ``?project_number=`` when there is none."""
    if "project_number" in request.query_params and not request.headers.get("content-length", "0").strip("0"):
        args = query_args(request, "navigate_project")
    else:
        args = await body_args(request, "navigate_project")
    # An unknown project is an in-band status "error" (the legacy contract), not an HTTP error.
    return reply(await gateway(request).call("navigate_project", args))


ROUTES = [
    ApiRoute(
        "/legacy/navigate_project",
        navigate_project,
        methods=["POST"],
        summary="Find a project folder: status success (path), select (paths) or error (message)",
        tool="navigate_project",
        response=NavigateResult,
        tags=("legacy",),
    ),
]
