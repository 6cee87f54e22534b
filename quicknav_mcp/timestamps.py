"""The ISO-8601 timestamps the store writes (``2026-05-27T14:03:11.500Z``) and Microsoft Graph's, read."""

from __future__ import annotations

from datetime import UTC, datetime

# SQLite's clock, to the millisecond: the store's stamps (``indexed_at``, ``extracted_at``).
NOW_SQL = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"


def now_iso() -> str:
    """The clock as the store writes it (``NOW_SQL``'s format), read in Python: UTC, to the millisecond."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def restamp_sql(column: str) -> str:
    """The stamp of a row's new version (SQL for ``SET column = ...``): the clock, or 1 ms past the
    row's stamp when the clock is not later. Every version of a row has a stamp of its own, so a
    reader that keeps the stamp of the version it read (the embedding worker) sees any later write
    as a change, even one made in the same millisecond (or after the clock was set back). A row stamped
    while the clock ran ahead keeps stamps ahead of it (+1 ms a write) until the clock passes them:
    stamps order a row's versions; nothing compares them with the clock."""
    return f"max({NOW_SQL}, coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', {column}, '+0.001 seconds'), ''))"


def iso_seconds(value: object) -> float | None:
    """Seconds since the epoch of an ISO-8601 timestamp (a trailing ``Z`` is UTC); None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None
