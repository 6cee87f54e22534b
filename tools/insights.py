"""Usage insight tools: user segments, usage forecasts and anomalies from the event log."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import Field

from ..predict.insights import AnomaliesOut, ForecastOut, SegmentsOut
from ._common import READ_ONLY, tool_errors

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from ..server import AppHolder

_TIME = "ISO date (2026-03-01), date-time (2026-03-01T09:00:00Z), 'now', or time ago like 7d, 24h, 2w"


def register(server: MCPServer, holder: AppHolder) -> None:
    @server.tool(title="User segments", annotations=READ_ONLY)
    @tool_errors
    def user_segments(
        k: Annotated[
            int | None, Field(strict=True, description="Number of segments 2-8; default: chosen by silhouette")
        ] = None,
    ) -> SegmentsOut:
        """Groups of users who work alike over the last 180 days (how much, how many projects, when,
        which document families, searching vs navigating), each named from what sets it apart, with
        its size, members and profile."""
        return holder.get().ml.insights.segments(k)

    @server.tool(title="Forecast usage", annotations=READ_ONLY)
    @tool_errors
    def forecast_usage(
        horizon_days: Annotated[int, Field(strict=True, description="Days ahead, 1-90")] = 14,
        metric: Annotated[
            str, Field(description="events | project_views | document_opens | searches | active_users")
        ] = "events",
        project_number: Annotated[str | None, Field(description="5-digit project; default: the whole firm")] = None,
    ) -> ForecastOut:
        """Daily forecast of a usage metric with 80 % and 95 % intervals. ETS and ARIMA with a weekly
        season compete with seasonal-naive (same day last week) in a backtest; the winner forecasts and
        its backtest error (MASE; below 1 beats seasonal-naive's in-sample error) is in the answer."""
        return holder.get().ml.insights.forecast(project_number, horizon_days, metric)

    @server.tool(title="Detect anomalies", annotations=READ_ONLY)
    @tool_errors
    def detect_anomalies(
        start: Annotated[str | None, Field(description=f"Start: {_TIME}. Default: 7 days before end")] = None,
        end: Annotated[str | None, Field(description=f"End (a date includes that day): {_TIME}. Default: now")] = None,
    ) -> AnomaliesOut:
        """Unusual user-days and project-days in a range (access spikes, a user touching unusually
        many projects, after-hours bursts, searches that find nothing), strangest first, each with a
        score, a sentence saying what is unusual against the typical day, and its evidence events."""
        return holder.get().ml.insights.anomalies(start, end)
