"""The gateway's one error model and the handlers that produce it.

Every 4xx/5xx answer is ``{error, error_code, details, request_id}``: malformed JSON 400, a body
over 1 MB 413, JSON nested too deeply 400, a failed validation 422 naming each field, QuickNav's
own errors mapped by kind, and anything unexpected a 500 whose body never holds a traceback.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from ..errors import ConfigError, InvalidInput, NotFound, QuickNavError, StoreError
from ..ml.errors import InsufficientData, TrainingBusy

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # the legacy API's limit; the biggest real body (a 1,000-event batch) is ~300 KB
MAX_DEPTH = 32  # no request model nests past 4 levels; deeper JSON is an attack on the parser, not data


class ApiError(Exception):
    """An error answer: HTTP status, a stable machine code, a message for people, optional details."""

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details


def error_body(request_id: str | None, code: str, message: str, details: Any = None) -> dict[str, Any]:
    return {"error": message, "error_code": code, "details": details, "request_id": request_id}


def error_response(
    request: Request, status: int, code: str, message: str, details: Any = None, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The error model as a response, carrying the request's id (set by the request log middleware)."""
    request_id = getattr(request.state, "request_id", None)
    return JSONResponse(error_body(request_id, code, message, details), status_code=status, headers=headers)


async def read_json(request: Request) -> Any:
    """The request's JSON body, bounded in size and depth; an empty body is ``{}``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, "body_too_large", f"the request body is over {MAX_BODY_BYTES:,} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():  # a chunked body has no Content-Length: count as it arrives
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise ApiError(413, "body_too_large", f"the request body is over {MAX_BODY_BYTES:,} bytes")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except RecursionError:  # the C parser gives up on very deep nesting before using much memory
        raise ApiError(400, "too_deep", f"the request body nests JSON deeper than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ApiError(400, "malformed_json", f"the request body is not valid JSON: {exc}") from None
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH:  # else it cannot nest that deep: most bodies
        check_depth(value)
    return value


def check_depth(value: Any) -> None:
    """Refuse parsed JSON nested past :data:`MAX_DEPTH` (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ApiError(400, "too_deep", f"the request body nests JSON deeper than {MAX_DEPTH} levels")
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors as ``{field, message, type}``, the field a dotted path."""
    return [
        {"field": ".".join(str(p) for p in err["loc"]) or "body", "message": err["msg"], "type": err["type"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]


def validation_error(exc: ValidationError) -> ApiError:
    details = validation_details(exc)
    fields = ", ".join(dict.fromkeys(d["field"] for d in details))
    first = details[0]["message"] if details else "invalid"
    return ApiError(422, "validation_error", f"invalid {fields}: {first}", details)


def quicknav_error(exc: QuickNavError) -> ApiError:
    """QuickNav's errors by kind: bad input or too little data 422, missing 404, busy 409, unusable store 503."""
    if isinstance(exc, InsufficientData):
        return ApiError(422, "insufficient_data", str(exc))
    if isinstance(exc, TrainingBusy):
        return ApiError(409, "busy", str(exc))
    if isinstance(exc, InvalidInput):
        return ApiError(422, "invalid_input", str(exc))
    if isinstance(exc, NotFound):
        return ApiError(404, "not_found", str(exc))
    if isinstance(exc, StoreError | ConfigError):
        return ApiError(503, "unavailable", str(exc))
    return ApiError(400, "request_failed", str(exc))


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(request, exc.status, exc.code, exc.message, exc.details)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    return error_response(
        request, exc.status_code, codes.get(exc.status_code, "http_error"), exc.detail, headers=exc.headers
    )


async def _validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ValidationError)
    return await _api_error(request, validation_error(exc))


async def _quicknav(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QuickNavError)
    return await _api_error(request, quicknav_error(exc))


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    # Logged with the traceback on stderr; the caller gets the request id to quote, never the trace.
    log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500, "internal_error", "internal error; the server log has the details")


EXCEPTION_HANDLERS = {
    ApiError: _api_error,
    HTTPException: _http_error,
    ValidationError: _validation,
    QuickNavError: _quicknav,
    Exception: _unexpected,
}
