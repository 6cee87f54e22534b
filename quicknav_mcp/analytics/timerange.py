"""Time ranges from caller text, and how a range maps onto local hour and day buckets.

A range is two UTC instants plus the zone the buckets are local to: a date without an offset
("2025-03-01") means local midnight there, and "today" or "this_month" are local too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from ..errors import InvalidInput
from .events import EventError, now_ms, parse_time
from .localtime import DAY_MS, HOUR_MS, LocalTime, local_time

_RELATIVE = re.compile(r"^-?(\d{1,5})\s*([mhdw])$")
_UNIT_MS = {"m": 60_000, "h": HOUR_MS, "d": DAY_MS, "w": 7 * DAY_MS}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
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


def _utc() -> LocalTime:
    return local_time("UTC")


@dataclass(frozen=True)
class Range:
    """[start_ms, end_ms) as UTC instants; buckets are local to ``tz``."""

    start_ms: int
    end_ms: int
    tz: LocalTime = field(default_factory=_utc, compare=False, repr=False)

    @property
    def walls(self) -> tuple[int, int]:
        """The ends as local wall times (a range ending in a repeated hour never runs backwards)."""
        ws = self.tz.wall(self.start_ms)
        return ws, max(ws, self.tz.wall(self.end_ms))

    @property
    def hours(self) -> tuple[int, int]:
        """Local hour buckets touching the range: [h0, h1)."""
        ws, we = self.walls
        return ws // HOUR_MS, -(-we // HOUR_MS)

    @property
    def days(self) -> tuple[int, int]:
        """Local day buckets touching the range: [d0, d1)."""
        ws, we = self.walls
        return ws // DAY_MS, -(-we // DAY_MS)

    def split(self) -> tuple[tuple[int, int], list[tuple[int, int]]]:
        """Whole days inside the range, and the hour ranges left at its edges.

        Sums over day tables for the middle and hour tables for the edges are exact to the hour
        while reading ~24× fewer rows than hours alone.
        """
        h0, h1 = self.hours
        ws, we = self.walls
        fd0 = -(-ws // DAY_MS)
        fd1 = we // DAY_MS
        if fd0 >= fd1:
            return (0, 0), [(h0, h1)]
        return (fd0, fd1), [(h0, fd0 * 24), (fd1 * 24, h1)]

    def day_start(self, day: int) -> int:
        """The instant a local day bucket begins."""
        return self.tz.day_start(day)

    def out(self, resolution: str = "hour") -> dict[str, str]:
        return {
            "start": self.tz.iso(self.start_ms),
            "end": self.tz.iso(self.end_ms),
            "resolution": resolution,
            "timezone": self.tz.name,
        }


def _point(value: str, name: str, now: int, tz: LocalTime, *, is_end: bool) -> int:
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
        return tz.day_start(d.toordinal() - _EPOCH_ORDINAL)
    try:
        point = parse_time(text, name, tz.zone)
    except (EventError, ValueError, OverflowError) as exc:
        raise InvalidInput(f"{exc}; or use a date (2025-03-01), 'now', or a relative time like 7d, 24h, 2w") from None
    return min(max(point, EARLIEST_MS), LATEST_MS)


def parse_range(
    start: str | None,
    end: str | None,
    *,
    default_days: int = 30,
    now: int | None = None,
    tz: LocalTime | None = None,
) -> Range:
    """A range from optional start/end text (ISO date-time, date, 'now', or '7d'-style ago).

    Dates and date-times without an offset are local to ``tz`` (default UTC).
    """
    now = now_ms() if now is None else now
    tz = tz or _utc()
    if start is not None and not isinstance(start, str):
        raise InvalidInput("start must be text such as 2025-03-01, 2025-03-01T09:00:00Z or 7d")
    if end is not None and not isinstance(end, str):
        raise InvalidInput("end must be text such as 2025-03-31, now or 1d")
    end_ms = now if not end else _point(end, "end", now, tz, is_end=True)
    start_ms = end_ms - default_days * DAY_MS if not start else _point(start, "start", now, tz, is_end=False)
    if end_ms <= start_ms:
        raise InvalidInput(f"end ({tz.iso(end_ms)}) must be after start ({tz.iso(start_ms)})")
    if end_ms - start_ms > MAX_SPAN_MS:
        raise InvalidInput("the time range is longer than 20 years")
    return Range(start_ms, end_ms, tz)


def period_range(period: str | None, now: int | None = None, tz: LocalTime | None = None) -> Range:
    """A named period (``last_7_days``…) or ``START/END`` dates; days and months are local to ``tz``."""
    now = now_ms() if now is None else now
    tz = tz or _utc()
    text = (period or "last_30_days").strip().lower()
    today = tz.day(now)

    def days(a: int, b: int) -> Range:  # local days [a, b): 23, 24 or 25 hours each
        return Range(tz.day_start(a), tz.day_start(b), tz)

    if "/" in text:
        start, _, end = text.partition("/")
        return parse_range(start, end, now=now, tz=tz)
    if text == "today":
        return days(today, today + 1)
    if text == "yesterday":
        return days(today - 1, today)
    if text == "last_24_hours":
        return Range(now - DAY_MS, now, tz)
    m = re.match(r"^last_(\d+)_days$", text)
    if m:
        n = int(m.group(1)[:6])
        if not 1 <= n <= 3660:
            raise InvalidInput(f"last_N_days takes N from 1 to 3660 (ten years), got {m.group(1)[:12]}")
        return days(today - (n - 1), today + 1)
    first = date.fromordinal(today + _EPOCH_ORDINAL).replace(day=1)
    first_day = first.toordinal() - _EPOCH_ORDINAL
    if text == "this_month":
        return days(first_day, today + 1)
    if text == "last_month":
        prev = (first - timedelta(days=1)).replace(day=1)
        return days(prev.toordinal() - _EPOCH_ORDINAL, first_day)
    if text == "all":
        return Range(EARLIEST_MS, now + DAY_MS, tz)
    raise InvalidInput(
        f"unknown period {text[:40]!r}; use one of {', '.join(PERIODS)}, last_N_days, or START/END dates "
        "like 2025-01-01/2025-01-31"
    )


def day_label(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day)).isoformat()


def bucket_label(bucket: int, granularity: str, tz: LocalTime | None = None) -> str:
    """ISO start of a bucket number in the given granularity (local hours carry their offset)."""
    if granularity == "hour":
        return (tz or _utc()).wall_iso(bucket * HOUR_MS)
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
