"""Daily usage forecasts: ETS and ARIMA with a weekly season, kept only if they beat seasonal-naive.

The daily series (in the local time zone) is backtested on rolling origins: each candidate
forecasts the next days from an earlier cut-off and is scored by MASE (mean absolute error over
the in-sample mean absolute error of "same day last week"). The candidate with the lowest MASE
makes the forecast, with 80 % and 95 % intervals; seasonal-naive wins ties and is the fallback.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from ..analytics.feedback import BEHAVIOUR_TYPES, behaviour, behaviour_span
from ..errors import InvalidInput
from ..ml.errors import InsufficientData

if TYPE_CHECKING:
    import numpy as np

    from ..analytics.feedback import Queryable

SEASON = 7
MIN_DAYS = 28
MAX_HISTORY_DAYS = 365
MAX_HORIZON = 90
FOLDS = 3
METRICS: dict[str, tuple[str, ...]] = {
    "events": BEHAVIOUR_TYPES,
    "project_views": ("project_view",),
    "document_opens": ("document_access",),
    "searches": ("project_search", "document_search"),
    "active_users": BEHAVIOUR_TYPES,  # distinct users per day
}
Z80, Z95 = 1.281552, 1.959964


@dataclass
class ForecastPoint:
    date: str
    value: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


@dataclass
class Forecast:
    metric: str
    project_number: str | None
    model: str
    mase: float | None
    seasonal_naive_mase: float | None
    backtest: dict[str, float | None]
    history_days: int
    history_start: str
    history_end: str
    history_mean: float
    points: list[ForecastPoint]
    summary: str
    notes: list[str] = field(default_factory=list)


def check_horizon(horizon_days: object) -> int:
    if isinstance(horizon_days, bool) or not isinstance(horizon_days, int) or not 1 <= horizon_days <= MAX_HORIZON:
        raise InvalidInput(f"horizon_days must be a whole number from 1 to {MAX_HORIZON}, got {horizon_days!r}")
    return horizon_days


def check_metric(metric: object) -> str:
    if metric not in METRICS:
        raise InvalidInput(f"metric must be one of {', '.join(METRICS)}, got {metric!r}")
    return str(metric)


def daily_series(
    db: Queryable, metric: str, *, project: str | None = None, tz: tzinfo = UTC, now_ms: int | None = None
) -> tuple[date, np.ndarray]:
    """(first day, values) of the metric per local day, up to the log's last complete day."""
    import numpy as np

    span = behaviour_span(db)
    if span is None:
        raise InsufficientData("forecast_usage: the event log is empty")
    now_ms = now_ms if now_ms is not None else int(datetime.now(UTC).timestamp() * 1000)
    yesterday = datetime.fromtimestamp(now_ms / 1000, tz).date() - timedelta(days=1)
    last = min(yesterday, datetime.fromtimestamp(span[1] / 1000, tz).date())
    first = max(datetime.fromtimestamp(span[0] / 1000, tz).date(), last - timedelta(days=MAX_HISTORY_DAYS - 1))
    start_ms = int(datetime(first.year, first.month, first.day, tzinfo=tz).timestamp() * 1000)
    end_day = last + timedelta(days=1)
    end_ms = int(datetime(end_day.year, end_day.month, end_day.day, tzinfo=tz).timestamp() * 1000) - 1
    n = (last - first).days + 1
    if n <= 0:
        raise InsufficientData("forecast_usage: no complete day of events yet")
    values = np.zeros(n)
    users: list[set[str]] = [set() for _ in range(n)]
    for e in behaviour(db, since_ms=start_ms, until_ms=end_ms, project=project, types=METRICS[metric]):
        i = (datetime.fromtimestamp(e.ts_ms / 1000, tz).date() - first).days
        if 0 <= i < n:
            if metric == "active_users":
                users[i].add(e.user_id)
            else:
                values[i] += 1
    if metric == "active_users":
        values = np.array([len(u) for u in users], dtype=float)
    return first, values


def _snaive_scale(y: np.ndarray) -> float:
    import numpy as np

    diffs = np.abs(y[SEASON:] - y[:-SEASON])
    scale = float(diffs.mean()) if diffs.size else 0.0
    # A perfectly weekly history has no naive error; fall back to the level so MASE stays finite.
    return scale if scale > 1e-9 else max(float(np.abs(y).mean()) * 1e-3, 1e-6)


