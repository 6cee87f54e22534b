"""``run_report``: any whitelisted metric, grouped by whitelisted dimensions, over a period.

Callers name things; they never send SQL. Each metric is served by the first rollup ("source")
that has every requested dimension and filter, and the SQL is assembled only from the fixed
fragments below, with filter values bound as parameters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInput
from ..store import Connection
from . import histogram
from .events import EVENT_TYPES, SEARCH_TYPES, normalise_query, project_number
from .models import Report, TimeRange
from .queries import project_names
from .timerange import Range, bucket_label, day_label

_SEARCH_IN = "('" + "','".join(sorted(SEARCH_TYPES)) + "')"
_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Time dimensions as SQL over a day-number or hour-number column.
_DAY_DIMS = {
    "day": "day",
    "week": "((day + 3) / 7)",
    "month": "(CAST(strftime('%Y', day * 86400, 'unixepoch') AS INTEGER) * 12 "
    "+ CAST(strftime('%m', day * 86400, 'unixepoch') AS INTEGER) - 1)",
    "weekday": "((day + 3) % 7)",
}
_HOUR_DIMS = {
    "hour": "hour",
    "day": "(hour / 24)",
    "week": "((hour / 24 + 3) / 7)",
    "month": "(CAST(strftime('%Y', hour * 3600, 'unixepoch') AS INTEGER) * 12 "
    "+ CAST(strftime('%m', hour * 3600, 'unixepoch') AS INTEGER) - 1)",
    "weekday": "((hour / 24 + 3) % 7)",
    "hour_of_day": "(hour % 24)",
    "hour_of_week": "((hour + 72) % 168)",
}
# Day and hour numbers are local wall time (see localtime.py), so weekday and hour-of-week are local
# too. Sessions keep UTC instants: {st} is replaced by SQL for the start's local wall time.
_SESSION_DIMS = {
    "day": "({st} / 86400000)",
    "week": "(({st} / 86400000 + 3) / 7)",
    "month": "(CAST(strftime('%Y', {st} / 1000, 'unixepoch') AS INTEGER) * 12 "
    "+ CAST(strftime('%m', {st} / 1000, 'unixepoch') AS INTEGER) - 1)",
    "weekday": "(({st} / 86400000 + 3) % 7)",
    "hour_of_week": "(({st} / 3600000 + 72) % 168)",
}
TIME_DIMS = ("hour", "day", "week", "month", "weekday", "hour_of_day", "hour_of_week")

# Filters: name -> column. Values are bound, never spliced.
FILTERS = ("project_id", "user_id", "event_type", "operation", "query")


@dataclass(frozen=True)
class Source:
    name: str
    table: str
    time: str  # "day" | "hour" | "session"
    dims: dict[str, str]  # non-time dimension -> column
    filters: dict[str, str]
    metrics: dict[str, str]  # metric -> SQL aggregate ("" = histogram percentile)
    time_dims: dict[str, str] = field(default_factory=dict)


def _src(
    name: str, table: str, time: str, dims: dict[str, str], filters: dict[str, str], metrics: dict[str, str]
) -> Source:
    time_dims = {"day": _DAY_DIMS, "hour": _HOUR_DIMS, "session": _SESSION_DIMS}[time]
    return Source(name, table, time, dims, filters, metrics, time_dims)


_LATENCY = {
    "calls": "sum(count)",
    "errors": "sum(errors)",
    "error_rate_percent": "round(100.0 * sum(errors) / max(sum(count), 1), 3)",
    "avg_response_time_ms": "round(sum(sum_us) / 1000.0 / max(sum(count), 1), 3)",
    "max_response_time_ms": "max(max_ms)",
    "p50_response_time_ms": "",
    "p95_response_time_ms": "",
    "p99_response_time_ms": "",
}
_TYPES = {
    "events": "sum(events)",
    "searches": f"sum(CASE WHEN event_type IN {_SEARCH_IN} THEN events ELSE 0 END)",
    "zero_result_searches": "sum(zero_results)",
    "failed_events": "sum(errors)",
}
_USERS = {
    "active_users": "count(DISTINCT user_id)",
    "unique_users": "count(DISTINCT user_id)",
    "events": "sum(events)",
    "searches": "sum(searches)",
}

# Order matters: for each metric the first source that fits is used (day tables before hour ones).
SOURCES = (
    _src(
        "project_day",
        "an_project_day",
        "day",
        {"project": "project_id"},
        {"project_id": "project_id"},
        {
            "views": "sum(views)",
            "document_opens": "sum(document_opens)",
            "project_searches": "sum(searches)",
            "events": "sum(events)",
        },
    ),
    _src(
        "project_day_user",
        "an_project_day_user",
        "day",
        {"project": "project_id", "user": "user_id"},
        {"project_id": "project_id", "user_id": "user_id"},
        {"unique_users": "count(DISTINCT user_id)", "active_users": "count(DISTINCT user_id)", "events": "sum(events)"},
    ),
    _src("type_day", "an_type_day", "day", {"event_type": "event_type"}, {"event_type": "event_type"}, _TYPES),
    _src("type_hour", "an_type_hour", "hour", {"event_type": "event_type"}, {"event_type": "event_type"}, _TYPES),
    _src(
        "query_day",
        "an_query_day",
        "day",
        {"query": "query"},
        {"query": "query"},
        {
            "searches": "sum(searches)",
            "zero_result_searches": "sum(zero_results)",
            "clicks": "sum(clicks)",
            "click_through_rate": "round(min(1.0, 1.0 * sum(clicks) / max(sum(searches), 1)), 4)",
        },
    ),
    _src(
        "user_day", "an_user_day", "day", {"user": "user_id"}, {"user_id": "user_id"}, {**_USERS, "views": "sum(views)"}
    ),
    _src("user_hour", "an_user_hour", "hour", {"user": "user_id"}, {"user_id": "user_id"}, _USERS),
    _src("latency_day", "an_latency_day", "day", {"operation": "operation"}, {"operation": "operation"}, _LATENCY),
    _src("latency_hour", "an_latency_hour", "hour", {"operation": "operation"}, {"operation": "operation"}, _LATENCY),
    _src(
        "sessions",
        "an_sessions",
        "session",
        {"user": "user_id"},
        {"user_id": "user_id"},
        {
            "sessions": "count(*)",
            "avg_session_minutes": "round(avg(end_ms - start_ms) / 60000.0, 2)",
            "events": "sum(events)",
        },
    ),
)

METRICS = tuple(sorted({m for s in SOURCES for m in s.metrics}))
DIMENSIONS = tuple(sorted({d for s in SOURCES for d in s.dims} | set(TIME_DIMS)))
_ADDITIVE = {
    "views",
    "document_opens",
    "project_searches",
    "events",
    "searches",
    "zero_result_searches",
    "failed_events",
    "clicks",
    "calls",
    "errors",
    "sessions",
}


def _supports(src: Source, metric: str, dims: list[str], filters: Mapping[str, Any]) -> bool:
    return (
        metric in src.metrics
        and all(d in src.dims or d in src.time_dims for d in dims)
        and all(f in src.filters for f in filters)
    )


def _clean_filters(filters: object) -> dict[str, list[str]]:
    if filters is None:
        return {}
    if not isinstance(filters, Mapping):
        raise InvalidInput('filters must be an object like {"project_id": "17741"}')
    out: dict[str, list[str]] = {}
    for key, value in filters.items():
        if key not in FILTERS:
            raise InvalidInput(f"unknown filter {str(key)[:40]!r}; filters: {', '.join(FILTERS)}")
        values = value if isinstance(value, list) else [value]
        if not 1 <= len(values) <= 50:
            raise InvalidInput(f"filter {key} takes 1 to 50 values")
        cleaned: list[str] = []
        for v in values:
            if isinstance(v, bool) or not isinstance(v, str | int):
                raise InvalidInput(f"filter {key} values must be text")
            text = str(v).strip()
            if key == "project_id":
                text = project_number(text) or ""
            elif key == "query":
                text = normalise_query(text) or ""
            elif key == "event_type" and text not in EVENT_TYPES:
                raise InvalidInput(f"filter event_type: unknown type {text[:40]!r}")
            if not text or len(text) > 200:
                raise InvalidInput(f"filter {key} has an empty or over-long value")
            cleaned.append(text)
        out[key] = cleaned
    return out


def _label(dim: str, value: Any, rng: Range) -> Any:
    if dim in ("hour", "week", "month"):
        return bucket_label(int(value), dim, rng.tz)
    if dim == "day":
        return day_label(int(value))
    if dim == "weekday":
        return _WEEKDAYS[int(value)]
    if dim == "hour_of_week":
        return f"{_WEEKDAYS[int(value) // 24]} {int(value) % 24:02d}:00"
    return value


def run_report(
    c: Connection, metric: str, group_by: list[str], rng: Range, filters: object, *, limit: int = 100
) -> Report:
    if metric not in METRICS:
        raise InvalidInput(f"unknown metric {str(metric)[:40]!r}; metrics: {', '.join(METRICS)}")
    if len(group_by) > 2:
        raise InvalidInput("group_by takes at most two dimensions")
    for d in group_by:
        if d not in DIMENSIONS:
            raise InvalidInput(f"unknown dimension {str(d)[:40]!r}; dimensions: {', '.join(DIMENSIONS)}")
    if len(set(group_by)) != len(group_by):
        raise InvalidInput("group_by names a dimension twice")
    flt = _clean_filters(filters)
    source = next((s for s in SOURCES if _supports(s, metric, group_by, flt)), None)
    if source is None:
        able = sorted({d for s in SOURCES if metric in s.metrics for d in (*s.dims, *s.time_dims)})
        fl = sorted({f for s in SOURCES if metric in s.metrics for f in s.filters})
        raise InvalidInput(
            f"{metric} cannot be grouped/filtered that way; its dimensions: {', '.join(able)}; "
            f"its filters: {', '.join(fl) or 'none'}"
        )

    where: list[str] = []
    params: list[Any] = []
    if source.time == "day":
        where.append("day >= ? AND day < ?")
        params += list(rng.days)
        resolution = "day"
    elif source.time == "hour":
        where.append("hour >= ? AND hour < ?")
        params += list(rng.hours)
        resolution = "hour"
    else:
        where.append("start_ms >= ? AND start_ms < ?")
        params += [rng.start_ms, rng.end_ms]
        resolution = "exact"
    for key, values in flt.items():
        where.append(f"{source.filters[key]} IN ({','.join('?' * len(values))})")
        params += values
    start_wall = rng.tz.wall_sql("start_ms", rng.start_ms, rng.end_ms)
    dim_sql = [source.dims.get(d) or source.time_dims[d].replace("{st}", start_wall) for d in group_by]
    agg = source.metrics[metric]
    percentile = agg == ""
    select = ", ".join([*dim_sql, "min_ms, max_ms, hist" if percentile else agg])
    sql = f"SELECT {select} FROM {source.table} WHERE {' AND '.join(where)}"
    if group_by and not percentile:
        sql += f" GROUP BY {', '.join(dim_sql)}"

    rows: list[tuple[Any, ...]]
    if percentile:
        p = float(metric[1:3])
        groups: dict[tuple[Any, ...], list[Any]] = {}
        for r in c.execute(sql, params):
            key = tuple(r[: len(group_by)])
            lo, hi, blob = r[len(group_by) :]
            g = groups.setdefault(key, [None, None, {}])
            g[0] = lo if g[0] is None else min(g[0], lo)
            g[1] = hi if g[1] is None else max(g[1], hi)
            histogram.add_into(g[2], blob)
        rows = [(*k, histogram.percentile(g[2], p, g[0], g[1])) for k, g in groups.items()]
    else:
        rows = [tuple(r) for r in c.execute(sql, params)]

    total: float | None = None
    if group_by and metric in _ADDITIVE:
        total = float(sum(r[-1] or 0 for r in rows))
    elif not group_by and rows:
        total = rows[0][-1]
    if group_by and group_by[0] in TIME_DIMS:
        rows.sort(key=lambda r: tuple(r[:-1]))
    else:
        rows.sort(key=lambda r: (-(r[-1] or 0), tuple(str(x) for x in r[:-1])))
    truncated = len(rows) > limit
    rows = rows[:limit]
    names = project_names(c, [r[group_by.index("project")] for r in rows]) if "project" in group_by else {}
    out = []
    for r in rows:
        item: dict[str, Any] = {d: _label(d, v, rng) for d, v in zip(group_by, r, strict=False)}
        if "project" in group_by:
            item["project_name"] = names.get(item["project"])
        item[metric] = r[-1]
        out.append(item)
    return Report(
        metric=metric,
        group_by=group_by,
        filters=flt,
        time_range=TimeRange(**rng.out(resolution)),
        source=source.name,
        rows=out,
        total=total,
        truncated=truncated,
    )
