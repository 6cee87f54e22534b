"""Time ranges from caller text, and how a range maps onto hour and day buckets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from ..errors import InvalidInput
from .events import EventError, iso, now_ms, parse_time
from .rollups import DAY_MS, HOUR_MS

_RELATIVE = re.compile(r"^-?(\d{1,5})\s*([mhdw])$")
_UNIT_MS = {"m": 60_000, "h": HOUR_MS, "d": DAY_MS, "w": 7 * DAY_MS}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MAX_SPAN_MS = 20 * 366 * DAY_MS
# Range ends are clamped to what the event log can hold (events before 2000 are rejected at
# ingestion), so extreme dates such as 0001-01-01 or 9999-12-31 never overflow date maths.
EARLIEST_MS = 946_684_800_000  # 2000-01-01T00:00:00Z
LATEST_MS = 4_102_444_800_000  # 2100-01-01T00:00:00Z

PERIODS = (
    "today",
    "yesterday",
    "last_24_hours",
    "last_7_days",
    "last_30_days",
    "last_90_days",
    "last_365_days",
    "this_month",
    "last_month",
    "all",
)


@dataclass(frozen=True)
class Range:
    """[start_ms, end_ms) in UTC."""

    start_ms: int
    end_ms: int

    @property
    def hours(self) -> tuple[int, int]:
        """Hour buckets touching the range: [h0, h1)."""
        return self.start_ms // HOUR_MS, -(-self.end_ms // HOUR_MS)

    @property
    def days(self) -> tuple[int, int]:
        """Day buckets touching the range: [d0, d1)."""
        return self.start_ms // DAY_MS, -(-self.end_ms // DAY_MS)

    def split(self) -> tuple[tuple[int, int], list[tuple[int, int]]]:
        """Whole days inside the range, and the hour ranges left at its edges.

        Sums over day tables for the middle and hour tables for the edges are exact to the hour
        while reading ~24× fewer rows than hours alone.
        """
        h0, h1 = self.hours
        fd0 = -(-self.start_ms // DAY_MS)
        fd1 = self.end_ms // DAY_MS
        if fd0 >= fd1:
            return (0, 0), [(h0, h1)]
        return (fd0, fd1), [(h0, fd0 * 24), (fd1 * 24, h1)]

    def out(self, resolution: str = "hour") -> dict[str, str]:
        return {"start": iso(self.start_ms) or "", "end": iso(self.end_ms) or "", "resolution": resolution}


def _point(value: str, name: str, now: int, *, is_end: bool) -> int:
    text = value.strip()
    if text.lower() == "now":
        return now
    m = _RELATIVE.match(text.lower())
    if m:
        return now - int(m.group(1)) * _UNIT_MS[m.group(2)]
    if _DATE.match(text):
        try:
            d = date.fromisoformat(text)
        except ValueError:
            raise InvalidInput(f"{name} {text!r} is not a real date") from None
        if not 2000 <= d.year <= 2099:
            raise InvalidInput(f"{name} {text!r} is outside 2000-2099, the years the event log can hold")
        if is_end:  # an end date includes that whole day
            d = d + timedelta(days=1)
        return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1000)
    try:
        point = parse_time(text, name)
    except (EventError, ValueError, OverflowError) as exc:
        raise InvalidInput(f"{exc}; or use a date (2025-03-01), 'now', or a relative time like 7d, 24h, 2w") from None
    return min(max(point, EARLIEST_MS), LATEST_MS)


def parse_range(start: str | None, end: str | None, *, default_days: int = 30, now: int | None = None) -> Range:
    """A range from optional start/end text (ISO date-time, date, 'now', or '7d'-style ago)."""
    now = now_ms() if now is None else now
    if start is not None and not isinstance(start, str):
        raise InvalidInput("start must be text such as 2025-03-01, 2025-03-01T09:00:00Z or 7d")
    if end is not None and not isinstance(end, str):
        raise InvalidInput("end must be text such as 2025-03-31, now or 1d")
    end_ms = now if not end else _point(end, "end", now, is_end=True)
    start_ms = end_ms - default_days * DAY_MS if not start else _point(start, "start", now, is_end=False)
    if end_ms <= start_ms:
        raise InvalidInput(f"end ({iso(end_ms)}) must be after start ({iso(start_ms)})")
    if end_ms - start_ms > MAX_SPAN_MS:
        raise InvalidInput("the time range is longer than 20 years")
    return Range(start_ms, end_ms)


def period_range(period: str | None, now: int | None = None) -> Range:
    """A named period (``last_7_days``…) or ``START/END`` dates."""
    now = now_ms() if now is None else now
    text = (period or "last_30_days").strip().lower()
    today = now // DAY_MS * DAY_MS
    if "/" in text:
        start, _, end = text.partition("/")
        return parse_range(start, end, now=now)
    if text == "today":
        return Range(today, today + DAY_MS)
    if text == "yesterday":
        return Range(today - DAY_MS, today)
    if text == "last_24_hours":
        return Range(now - DAY_MS, now)
    m = re.match(r"^last_(\d+)_days$", text)
    if m:
        days = int(m.group(1)[:6])
        if not 1 <= days <= 3660:
            raise InvalidInput(f"last_N_days takes N from 1 to 3660 (ten years), got {m.group(1)[:12]}")
        return Range(today - (days - 1) * DAY_MS, today + DAY_MS)
    dt = datetime.fromtimestamp(now / 1000, UTC)
    first = datetime(dt.year, dt.month, 1, tzinfo=UTC)
    if text == "this_month":
        return Range(int(first.timestamp() * 1000), today + DAY_MS)
    if text == "last_month":
        prev = (first - timedelta(days=1)).replace(day=1)
        return Range(int(prev.timestamp() * 1000), int(first.timestamp() * 1000))
    if text == "all":
        return Range(EARLIEST_MS, now + DAY_MS)
    raise InvalidInput(
        f"unknown period {text[:40]!r}; use one of {', '.join(PERIODS)}, last_N_days, or START/END dates "
        "like 2025-01-01/2025-01-31"
    )


def day_label(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day)).isoformat()


def bucket_label(bucket: int, granularity: str) -> str:
    """ISO start of a bucket number in the given granularity (see ``bucket_of``)."""
    if granularity == "hour":
        return iso(bucket * HOUR_MS) or ""
    if granularity == "day":
        return day_label(bucket)
    if granularity == "week":
        return day_label(bucket * 7 - 3)  # weeks start on Monday; 1970-01-01 was a Thursday
    if granularity == "month":
        return f"{bucket // 12:04d}-{bucket % 12 + 1:02d}-01"
    raise ValueError(granularity)


def day_bucket(day: int, granularity: str) -> int:
    """The week/month/day bucket a day number falls in."""
    if granularity == "day":
        return day
    if granularity == "week":
        return (day + 3) // 7
    d = date(1970, 1, 1) + timedelta(days=day)
    return d.year * 12 + d.month - 1
