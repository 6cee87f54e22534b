"""Event types, their payload rules, and validation of incoming events.

Validation is hand-written rather than a Pydantic model per event: it runs on every event at
tens of thousands per second and must say exactly what is wrong with each bad item.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import Any, NamedTuple

from ..errors import InvalidInput

# Flags stored with each event (bit mask).
FLAG_UNKNOWN_PROJECT = 1
FLAG_METADATA_CAPPED = 2
FLAG_IMPORTED = 4
FLAG_AUTOMATIC = 8

SEARCH_TYPES = frozenset({"project_search", "document_search"})
CLICK_TYPES = frozenset({"project_view", "document_access", "recommendation_click"})

# event type -> (description, rule). A rule names the fields the payload must carry.
EVENT_TYPES: dict[str, tuple[str, str]] = {
    "project_view": ("a project was opened", "project_id"),
    "project_search": ("projects were searched", "query"),
    "document_access": ("a document was opened", "document_id"),
    "document_search": ("documents were searched", "query_or_project"),
    "user_login": ("a user started using QuickNav", ""),
    "recommendation_click": ("a recommended item was followed", "project_or_document"),
    "recommendation_impression": ("recommendations were shown", "project_document_or_items"),
    "prediction_shown": ("a next-action prediction was shown", ""),
    "tool_call": ("an MCP tool or API operation ran", "operation"),
}

FIELDS = frozenset(
    {
        "event_id",
        "user_id",
        "session_id",
        "event_type",
        "project_id",
        "document_id",
        "query",
        "result_count",
        "response_time_ms",
        "metadata",
        "timestamp",
        "operation",
        "error",
    }
)

MIN_TS_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
MAX_FUTURE_MS = 60 * 60 * 1000  # clocks drift; an hour ahead is accepted, more is a bug
MAX_RESPONSE_MS = 3_600_000.0
MAX_RESULT_COUNT = 1_000_000_000
MAX_ID = 128
MAX_QUERY = 500
MAX_DOCUMENT_ID = 1024
MAX_OPERATION = 64
PROJECT_LIKE = re.compile(r"^\d{5}$")
_OPERATION = re.compile(r"^[A-Za-z0-9_.:/-]{1,64}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACE = re.compile(r"\s+")
# A project folder "21614 - PLWRX ..." in a path; a range folder "21000 - 21999" is not one.
_PROJECT_IN_PATH = re.compile(r"(?:^|[/\\])(\d{5})\s*-(?!\s*\d{5}\s*(?:[/\\]|$))")


class EventRow(NamedTuple):
    """A validated event, in the column order of the ``events`` table (after ``seq``)."""

    event_id: str
    user_id: str
    session_id: str | None
    event_type: str
    project_id: str | None
    document_id: str | None
    query: str | None
    result_count: int | None
    response_time_ms: float | None
    operation: str | None
    error: int
    flags: int
    metadata: str | None
    ts_ms: int
    received_ms: int


INSERT_COLUMNS = ", ".join(EventRow._fields)


class EventError(InvalidInput):
    """One event is invalid; the message says which field and why."""


@dataclass
class Validated:
    """An accepted event plus the non-fatal notes about it (capped metadata, ignored fields)."""

    row: EventRow
    warnings: list[str] = field(default_factory=list)


def now_ms() -> int:
    return int(time.time() * 1000)


def iso(ms: int | None) -> str | None:
    """ISO 8601 UTC with milliseconds, ``Z`` suffix."""
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_time(value: object, field_name: str = "timestamp", naive_zone: tzinfo = UTC) -> int:
    """Milliseconds since the epoch from ISO 8601 text or epoch seconds (or ms when ≥ 1e11).

    Text without an offset is wall time in ``naive_zone`` (UTC for event timestamps).
    """
    if isinstance(value, bool):
        raise EventError(f"{field_name} must be an ISO 8601 date-time or epoch seconds, got a boolean")
    if isinstance(value, int | float):
        if value != value or value in (float("inf"), float("-inf")):
            raise EventError(f"{field_name} is not a finite number")
        # Epoch seconds for any date before the year 5000 are below 1e11; larger values are ms.
        return int(value) if abs(value) >= 1e11 else int(value * 1000)
    if isinstance(value, str):
        text = value.strip()
        if not text or len(text) > 40:
            raise EventError(f"{field_name} must be an ISO 8601 date-time like 2025-03-04T09:15:00Z")
        try:
            dt = datetime.fromisoformat(text)
        except ValueError:
            raise EventError(f"{field_name} {text!r} is not an ISO 8601 date-time like 2025-03-04T09:15:00Z") from None
        if dt.tzinfo is None:  # event timestamps: UTC, the zone of the log; query arguments: local
            dt = dt.replace(tzinfo=naive_zone)
        return int(dt.timestamp() * 1000)
    raise EventError(f"{field_name} must be an ISO 8601 date-time or epoch seconds, got {type(value).__name__}")


def clean(value: str, max_len: int) -> str:
    text = _CONTROL.sub("", value)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    text = _SPACE.sub(" ", text).strip()
    return text[:max_len] if len(text) > max_len else text


def normalise_query(query: str | None) -> str | None:
    """The form queries are grouped by: case-folded, accents kept, whitespace folded."""
    if not query:
        return None
    text = unicodedata.normalize("NFKC", query).casefold()
    text = _SPACE.sub(" ", text).strip(" \"'")
    return text[:200] or None


def _text(raw: dict[str, Any], name: str, max_len: int, *, required: bool = False) -> str | None:
    value = raw.get(name)
    if value is None:
        if required:
            raise EventError(f"{name} is required")
        return None
    if type(value) is str and len(value) <= max_len and value.isascii() and value.isprintable() and "  " not in value:
        # Fast path for the common case: nothing to clean but the ends.
        text = value.strip()
        if text:
            return text
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise EventError(f"{name} must be text, got {type(value).__name__}")
    value = str(value)
    if len(value) > max_len * 4:
        raise EventError(f"{name} is too long ({len(value)} characters; at most {max_len})")
    text = clean(value, max_len * 2)
    if len(text) > max_len:
        raise EventError(f"{name} is too long ({len(text)} characters; at most {max_len})")
    if not text:
        if required:
            raise EventError(f"{name} is empty")
        return None
    return text


def project_number(value: object) -> str | None:
    """A 5-digit project number (17741 or "17741"), None when absent, else :class:`EventError`."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise EventError(f"project_id must be a 5-digit project number, got {type(value).__name__}")
    text = str(value).strip()
    if not PROJECT_LIKE.match(text):
        raise EventError(f"project_id must be a 5-digit project number like 17741, got {text[:20]!r}")
    return text


