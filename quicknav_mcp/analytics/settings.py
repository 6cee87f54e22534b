"""Analytics settings, given by the composition root.

The user-facing ones (retention, tracking) come from :class:`quicknav_mcp.config.Config`
(``QUICKNAV_ANALYTICS_RETENTION_DAYS``, ``QUICKNAV_ANALYTICS_TRACKING``); the rest are tuning
knobs that tests shorten.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AnalyticsSettings:
    retention_days: int = 365  # raw events kept this long (0 = forever)
    tracking: bool = True  # record tool calls automatically
    batch_limit: int = 1000  # items per track_events call
    metadata_cap: int = 4096  # bytes of JSON per event
    flush_interval: float = 0.2  # seconds automatic events wait to be written together
    poll_interval: float = 0.5  # how often subscribers look for other processes' messages
    maintenance_interval: float = 6 * 3600.0  # retention and outbox pruning, seconds (0 = off)
    rollup_batch: int = 10  # outbox messages per rollup transaction (≤ 1000 events each)
    # Events per rollup transaction (one message at least): a live event's write waits for one
    # such slice, not for a backlog of imported events (1,000 fold in ~25 ms of CPU).
    rollup_events: int = 1000
