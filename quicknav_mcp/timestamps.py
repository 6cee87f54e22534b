"""Reading the ISO-8601 timestamps the store and Microsoft Graph write (``2026-05-27T14:03:11.5Z``)."""

from __future__ import annotations

from datetime import datetime


def iso_seconds(value: object) -> float | None:
    """Seconds since the epoch of an ISO-8601 timestamp (a trailing ``Z`` is UTC); None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
