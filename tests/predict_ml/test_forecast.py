"""Forecasts on hand-made daily series: a pure weekly pattern, and a trend seasonal-naive cannot follow."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from quicknav_mcp.errors import InvalidInput
from quicknav_mcp.ml.errors import InsufficientData
from quicknav_mcp.predict.forecast import _fit_forecast, backtest, daily_series, forecast_usage

START = date(2026, 1, 5)  # a Monday
NOW_MS = int(datetime(2026, 6, 1, tzinfo=UTC).timestamp() * 1000)


def _events(counts: list[int], event_type: str = "project_view") -> list[dict]:
    out = []
    for i, n in enumerate(counts):
        day = START + timedelta(days=i)
        for j in range(n):
            ts = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC) + timedelta(seconds=20 * j)
            out.append(
                {"user_id": f"u{j % 5}", "event_type": event_type, "project_id": "21614", "timestamp": ts.isoformat()}
            )
    return out


def test_seasonal_naive_by_hand() -> None:
    y = np.array([10, 10, 10, 10, 10, 2, 2] * 4, dtype=float)
    mean, lo80, hi80, _, _ = _fit_forecast("seasonal_naive", y, 9)
    # Next days continue Monday..Sunday, then Monday, Tuesday again.
    assert mean.tolist() == [10, 10, 10, 10, 10, 2, 2, 10, 10]
    assert lo80.tolist() == mean.tolist() == hi80.tolist()  # no naive error in a perfect pattern


def test_a_pure_weekly_pattern_is_forecast_exactly(log) -> None:
    store, write = log
    write(_events([10, 10, 10, 10, 10, 2, 2] * 6))
    fc = forecast_usage(store, metric="project_views", horizon_days=7, now_ms=NOW_MS)
    assert fc.history_days == 42 and fc.history_start == "2026-01-05" and fc.history_end == "2026-02-15"
    assert fc.model == "seasonal_naive" and fc.mase == 0.0
    assert [p.value for p in fc.points] == [10, 10, 10, 10, 10, 2, 2]
    assert fc.points[0].date == "2026-02-16"
    assert "no model beat seasonal-naive" in fc.summary
    # Per project and per metric.
    assert (
        forecast_usage(store, metric="project_views", horizon_days=3, project="99999", now_ms=NOW_MS).points[0].value
        == 0
    )
    assert forecast_usage(store, metric="active_users", horizon_days=3, now_ms=NOW_MS).points[0].value == 5


def test_a_trend_is_learned_better_than_seasonal_naive() -> None:
    rng = random.Random(3)
    weekly = [0, 1, 2, 3, 2, -6, -8]
    y = np.array([20 + 0.6 * t + 1.5 * weekly[t % 7] + rng.gauss(0, 0.8) for t in range(84)])
    scores = backtest(y, 14)
    assert scores["seasonal_naive"] is not None
    best = min((s, m) for m, s in scores.items() if s is not None)
    assert best[1] != "seasonal_naive" and best[0] < scores["seasonal_naive"] * 0.7, scores


def test_bad_input_and_short_history(log) -> None:
    store, write = log
    with pytest.raises(InvalidInput, match="horizon_days must be a whole number from 1 to 90"):
        forecast_usage(store, horizon_days=0)
    with pytest.raises(InvalidInput, match="horizon_days"):
        forecast_usage(store, horizon_days=365)
    with pytest.raises(InvalidInput, match="metric must be one of"):
        forecast_usage(store, metric="revenue")
    with pytest.raises(InsufficientData, match="empty"):
        forecast_usage(store, now_ms=NOW_MS)
    write(_events([3] * 10))
    with pytest.raises(InsufficientData, match="10 days of history; at least 28"):
        forecast_usage(store, now_ms=NOW_MS)
    first, values = daily_series(store, "events", now_ms=NOW_MS)
    assert first == START and values.tolist() == [3] * 10
