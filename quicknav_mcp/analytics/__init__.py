"""Analytics: an immutable event log, an in-process bus with a durable outbox, live rollups,
dashboards and reports — all inside the one SQLite file."""

from .service import AnalyticsService
from .settings import AnalyticsSettings

__all__ = ["AnalyticsService", "AnalyticsSettings"]