def _cap_metadata(meta: dict[str, Any], cap: int) -> tuple[str, bool, list[str]]:
    """JSON for ``meta`` within ``cap`` bytes: whole keys are kept in order until the cap, the
    rest are dropped and listed under ``_dropped`` (so the event is kept, and nobody is misled)."""
    text = json.dumps(meta, separators=(",", ":"), ensure_ascii=False, default=str)
    if len(text.encode()) <= cap:
        return text, False, []
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    budget = cap - 64  # room for the _dropped marker
    used = 2
    for key, value in meta.items():
        piece = len(json.dumps({str(key): value}, separators=(",", ":"), ensure_ascii=False, default=str).encode())
        if used + piece <= budget:
            kept[str(key)] = value
            used += piece
        else:
            dropped.append(str(key)[:40])
    kept["_dropped"] = dropped[:5] + (["..."] if len(dropped) > 5 else [])
    out = json.dumps(kept, separators=(",", ":"), ensure_ascii=False, default=str)
    if len(out.encode()) > cap:  # pathological key names; keep only the marker
        out = json.dumps({"_dropped": ["..."]})
    return out, True, dropped


def validate_event(
    raw: object,
    *,
    default_user: str | None,
    received_ms: int,
    metadata_cap: int,
    extra_flags: int = 0,
) -> Validated:
    """Check one incoming event and return the row to store, or raise :class:`EventError`."""
    if not isinstance(raw, dict):
        raise EventError(f"an event must be an object with event_type, user_id, ...; got {type(raw).__name__}")
    warnings: list[str] = []
    unknown = [k for k in raw if k not in FIELDS]
    if unknown:
        shown = ", ".join(sorted(str(k)[:40] for k in unknown)[:5])
        warnings.append(f"unknown field(s) ignored: {shown} (put extra data in metadata)")

    event_type = raw.get("event_type")
    if not isinstance(event_type, str) or not event_type.strip():
        raise EventError("event_type is required (one of: " + ", ".join(EVENT_TYPES) + ")")
    event_type = event_type.strip().lower()
    if event_type not in EVENT_TYPES:
        raise EventError(f"unknown event_type {event_type[:40]!r}; expected one of: " + ", ".join(EVENT_TYPES))

    event_id = _text(raw, "event_id", MAX_ID)
    flags = extra_flags
    if event_id is None:
        if raw.get("timestamp") is not None:
            # Same content at the same instant is the same event: a resent batch stays idempotent.
            digest = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
            event_id = "h-" + hashlib.blake2b(digest.encode(), digest_size=16).hexdigest()
        else:
            event_id = uuid.uuid4().hex

    user_id = _text(raw, "user_id", MAX_ID)
    if user_id is None:
        if not default_user:
            raise EventError("user_id is required")
        user_id = default_user

    session_id = _text(raw, "session_id", MAX_ID)
    project_id = project_number(raw.get("project_id"))
    document_id = _text(raw, "document_id", MAX_DOCUMENT_ID)
    if document_id is not None and project_id is None:
        # A relative path such as "21614 - PLWRX .../4. System Designs/x.pdf" names its project.
        m = _PROJECT_IN_PATH.search(document_id)
        if m:
            project_id = m.group(1)
    query = _text(raw, "query", MAX_QUERY)

    result_count = raw.get("result_count")
    if result_count is not None:
        if isinstance(result_count, float) and result_count.is_integer():
            result_count = int(result_count)
        if isinstance(result_count, bool) or not isinstance(result_count, int):
            raise EventError(f"result_count must be a whole number, got {type(result_count).__name__}")
        if not 0 <= result_count <= MAX_RESULT_COUNT:
            raise EventError(f"result_count must be between 0 and {MAX_RESULT_COUNT}, got {result_count}")

    response = raw.get("response_time_ms")
    if response is not None:
        if isinstance(response, bool) or not isinstance(response, int | float):
            raise EventError(f"response_time_ms must be a number, got {type(response).__name__}")
        response = float(response)
        if not 0 <= response <= MAX_RESPONSE_MS:  # also rejects NaN
            raise EventError(f"response_time_ms must be between 0 and {MAX_RESPONSE_MS:.0f}, got {response}")

    metadata = raw.get("metadata")
    meta_text: str | None = None
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise EventError(f"metadata must be an object, got {type(metadata).__name__}")
        if metadata:
            meta_text, capped, dropped = _cap_metadata(metadata, metadata_cap)
            if capped:
                flags |= FLAG_METADATA_CAPPED
                warnings.append(f"metadata over {metadata_cap} bytes: kept what fits, dropped {len(dropped)} key(s)")

    operation = raw.get("operation")
    if operation is None and event_type == "tool_call" and isinstance(metadata, dict):
        operation = metadata.get("tool")
    if operation is not None and (not isinstance(operation, str) or not _OPERATION.match(operation)):
        raise EventError("operation must be a tool/operation name of letters, digits and _.:/- (at most 64)")

    error = raw.get("error", False)
    if error is None:
        error = False
    if not isinstance(error, bool) and error not in (0, 1):
        raise EventError(f"error must be true or false, got {str(error)[:20]!r}")

    ts_raw = raw.get("timestamp")
    ts_ms = received_ms if ts_raw is None else parse_time(ts_raw)
    if ts_ms < MIN_TS_MS:
        raise EventError(f"timestamp {iso(max(ts_ms, -62135596800000))} is before 2000-01-01")
    if ts_ms > received_ms + MAX_FUTURE_MS:
        raise EventError(f"timestamp {iso(min(ts_ms, 253402300799000))} is in the future (more than an hour ahead)")

    rule = EVENT_TYPES[event_type][1]
    if rule == "project_id" and project_id is None:
        raise EventError(f"{event_type} needs project_id (the 5-digit project number)")
    if rule == "query" and query is None:
        raise EventError(f"{event_type} needs a non-empty query")
    if rule == "document_id" and document_id is None:
        raise EventError(f"{event_type} needs document_id (document id or path relative to its root)")
    if rule == "query_or_project" and query is None and project_id is None:
        raise EventError(f"{event_type} needs a query or a project_id")
    if rule == "project_or_document" and project_id is None and document_id is None:
        raise EventError(f"{event_type} needs project_id or document_id")
    if (
        rule == "project_document_or_items"
        and project_id is None
        and document_id is None
        and not (isinstance(metadata, dict) and isinstance(metadata.get("items"), list))
    ):
        raise EventError(f"{event_type} needs project_id, document_id or metadata.items")
    if rule == "operation" and operation is None:
        raise EventError("tool_call needs operation (the tool name)")
    if operation is None and response is not None:
        operation = event_type

    return Validated(
        EventRow(
            event_id=event_id,
            user_id=user_id,
            session_id=session_id,
            event_type=event_type,
            project_id=project_id,
            document_id=document_id,
            query=query,
            result_count=result_count,
            response_time_ms=response,
            operation=operation,
            error=1 if error else 0,
            flags=flags,
            metadata=meta_text,
            ts_ms=ts_ms,
            received_ms=received_ms,
        ),
        warnings,
    )


def row_to_dict(row: Any) -> dict[str, Any]:
    """An ``events`` row in the legacy event shape."""
    meta = row["metadata"]
    return {
        "event_id": row["event_id"],
        "user_id": row["user_id"],
        "session_id": row["session_id"],
        "event_type": row["event_type"],
        "project_id": row["project_id"],
        "document_id": row["document_id"],
        "query": row["query"],
        "result_count": row["result_count"],
        "response_time_ms": row["response_time_ms"],
        "operation": row["operation"],
        "error": bool(row["error"]),
        "metadata": json.loads(meta) if meta else {},
        "timestamp": iso(row["ts_ms"]),
        "flags": [
            name
            for bit, name in (
                (FLAG_UNKNOWN_PROJECT, "unknown_project"),
                (FLAG_METADATA_CAPPED, "metadata_capped"),
                (FLAG_IMPORTED, "imported"),
                (FLAG_AUTOMATIC, "automatic"),
            )
            if row["flags"] & bit
        ],
    }
