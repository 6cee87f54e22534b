"""Local time for analytics: which local day and hour an instant falls in, in Python and in SQL.

Events are stored as UTC instants. Rollups bucket them by *local wall time*: ``wall = ts +
offset(ts)`` where ``offset`` is the zone's UTC offset at that instant, so ``hour = wall //
3600000`` and ``day = wall // 86400000`` number local hours and local dates (``day == hour // 24``
exactly, and hour-of-day, weekday and hour-of-week fall out of the same arithmetic). A DST day
has 23 or 25 hours of events; in the autumn the repeated hour shares one wall-hour bucket.

SQLite knows no zones, and a Python function called per row would hold the GIL during a fold.
Instead :meth:`LocalTime.wall_sql` writes the offset as a ``CASE`` over the zone's transitions
inside the slice's time span (usually none or one), so the fold stays pure SQL in C.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from datetime import datetime
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

HOUR_MS = 3_600_000
DAY_MS = 86_400_000
_CHUNK_MS = 64 * DAY_MS  # offsets are worked out lazily, 64 days at a time


class LocalTime:
    """One IANA zone's offsets, with the bucket arithmetic the rollups use. Thread-safe."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.zone = ZoneInfo(name)
        self._chunks: dict[int, tuple[list[int], list[int]]] = {}
        self._lock = threading.Lock()
        self._hot = (0, 0, 0)  # (start, end, offset) of the segment last asked about

    def __repr__(self) -> str:
        return f"LocalTime({self.name!r})"

    # ---- offsets -------------------------------------------------------------------------
    def _probe(self, ms: int) -> int:
        off = datetime.fromtimestamp(ms / 1000, self.zone).utcoffset()
        return int(off.total_seconds() * 1000) if off is not None else 0

    def _chunk(self, k: int) -> tuple[list[int], list[int]]:
        """Segment starts and offsets covering ``[k * _CHUNK_MS, (k + 1) * _CHUNK_MS)``."""
        found = self._chunks.get(k)
        if found is not None:
            return found
        lo = k * _CHUNK_MS
        starts, offsets = [lo], [self._probe(lo)]
        # Probing each day finds every transition: since 2000 no zone has changed twice in a day.
        prev_t, prev = lo, offsets[0]
        for t in range(lo + DAY_MS, lo + _CHUNK_MS + DAY_MS, DAY_MS):
            t = min(t, lo + _CHUNK_MS - 1000)
            cur = self._probe(t)
            if cur != prev:
                a, b = prev_t // 1000, t // 1000  # transitions fall on whole seconds: bisect to one
                while b - a > 1:
                    mid = (a + b) // 2
                    if self._probe(mid * 1000) == prev:
                        a = mid
                    else:
                        b = mid
                starts.append(b * 1000)
                offsets.append(cur)
                prev = cur
            prev_t = t
        with self._lock:
            self._chunks[k] = (starts, offsets)
        return starts, offsets

    def offset_ms(self, ts_ms: int) -> int:
        """The zone's UTC offset at an instant."""
        lo, hi, off = self._hot  # folds ask about runs of nearby instants: remember the last segment
        if lo <= ts_ms < hi:
            return off
        k = ts_ms // _CHUNK_MS
        starts, offsets = self._chunk(k)
        i = bisect_right(starts, ts_ms) - 1
        self._hot = (starts[i], starts[i + 1] if i + 1 < len(starts) else (k + 1) * _CHUNK_MS, offsets[i])
        return offsets[i]

    def segments(self, lo_ms: int, hi_ms: int) -> list[tuple[int, int]]:
        """``(start, offset)`` runs of constant offset covering ``[lo_ms, hi_ms]``; the first start is lo_ms."""
        out: list[tuple[int, int]] = [(lo_ms, self.offset_ms(lo_ms))]
        for k in range(lo_ms // _CHUNK_MS, hi_ms // _CHUNK_MS + 1):
            starts, offsets = self._chunk(k)
            for s, off in zip(starts, offsets, strict=True):
                if lo_ms < s <= hi_ms and off != out[-1][1]:
                    out.append((s, off))
        return out

    # ---- buckets -------------------------------------------------------------------------
    def wall(self, ts_ms: int) -> int:
        """Local wall-clock time of an instant, as milliseconds of a UTC-like count."""
        return ts_ms + self.offset_ms(ts_ms)

    def day(self, ts_ms: int) -> int:
        """Local date of an instant, as days since 1970-01-01."""
        return self.wall(ts_ms) // DAY_MS

    def hour(self, ts_ms: int) -> int:
        """Local wall hour of an instant, as hours since 1970-01-01T00:00 local."""
        return self.wall(ts_ms) // HOUR_MS

    def instant(self, wall_ms: int) -> int:
        """The instant a wall time names: the first of two in a repeated hour, the end of a skipped one."""
        segs = self.segments(wall_ms - 2 * DAY_MS, wall_ms + 2 * DAY_MS)  # offsets stay within ±1 day
        valid = [wall_ms - off for _, off in segs if self.offset_ms(wall_ms - off) == off]
        if valid:
            return min(valid)
        for start, _ in segs[1:]:  # in a spring-forward gap: the transition itself
            if self.wall(start) > wall_ms:
                return start
        return wall_ms - segs[-1][1]

    def day_start(self, day: int) -> int:
        """The instant a local date begins."""
        return self.instant(day * DAY_MS)

    def iso(self, ts_ms: int) -> str:
        """ISO 8601 local time with its offset (``Z`` in UTC), milliseconds."""
        text = datetime.fromtimestamp(ts_ms / 1000, self.zone).isoformat(timespec="milliseconds")
        return text.replace("+00:00", "Z")

    def wall_iso(self, wall_ms: int) -> str:
        """ISO label of a wall time (a bucket start), with the offset in force then."""
        return self.iso(self.instant(wall_ms))

    # ---- SQL -----------------------------------------------------------------------------
    def wall_sql(self, column: str, lo_ms: int | None, hi_ms: int | None) -> str:
        """SQL for ``column``'s local wall time, exact for values in ``[lo_ms, hi_ms]``.

        Only integers from the zone's own offset table are spliced in (never caller text).
        """
        if lo_ms is None or hi_ms is None:
            return column
        segs = self.segments(int(lo_ms), max(int(lo_ms), int(hi_ms)))
        if len(segs) == 1:
            off = segs[0][1]
            return f"({column} + {off})" if off else column
        cases = " ".join(f"WHEN {column} < {start} THEN {prev}" for (_, prev), (start, _) in pairwise(segs))
        return f"({column} + CASE {cases} ELSE {segs[-1][1]} END)"


@lru_cache(maxsize=16)
def local_time(name: str) -> LocalTime:
    """The shared :class:`LocalTime` for a zone name (offset tables are worked out once)."""
    return LocalTime(name)
