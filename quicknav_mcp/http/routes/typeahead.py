"""``GET /api/v1/search/typeahead?q=...``: what a search box shows at each keystroke (a browser GUI's
type-ahead); the full search is ``POST /api/v1/documents/search`` once the user pauses."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse

from ...errors import InvalidInput
from ...search.typeahead import TypeaheadResult
from ..adapt import ApiRoute, gateway, reply, run


def _int(request: Request, name: str, default: int) -> int:
    value = request.query_params.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number, got {value[:20]!r}") from None


async def typeahead(request: Request) -> JSONResponse:
    """Projects and documents matching every typed word, the last one possibly unfinished."""
    search = gateway(request).app.search.typeahead
    q = request.query_params.get("q", "")
    limit, projects = _int(request, "limit", 10), _int(request, "projects", 5)
    return reply(await run(search.search, q, limit, projects))


ROUTES = [
    ApiRoute(
        "/api/v1/search/typeahead",
        typeahead,
        methods=["GET"],
        summary="Type-ahead for a search box: q = the text typed so far (the last word may be unfinished); "
        "limit documents (0-50, default 10), projects (0-20, default 5)",
        response=TypeaheadResult,
        tags=("search",),
    ),
]
