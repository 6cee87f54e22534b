"""Usage insights over the event log: segments, forecasts and anomalies, as compact answers.

Day and hour buckets use ``tz`` (the firm's local zone once the configuration carries one).
"""

from __future__ import annotations

from datetime import UTC, tzinfo
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from ..analytics.timerange import DAY_MS, parse_range
from ..errors import InvalidInput
from ..validation import project_code

if TYPE_CHECKING:
    from ..services.projects import ProjectService
    from ..store import Store

MAX_ANOMALY_DAYS = 366
SEGMENT_DAYS = 180


class SegmentOut(BaseModel):
    name: str = Field(description="Named from what sets the group apart")
    size: int
    members: list[str] = Field(description="User ids (first 50)")
    description: str
    profile: dict[str, float] = Field(description="Mean features: events_per_day, projects, shares 0..1, ...")


class SegmentsOut(BaseModel):
    k: int
    silhouette: float | None = Field(description="-1..1; above ~0.5 the groups are well separated")
    silhouettes: dict[str, float] = Field(description="Silhouette of each k tried")
    users: int
    window: list[str]
    segments: list[SegmentOut]
    summary: str


class ForecastPointOut(BaseModel):
    date: str
    value: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


class ForecastOut(BaseModel):
    metric: str
    project_number: str | None
    model: str = Field(description="seasonal_naive | ets | arima: the backtest's winner")
    mase: float | None = Field(description="Backtest MASE of the model used (< 1 beats last week's same day)")
    seasonal_naive_mase: float | None
    backtest: dict[str, float | None]
    history: dict[str, Any]
    points: list[ForecastPointOut]
    summary: str
    notes: list[str] = Field(default_factory=list)


class AnomalyOut(BaseModel):
    kind: str = Field(description="user_day | project_day")
    subject: str = Field(description="User id or project number")
    day: str
    score: float = Field(description="0..1, higher is stranger")
    feature: str
    value: float
    typical: float
    explanation: str
    evidence: list[dict[str, Any]] = Field(description="Up to 5 of the events behind it")


class AnomaliesOut(BaseModel):
    start: str
    end: str
    user_days: int
    project_days: int
    anomalies: list[AnomalyOut]
    summary: str


class InsightsService:
    """Segments, forecasts and anomalies for one store."""

    def __init__(self, store: Store, projects: ProjectService, *, tz: tzinfo = UTC) -> None:
        self.store = store
        self.projects = projects
        self.tz = tz

    def segments(self, k: int | None = None, *, now_ms: int | None = None) -> SegmentsOut:
        from .segments import segment_users

        rng = parse_range(None, None, default_days=SEGMENT_DAYS, now=now_ms)
        res = segment_users(self.store, k=k, since_ms=rng.start_ms, until_ms=rng.end_ms, tz=self.tz)
        names = "; ".join(f"{s.name} ({s.size})" for s in res.segments)
        how = "chosen by silhouette" if k is None else "as asked"
        return SegmentsOut(
            k=res.k,
            silhouette=res.silhouette,
            silhouettes={str(kk): v for kk, v in res.silhouettes.items()},
            users=res.users,
            window=list(res.window),
            segments=[SegmentOut(**s.__dict__ | {"members": s.members}) for s in res.segments],
            summary=f"{res.users} active users in {res.k} segments ({how}): {names}",
        )

    def forecast(
        self,
        project_number: object = None,
        horizon_days: int = 14,
        metric: str = "events",
        *,
        now_ms: int | None = None,
    ) -> ForecastOut:
        from .forecast import check_horizon, check_metric, forecast_usage

        check_horizon(horizon_days)
        check_metric(metric)
        project = None
        if project_number is not None and project_number != "":
            project = project_code(project_number)
            self.projects.require(project)  # NotFound names it
        fc = forecast_usage(
            self.store, metric=metric, horizon_days=horizon_days, project=project, tz=self.tz, now_ms=now_ms
        )
        return ForecastOut(
            metric=fc.metric,
            project_number=fc.project_number,
            model=fc.model,
            mase=fc.mase,
            seasonal_naive_mase=fc.seasonal_naive_mase,
            backtest=fc.backtest,
            history={
                "days": fc.history_days,
                "start": fc.history_start,
                "end": fc.history_end,
                "mean": fc.history_mean,
            },
            points=[ForecastPointOut(**p.__dict__) for p in fc.points],
            summary=fc.summary,
            notes=fc.notes,
        )

    def anomalies(
        self, start: str | None = None, end: str | None = None, *, limit: int = 20, now_ms: int | None = None
    ) -> AnomaliesOut:
        from .anomalies import detect_anomalies

        rng = parse_range(start, end, default_days=7, now=now_ms)
        if rng.end_ms - rng.start_ms > MAX_ANOMALY_DAYS * DAY_MS:
            raise InvalidInput(f"start/end span more than {MAX_ANOMALY_DAYS} days; look at a year or less")
        res = detect_anomalies(self.store, since_ms=rng.start_ms, until_ms=rng.end_ms, tz=self.tz, limit=limit)
        if res.anomalies:
            summary = f"{len(res.anomalies)} unusual days; the strangest: {res.anomalies[0].explanation}"
        else:
            summary = f"nothing unusual in {res.user_days} user-days and {res.project_days} project-days"
        return AnomaliesOut(
            start=res.start,
            end=res.end,
            user_days=res.user_days,
            project_days=res.project_days,
            anomalies=[AnomalyOut(**{k: v for k, v in a.__dict__.items() if k != "z"}) for a in res.anomalies],
            summary=summary,
        )
