"""Read side: dashboards and per-project, per-query, per-user and performance views.

Everything here reads rollups only — never the raw ``events`` table, except the handful of a
user's most recent events (an index range). Each function takes a connection inside a read
snapshot so a dashboard is consistent even while events stream in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..store import Connection
from . import histogram
from .events import SEARCH_TYPES, iso, row_to_dict
from .models import (
    ActivityPoint,
    Dashboard,
    DashboardMetrics,
    LatencyPoint,
    OperationStats,
    PerformanceSummary,
    ProjectDay,
    ProjectMetrics,
    QueryStat,
    SearchTrends,
    TimeRange,
    TopProject,
    TrendPoint,
    UserActivity,
    UserProject,
)
from .rollups import DAY_MS, HOUR_MS
from .timerange import Range, bucket_label, day_bucket, day_label

_SEARCH_IN = "('" + "','".join(sorted(SEARCH_TYPES)) + "')"
GRANULARITIES = ("hour", "day", "week", "month")
MAX_BUCKETS = 2000


def _split_params(rng: Range) -> tuple[str, str, tuple[int, ...]]:
    """WHERE clauses (day table, hour table) and their parameters for a split range."""
    (d0, d1), hours = rng.split()
    hour_sql = " OR ".join("(hour >= ? AND hour < ?)" for _ in hours)
    params = (d0, d1, *[x for pair in hours for x in pair])
    return "day >= ? AND day < ?", f"({hour_sql})", params


def project_names(c: Connection, codes: Iterable[str]) -> dict[str, str]:
    """Folder names of indexed projects (the projects table belongs to the indexer; read only)."""
    codes = list(dict.fromkeys(codes))
    out: dict[str, str] = {}
    for i in range(0, len(codes), 500):
        chunk = codes[i : i + 500]
        rows = c.execute(
            f"SELECT code, min(folder_name) FROM projects WHERE code IN ({','.join('?' * len(chunk))}) GROUP BY code",
            chunk,
        ).fetchall()
        out.update({r[0]: r[1] for r in rows})
    return out


# ---- latency -----------------------------------------------------------------------------
class _Lat:
    __slots__ = ("count", "errors", "hi", "hist", "lo", "sum_us")

    def __init__(self) -> None:
        self.count = 0
        self.errors = 0
        self.sum_us = 0
        self.lo: float | None = None
        self.hi: float | None = None
        self.hist: dict[int, int] = {}

    def add(
        self, count: int, errors: int, sum_us: int, lo: float | None, hi: float | None, hist: dict[int, int]
    ) -> None:
        self.count += count
        self.errors += errors
        self.sum_us += sum_us
        if lo is not None:
            self.lo = lo if self.lo is None else min(self.lo, lo)
        if hi is not None:
            self.hi = hi if self.hi is None else max(self.hi, hi)
        mine = self.hist
        for i, k in hist.items():
            mine[i] = mine.get(i, 0) + k

    def pct(self, p: float) -> float | None:
        return histogram.percentile(self.hist, p, self.lo, self.hi)

    def stats(self, operation: str) -> OperationStats:
        return OperationStats(
            operation=operation,
            count=self.count,
            errors=self.errors,
            error_rate_percent=round(100.0 * self.errors / self.count, 3) if self.count else 0.0,
            avg_ms=round(self.sum_us / self.count / 1000, 3) if self.count else None,
            p50_ms=self.pct(50),
            p95_ms=self.pct(95),
            p99_ms=self.pct(99),
            max_ms=self.hi,
        )


def performance(c: Connection, rng: Range, *, operation: str | None = None, series: bool = True) -> PerformanceSummary:
    day_where, hour_where, params = _split_params(rng)
    op_sql = " AND operation = ?" if operation else ""
    op_params: tuple[Any, ...] = (operation,) if operation else ()
    # One read serves the totals and (for day/week series) the series; each histogram is decoded once.
    rows = c.execute(
        f"SELECT day * 24, operation, count, errors, sum_us, min_ms, max_ms, hist FROM an_latency_day "
        f"WHERE {day_where}{op_sql} UNION ALL "
        f"SELECT hour, operation, count, errors, sum_us, min_ms, max_ms, hist FROM an_latency_hour "
        f"WHERE {hour_where}{op_sql}",
        (*params[:2], *op_params, *params[2:], *op_params),
    ).fetchall()
    granularity = _auto_granularity(rng)
    overall = _Lat()
    per_op: dict[str, _Lat] = {}
    buckets: dict[int, _Lat] = {}
    for hour, op, n, err, us, lo, hi, blob in rows:
        hist = histogram.decode(blob)
        targets = [overall, per_op.setdefault(op, _Lat())]
        if series and granularity != "hour":
            targets.append(buckets.setdefault(day_bucket(hour // 24, granularity), _Lat()))
        for lat in targets:
            lat.add(n, err, us, lo, hi, hist)
    if series and granularity == "hour":  # short ranges: every hour from the hour table
        h0, h1 = rng.hours
        for hour, n, err, us, lo, hi, blob in c.execute(
            f"SELECT hour, count, errors, sum_us, min_ms, max_ms, hist FROM an_latency_hour "
            f"WHERE hour >= ? AND hour < ?{op_sql}",
            (h0, h1, *op_params),
        ):
            buckets.setdefault(hour, _Lat()).add(n, err, us, lo, hi, histogram.decode(blob))
    points = [
        LatencyPoint(
            period=bucket_label(key, granularity, rng.tz),
            count=lat.count,
            errors=lat.errors,
            p50_ms=lat.pct(50),
            p95_ms=lat.pct(95),
            p99_ms=lat.pct(99),
        )
        for key, lat in sorted(buckets.items())
    ]
    ops = sorted((lat.stats(op) for op, lat in per_op.items()), key=lambda s: (-s.count, s.operation))
    return PerformanceSummary(
        time_range=TimeRange(**rng.out()), overall=overall.stats(operation or "all"), operations=ops, series=points
    )


def _auto_granularity(rng: Range) -> str:
    span = rng.end_ms - rng.start_ms
    if span <= 3 * DAY_MS:
        return "hour"
    if span <= 400 * DAY_MS:
        return "day"
    return "week"


def check_granularity(rng: Range, granularity: str | None) -> str:
    from ..errors import InvalidInput

    if granularity is None or granularity == "auto":
        return _auto_granularity(rng)
    if granularity not in GRANULARITIES:
        raise InvalidInput(f"granularity must be one of auto, {', '.join(GRANULARITIES)}; got {granularity[:20]!r}")
    unit = {"hour": HOUR_MS, "day": DAY_MS, "week": 7 * DAY_MS, "month": 28 * DAY_MS}[granularity]
    if (rng.end_ms - rng.start_ms) / unit > MAX_BUCKETS:
        raise InvalidInput(f"{granularity} granularity over this range gives more than {MAX_BUCKETS} points")
    return granularity


# ---- searches ----------------------------------------------------------------------------
def _trend_series(c: Connection, rng: Range, granularity: str) -> list[TrendPoint]:
    if granularity == "hour":
        h0, h1 = rng.hours
        rows = c.execute(
            f"SELECT hour, sum(CASE WHEN event_type IN {_SEARCH_IN} THEN events ELSE 0 END), sum(zero_results), "
            "sum(events) FROM an_type_hour WHERE hour >= ? AND hour < ? GROUP BY hour ORDER BY hour",
            (h0, h1),
        ).fetchall()
        return [
            TrendPoint(period=bucket_label(r[0], "hour", rng.tz), searches=r[1], zero_results=r[2], events=r[3])
            for r in rows
        ]
    d0, d1 = rng.days
    rows = c.execute(
        f"SELECT day, sum(CASE WHEN event_type IN {_SEARCH_IN} THEN events ELSE 0 END), sum(zero_results), "
        "sum(events) FROM an_type_day WHERE day >= ? AND day < ? GROUP BY day ORDER BY day",
        (d0, d1),
    ).fetchall()
    merged: dict[int, list[int]] = {}
    for day, s, z, e in rows:
        b = merged.setdefault(day_bucket(day, granularity), [0, 0, 0])
        b[0] += s
        b[1] += z
        b[2] += e
    return [
        TrendPoint(period=bucket_label(k, granularity), searches=v[0], zero_results=v[1], events=v[2])
        for k, v in sorted(merged.items())
    ]


def _queries(c: Connection, rng: Range, limit: int) -> tuple[list[QueryStat], list[QueryStat]]:
    d0, d1 = rng.days
    popular = c.execute(
        "SELECT query, sum(searches) s, sum(zero_results) z, sum(clicks) k FROM an_query_day "
        "WHERE day >= ? AND day < ? GROUP BY query HAVING s > 0 ORDER BY s DESC, query LIMIT ?",
        (d0, d1, limit),
    ).fetchall()
    zero = c.execute(
        "SELECT query, sum(searches) s, sum(zero_results) z, sum(clicks) k FROM an_query_day "
        "WHERE day >= ? AND day < ? AND zero_results > 0 GROUP BY query ORDER BY z DESC, query LIMIT ?",
        (d0, d1, limit),
    ).fetchall()

    def stat(r: Any) -> QueryStat:
        return QueryStat(
            query=r[0],
            searches=r[1],
            zero_results=r[2],
            clicks=r[3],
            click_through_rate=round(min(1.0, r[3] / r[1]), 4) if r[1] else 0.0,
        )

    return [stat(r) for r in popular], [stat(r) for r in zero]


def search_trends(c: Connection, rng: Range, granularity: str, limit: int = 10) -> SearchTrends:
    series = _trend_series(c, rng, granularity)
    popular, zero = _queries(c, rng, limit)
    day_where, hour_where, params = _split_params(rng)
    total = c.execute(
        f"SELECT coalesce(sum(s), 0), coalesce(sum(z), 0) FROM ("
        f"SELECT events s, zero_results z FROM an_type_day WHERE {day_where} AND event_type IN {_SEARCH_IN} "
        f"UNION ALL SELECT events, zero_results FROM an_type_hour WHERE {hour_where} AND event_type IN {_SEARCH_IN})",
        params,
    ).fetchone()
    return SearchTrends(
        time_range=TimeRange(**rng.out()),
        granularity=granularity,
        total_searches=total[0],
        zero_result_searches=total[1],
        series=series,
        popular_queries=popular,
        zero_result_queries=zero,
    )


# ---- projects ----------------------------------------------------------------------------
def top_projects(c: Connection, rng: Range, limit: int) -> list[TopProject]:
    d0, d1 = rng.days
    rows = c.execute(
        "SELECT project_id, sum(views) v, sum(searches), sum(document_opens), sum(events) e, max(last_ms) "
        "FROM an_project_day WHERE day >= ? AND day < ? GROUP BY project_id ORDER BY v DESC, e DESC, project_id "
        "LIMIT ?",
        (d0, d1, limit),
    ).fetchall()
    if not rows:
        return []
    codes = [r[0] for r in rows]
    marks = ",".join("?" * len(codes))
    users = dict(
        c.execute(
            f"SELECT project_id, count(DISTINCT user_id) FROM an_project_day_user WHERE project_id IN ({marks}) "
            "AND day >= ? AND day < ? GROUP BY project_id",
            (*codes, d0, d1),
        ).fetchall()
    )
    names = project_names(c, codes)
    return [
        TopProject(
            project_number=r[0],
            name=names.get(r[0]),
            known=r[0] in names,
            views=r[1],
            unique_users=users.get(r[0], 0),
            searches=r[2],
            document_opens=r[3],
            last_accessed=iso(r[5]),
        )
        for r in rows
    ]


def project_metrics(c: Connection, code: str, rng: Range) -> ProjectMetrics:
    d0, d1 = rng.days
    rows = c.execute(
        "SELECT day, views, document_opens, searches, last_ms FROM an_project_day "
        "WHERE project_id = ? AND day >= ? AND day < ? ORDER BY day",
        (code, d0, d1),
    ).fetchall()
    users_by_day = dict(
        c.execute(
            "SELECT day, count(*) FROM an_project_day_user WHERE project_id = ? AND day >= ? AND day < ? GROUP BY day",
            (code, d0, d1),
        ).fetchall()
    )
    unique = c.execute(
        "SELECT count(DISTINCT user_id) FROM an_project_day_user WHERE project_id = ? AND day >= ? AND day < ?",
        (code, d0, d1),
    ).fetchone()[0]
    last = c.execute("SELECT max(last_ms) FROM an_project_day WHERE project_id = ?", (code,)).fetchone()[0]
    names = project_names(c, [code])
    daily = [
        ProjectDay(
            date=day_label(r[0]), views=r[1], unique_users=users_by_day.get(r[0], 0), document_opens=r[2], searches=r[3]
        )
        for r in rows
    ]
    return ProjectMetrics(
        project_number=code,
        name=names.get(code),
        known=code in names,
        views=sum(d.views for d in daily),
        unique_users=unique,
        document_opens=sum(d.document_opens for d in daily),
        searches=sum(d.searches for d in daily),
        last_accessed=iso(last),
        daily=daily,
        time_range=TimeRange(**rng.out("day")),
    )


# ---- users -------------------------------------------------------------------------------
def _activity_series(c: Connection, rng: Range, granularity: str, user: str | None = None) -> list[ActivityPoint]:
    user_sql = " AND user_id = ?" if user else ""
    uparams: tuple[Any, ...] = (user,) if user else ()
    if granularity == "hour":
        lo, hi = rng.hours
        rows = c.execute(
            f"SELECT hour, count(DISTINCT user_id), sum(events) FROM an_user_hour WHERE hour >= ? AND hour < ?"
            f"{user_sql} GROUP BY hour",
            (lo, hi, *uparams),
        ).fetchall()
        unit = HOUR_MS
    else:
        lo, hi = rng.days
        rows = c.execute(
            f"SELECT day, count(DISTINCT user_id), sum(events) FROM an_user_day WHERE day >= ? AND day < ?"
            f"{user_sql} GROUP BY day",
            (lo, hi, *uparams),
        ).fetchall()
        unit = DAY_MS
    if granularity == "hour" or user:
        # Sessions by local start hour/day: the range's bucket edges as instants, the offset in SQL.
        a, b = rng.tz.instant(lo * unit), rng.tz.instant(hi * unit)
        lt = rng.tz.wall_sql("start_ms", a, b)
        sessions = dict(
            c.execute(
                f"SELECT {lt} / {unit} AS b, count(*) FROM an_sessions WHERE start_ms >= ? AND start_ms < ?"
                f"{user_sql} GROUP BY b",
                (a, b, *uparams),
            ).fetchall()
        )
    else:  # everyone's sessions per day are kept as a rollup
        sessions = dict(
            c.execute("SELECT day, sessions FROM an_session_day WHERE day >= ? AND day < ?", (lo, hi)).fetchall()
        )
    if granularity in ("hour", "day"):
        return [
            ActivityPoint(
                period=bucket_label(r[0], granularity, rng.tz),
                active_users=r[1],
                events=r[2],
                sessions=sessions.get(r[0], 0),
            )
            for r in sorted(rows, key=lambda r: r[0])
        ]
    # Weeks and months: active users must be distinct over the whole bucket, so count again.
    expr = (
        "(day + 3) / 7"
        if granularity == "week"
        else "CAST(strftime('%Y', day * 86400, 'unixepoch') AS INTEGER) * 12 "
        "+ CAST(strftime('%m', day * 86400, 'unixepoch') AS INTEGER) - 1"
    )
    rows = c.execute(
        f"SELECT {expr} b, count(DISTINCT user_id), sum(events) FROM an_user_day WHERE day >= ? AND day < ?"
        f"{user_sql} GROUP BY b ORDER BY b",
        (lo, hi, *uparams),
    ).fetchall()
    per_bucket: dict[int, int] = {}
    for day, n in sessions.items():
        b = day_bucket(day, granularity)
        per_bucket[b] = per_bucket.get(b, 0) + n
    return [
        ActivityPoint(
            period=bucket_label(r[0], granularity), active_users=r[1], events=r[2], sessions=per_bucket.get(r[0], 0)
        )
        for r in rows
    ]


def user_activity(c: Connection, user: str, rng: Range, recent: int = 20) -> UserActivity:
    d0, d1 = rng.days
    h0, h1 = rng.hours
    totals = c.execute(
        "SELECT coalesce(sum(events), 0), coalesce(sum(searches), 0), coalesce(sum(views), 0), count(*) "
        "FROM an_user_day WHERE user_id = ? AND day >= ? AND day < ?",
        (user, d0, d1),
    ).fetchone()
    sess = c.execute(
        "SELECT count(*), avg(end_ms - start_ms) FROM an_sessions WHERE user_id = ? AND start_ms >= ? AND start_ms < ?",
        (user, rng.day_start(d0), rng.day_start(d1)),
    ).fetchone()
    grid = [[0] * 24 for _ in range(7)]
    for hour, events in c.execute(
        "SELECT hour, events FROM an_user_hour WHERE user_id = ? AND hour >= ? AND hour < ?", (user, h0, h1)
    ):
        how = (hour + 72) % 168  # local wall hours: epoch hour 0 was a Thursday 00:00; row 0 is Monday
        grid[how // 24][how % 24] += events
    projects = c.execute(
        "SELECT project_id, sum(events) e, count(*) FROM an_project_day_user WHERE user_id = ? AND day >= ? "
        "AND day < ? GROUP BY project_id ORDER BY e DESC, project_id LIMIT 10",
        (user, d0, d1),
    ).fetchall()
    names = project_names(c, [r[0] for r in projects])
    recent_rows = c.execute(
        "SELECT * FROM events WHERE user_id = ? AND ts_ms >= ? AND ts_ms < ? ORDER BY ts_ms DESC LIMIT ?",
        (user, rng.start_ms, rng.end_ms, recent),
    ).fetchall()
    granularity = "day" if rng.end_ms - rng.start_ms <= 400 * DAY_MS else "week"
    return UserActivity(
        user_id=user,
        time_range=TimeRange(**rng.out("day")),
        events=totals[0],
        searches=totals[1],
        views=totals[2],
        active_days=totals[3],
        sessions=sess[0],
        avg_session_minutes=round(sess[1] / 60000, 2) if sess[1] is not None else None,
        daily=_activity_series(c, rng, granularity, user),
        hour_of_week=grid,
        top_projects=[
            UserProject(project_number=r[0], name=names.get(r[0]), events=r[1], active_days=r[2]) for r in projects
        ],
        recent_events=[row_to_dict(r) for r in recent_rows],
    )


def count_sessions(c: Connection, rng: Range) -> int:
    """Sessions starting in the range: whole days from the rollup, the edges from an_sessions."""
    (d0, d1), _ = rng.split()
    if d0 >= d1:
        edges = [(rng.start_ms, rng.end_ms)]
        whole = 0
    else:
        edges = [(rng.start_ms, rng.day_start(d0)), (rng.day_start(d1), rng.end_ms)]
        whole = c.execute(
            "SELECT coalesce(sum(sessions), 0) FROM an_session_day WHERE day >= ? AND day < ?", (d0, d1)
        ).fetchone()[0]
    for a, b in edges:
        if a < b:
            whole += c.execute(
                "SELECT count(*) FROM an_sessions WHERE start_ms >= ? AND start_ms < ?", (a, b)
            ).fetchone()[0]
    return whole


# ---- the dashboard -------------------------------------------------------------------------
def dashboard(c: Connection, rng: Range, *, top: int = 10, pending: int = 0) -> Dashboard:
    day_where, hour_where, params = _split_params(rng)
    types = c.execute(
        "SELECT event_type, sum(e), sum(z), sum(x) FROM ("
        f"SELECT event_type, events e, zero_results z, errors x FROM an_type_day WHERE {day_where} "
        f"UNION ALL SELECT event_type, events, zero_results, errors FROM an_type_hour WHERE {hour_where}"
        ") GROUP BY event_type",
        params,
    ).fetchall()
    total_events = sum(r[1] for r in types)
    searches = sum(r[1] for r in types if r[0] in SEARCH_TYPES)
    zero = sum(r[2] for r in types if r[0] in SEARCH_TYPES)
    users = c.execute(
        f"SELECT count(*) FROM (SELECT user_id FROM an_user_day WHERE {day_where} "
        f"UNION SELECT user_id FROM an_user_hour WHERE {hour_where})",
        params,
    ).fetchone()[0]
    d0, d1 = rng.days
    projects = c.execute(
        "SELECT count(DISTINCT project_id) FROM an_project_day WHERE day >= ? AND day < ?", (d0, d1)
    ).fetchone()[0]
    sessions = count_sessions(c, rng)
    perf = performance(c, rng)
    granularity = _auto_granularity(rng)
    popular, zero_queries = _queries(c, rng, top)
    return Dashboard(
        metrics=DashboardMetrics(
            total_projects=projects,
            total_users=users,
            total_searches=searches,
            total_events=total_events,
            total_sessions=sessions,
            zero_result_searches=zero,
            avg_response_time_ms=perf.overall.avg_ms,
            error_rate_percent=perf.overall.error_rate_percent,
        ),
        top_projects=top_projects(c, rng, top),
        search_trends=_trend_series(c, rng, granularity),
        popular_queries=popular,
        zero_result_queries=zero_queries,
        user_activity=_activity_series(c, rng, granularity),
        performance_metrics=perf,
        time_range=TimeRange(**rng.out()),
        pending_events=pending,
    )