def _fit_forecast(
    name: str, y: np.ndarray, h: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(mean, lo80, hi80, lo95, hi95) for ``h`` days after ``y``."""
    import numpy as np

    if name == "seasonal_naive":
        steps = np.arange(1, h + 1)
        mean = np.array([y[len(y) - SEASON + (s - 1) % SEASON] for s in steps], dtype=float)  # same weekday
        resid = y[SEASON:] - y[:-SEASON]
        sd = float(resid.std(ddof=1)) if resid.size > 1 else 0.0
        width = sd * np.sqrt(np.ceil(steps / SEASON))
        return mean, mean - Z80 * width, mean + Z80 * width, mean - Z95 * width, mean + Z95 * width
    import pandas as pd
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    from threadpoolctl import threadpool_limits

    # Imported before the filter below: statsmodels sets "always" filters for its warnings on import.
    # One BLAS thread: these are tiny matrices, and threads fighting over 2 busy cores made a fit 15x slower.
    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")  # statsmodels warns about convergence on short, flat series
        if name == "ets":
            # A Series: statsmodels' ETS prediction intervals need an index (a bare array fails).
            series = pd.Series(y, index=pd.RangeIndex(len(y)))
            model = ETSModel(
                series, error="add", trend="add", damped_trend=True, seasonal="add", seasonal_periods=SEASON
            )
            fit = model.fit(disp=False, maxiter=200)
            pred = fit.get_prediction(start=len(y), end=len(y) + h - 1)
            f80 = pred.summary_frame(alpha=0.20)
            f95 = pred.summary_frame(alpha=0.05)
            return (
                np.asarray(f95["mean"]),
                np.asarray(f80["pi_lower"]),
                np.asarray(f80["pi_upper"]),
                np.asarray(f95["pi_lower"]),
                np.asarray(f95["pi_upper"]),
            )
        if name == "arima":
            fit = SARIMAX(y, order=(1, 0, 1), seasonal_order=(0, 1, 1, SEASON)).fit(disp=False)
            fc = fit.get_forecast(h)
            c80 = np.asarray(fc.conf_int(alpha=0.20))
            c95 = np.asarray(fc.conf_int(alpha=0.05))
            return np.asarray(fc.predicted_mean), c80[:, 0], c80[:, 1], c95[:, 0], c95[:, 1]
    raise ValueError(name)


MODELS = ("seasonal_naive", "ets", "arima")


def backtest(y: np.ndarray, horizon: int) -> dict[str, float | None]:
    """Mean MASE of each model over rolling origins (None when a model could not be fitted)."""
    import numpy as np

    test_len = min(horizon, 2 * SEASON)
    origins = [len(y) - k * test_len for k in range(1, FOLDS + 1) if len(y) - k * test_len >= 3 * SEASON]
    scores: dict[str, list[float]] = {m: [] for m in MODELS}
    failed: set[str] = set()
    for origin in origins:
        train, test = y[:origin], y[origin : origin + test_len]
        scale = _snaive_scale(train)
        for m in MODELS:
            if m in failed:
                continue
            try:
                mean = _fit_forecast(m, train, len(test))[0]
            except Exception:  # a model that cannot fit this series simply does not compete
                failed.add(m)
                continue
            if not np.all(np.isfinite(mean)):
                failed.add(m)
                continue
            scores[m].append(float(np.abs(test - mean).mean()) / scale)
    return {m: (round(float(np.mean(s)), 4) if s and m not in failed else None) for m, s in scores.items()}


def forecast_usage(
    db: Queryable,
    *,
    metric: str = "events",
    horizon_days: int = 14,
    project: str | None = None,
    tz: tzinfo = UTC,
    now_ms: int | None = None,
) -> Forecast:
    """Forecast a daily usage metric ``horizon_days`` ahead."""
    import numpy as np

    metric = check_metric(metric)
    horizon_days = check_horizon(horizon_days)
    first, y = daily_series(db, metric, project=project, tz=tz, now_ms=now_ms)
    if len(y) < MIN_DAYS:
        raise InsufficientData(
            f"forecast_usage: {len(y)} days of history; at least {MIN_DAYS} (four weeks) are needed for a weekly model"
        )
    scores = backtest(y, horizon_days)
    snaive = scores["seasonal_naive"]
    ranked = sorted(
        (s, MODELS.index(m), m) for m, s in scores.items() if s is not None
    )  # ties go to the simpler model (earlier in MODELS)
    chosen = ranked[0][2] if ranked else "seasonal_naive"
    notes: list[str] = []
    try:
        mean, lo80, hi80, lo95, hi95 = _fit_forecast(chosen, y, horizon_days)
    except Exception as exc:
        notes.append(f"{chosen} failed on the full history ({type(exc).__name__}); seasonal-naive used")
        chosen = "seasonal_naive"
        mean, lo80, hi80, lo95, hi95 = _fit_forecast(chosen, y, horizon_days)
    last = first + timedelta(days=len(y) - 1)
    points = [
        ForecastPoint(
            date=(last + timedelta(days=i + 1)).isoformat(),
            value=round(max(0.0, float(mean[i])), 2),
            lo80=round(max(0.0, float(lo80[i])), 2),
            hi80=round(max(0.0, float(hi80[i])), 2),
            lo95=round(max(0.0, float(lo95[i])), 2),
            hi95=round(max(0.0, float(hi95[i])), 2),
        )
        for i in range(horizon_days)
    ]
    mase = scores.get(chosen)
    if chosen == "seasonal_naive":
        why = "no model beat seasonal-naive (same day last week) in the backtest"
    else:
        why = f"{chosen} beat seasonal-naive in the backtest (MASE {mase:.2f} vs {snaive:.2f})"
    total = sum(p.value for p in points)
    scope = f"project {project}" if project else "the firm"
    summary = (
        f"{metric} for {scope}: about {total:.0f} over the next {horizon_days} days "
        f"(recent daily mean {float(np.mean(y[-28:])):.1f}); {why}"
    )
    return Forecast(
        metric=metric,
        project_number=project,
        model=chosen,
        mase=mase,
        seasonal_naive_mase=snaive,
        backtest=scores,
        history_days=len(y),
        history_start=first.isoformat(),
        history_end=last.isoformat(),
        history_mean=round(float(np.mean(y)), 3),
        points=points,
        summary=summary,
        notes=notes,
    )
