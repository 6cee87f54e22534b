"""Validation of the ``context`` and ``filters`` arguments of recommendations and predictions."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..errors import InvalidInput
from ..validation import clean_text, project_code

MIN_MS = 946_684_800_000  # 2000-01-01: nothing in the log is older
MAX_AHEAD_MS = 86_400_000  # a day ahead allows for time zones and clock drift, not more
RANGE_FOLDER_HINT = "a range folder like '21000 - 21999'"


@dataclass
class Context:
    at_ms: int
    explicit_time: bool = False
    current_project: str | None = None
    query: str | None = None
    recent: list[str] = field(default_factory=list)

    def considered(self) -> list[str]:
        out = ["time" if self.explicit_time else "time (now)"]
        if self.current_project:
            out.append("current_project")
        if self.query:
            out.append("query")
        if self.recent:
            out.append("recent")
        return out


def parse_time(value: object, field_name: str = "context.time", *, now_ms: int | None = None) -> int:
    """Epoch ms of an ISO 8601 date-time; absurd times (before 2000, more than a day ahead) are errors."""
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        raise InvalidInput(f"{field_name} must be an ISO 8601 date-time like 2025-03-04T09:15:00+10:00")
    try:
        dt = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except ValueError:
        raise InvalidInput(
            f"{field_name} {value.strip()[:40]!r} is not an ISO 8601 date-time like 2025-03-04T09:15:00Z"
        ) from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    ms = int(dt.timestamp() * 1000)
    now = int(time.time() * 1000) if now_ms is None else now_ms
    if ms < MIN_MS:
        raise InvalidInput(f"{field_name} {value.strip()[:40]} is before 2000; QuickNav has no usage that old")
    if ms > now + MAX_AHEAD_MS:
        raise InvalidInput(f"{field_name} {value.strip()[:40]} is in the future")
    return ms


def parse_context(raw: object, *, allowed: tuple[str, ...] = ("time", "current_project", "query")) -> Context:
    if raw is None:
        return Context(at_ms=int(time.time() * 1000))
    if not isinstance(raw, dict):
        raise InvalidInput(f"context must be an object with {', '.join(allowed)}; got {type(raw).__name__}")
    unknown = sorted(str(k)[:30] for k in raw if k not in allowed)
    if unknown:
        raise InvalidInput(f"context has unknown field(s) {', '.join(unknown)}; allowed: {', '.join(allowed)}")
    ctx = Context(at_ms=int(time.time() * 1000))
    if raw.get("time") is not None:
        ctx.at_ms = parse_time(raw["time"])
        ctx.explicit_time = True
    if raw.get("current_project") is not None:
        ctx.current_project = project_code(raw["current_project"], "context.current_project")
    if raw.get("query") is not None:
        ctx.query = clean_text(raw["query"], "context.query", max_len=200)
    if raw.get("recent") is not None:
        rec = raw["recent"]
        if not isinstance(rec, list) or len(rec) > 50:
            raise InvalidInput("context.recent must be a list of at most 50 project numbers, most recent first")
        ctx.recent = [project_code(c, f"context.recent[{i}]") for i, c in enumerate(rec)]
    return ctx


@dataclass
class Filters:
    client: str | None = None
    range_start: int | None = None
    exclude_viewed: bool = False


def parse_filters(raw: object) -> Filters:
    if raw is None:
        return Filters()
    if not isinstance(raw, dict):
        raise InvalidInput(f"filters must be an object with client, range, exclude_viewed; got {type(raw).__name__}")
    unknown = sorted(str(k)[:30] for k in raw if k not in ("client", "range", "exclude_viewed"))
    if unknown:
        raise InvalidInput(f"filters has unknown field(s) {', '.join(unknown)}; allowed: client, range, exclude_viewed")
    out = Filters()
    if raw.get("client") is not None:
        out.client = clean_text(raw["client"], "filters.client", max_len=100).lower()
    if raw.get("range") is not None:
        text = clean_text(raw["range"], "filters.range", max_len=20).replace(" ", "")
        parts = text.split("-")
        if not (len(parts) in (1, 2) and all(p.isdigit() and len(p) == 5 for p in parts)):
            raise InvalidInput(f"filters.range must be {RANGE_FOLDER_HINT} or its start (21000), got {text!r}")
        out.range_start = int(parts[0]) // 1000 * 1000
    ev = raw.get("exclude_viewed")
    if ev is not None:
        if not isinstance(ev, bool):
            raise InvalidInput("filters.exclude_viewed must be true or false")
        out.exclude_viewed = ev
    return out


def describe_age(ms: int) -> str:
    minutes = ms / 60_000
    if minutes < 90:
        return f"{max(1, round(minutes))} minutes"
    hours = minutes / 60
    if hours < 36:
        return f"{round(hours)} hours"
    days = hours / 24
    if days < 21:
        return f"{round(days)} days"
    return f"{round(days / 7)} weeks"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
