"""Analytics settings, from environment variables with safe defaults.

``QUICKNAV_ANALYTICS_RETENTION_DAYS``  keep raw events this long (default 365; 0 = forever)
``QUICKNAV_ANALYTICS_TRACKING``        0/false turns automatic tracking of tool calls off
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import ConfigError

ENV_RETENTION = "QUICKNAV_ANALYTICS_RETENTION_DAYS"
ENV_TRACKING = "QUICKNAV_ANALYTICS_TRACKING"


@dataclass(frozen=True)
class AnalyticsSettings:
    retention_days: int = 365
    tracking: bool = True
    batch_limit: int = 1000  # items per track_events call
    metadata_cap: int = 4096  # bytes of JSON per event
    flush_interval: float = 0.2  # seconds automatic events wait to be written together
    poll_interval: float = 0.5  # how often subscribers look for other processes' messages
    maintenance_interval: float = 6 * 3600.0  # retention and outbox pruning, seconds (0 = off)
    rollup_batch: int = 10  # outbox messages per rollup transaction (≤ 1000 events each)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AnalyticsSettings:
        env = os.environ if env is None else env
        days_text = env.get(ENV_RETENTION, "").strip()
        days = 365
        if days_text:
            try:
                days = int(days_text)
            except ValueError:
                raise ConfigError(f"{ENV_RETENTION} must be a whole number of days, got {days_text!r}") from None
            if not 0 <= days <= 36500:
                raise ConfigError(f"{ENV_RETENTION} must be between 0 (keep forever) and 36500")
        tracking = env.get(ENV_TRACKING, "1").strip().lower() not in {"0", "false", "no", "off"}
        return cls(retention_days=days, tracking=tracking)
