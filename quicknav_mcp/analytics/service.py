"""The analytics service: ingestion, the rollup subscriber, queries, retention, import, privacy.

Write path: ``track_events`` validates each item, appends the good ones to ``events`` and puts
one ``analytics.events`` message in the outbox in the same transaction, then wakes the bus. The
``rollups`` subscriber folds those events into the an_* tables on its own thread, moving its
cursor in the same transaction, so rollups are exactly-once and survive restarts.

Days and hours are local to the configured zone. The rollups record the zone they were built in
and every fold and query uses that one, so a changed zone takes effect at ``rebuild`` (until
then ``timezone_status`` and the dashboard's notice say a rebuild is due).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import InvalidInput
from ..localzone import check_timezone
from ..logs import user_hash
from ..store import Connection, Store
from . import history, legacy, live, queries, reports, rollups
from .bus import EventBus, Message, publish
from .db import Conn, get_meta, set_meta
from .events import (
    FLAG_AUTOMATIC,
    FLAG_IMPORTED,
    FLAG_UNKNOWN_PROJECT,
    INSERT_COLUMNS,
    EventError,
    EventRow,
    now_ms,
    project_number,
    validate_event,
)
from .localtime import LocalTime, local_time
from .models import (
    BatchResult,
    Dashboard,
    ImportResult,
    ItemProblem,
    PerformanceSummary,
    ProjectMetrics,
    Report,
    SearchTrends,
    TrackResult,
    UserActivity,
)
from .settings import AnalyticsSettings
from .timerange import Range, parse_range, period_range
from .tracking import Tracker

log = logging.getLogger(__name__)

TOPIC_EVENTS = "analytics.events"
ROLLUPS = "rollups"
CLOSE_DRAIN_SECONDS = 1.0  # closing waits this long at most for the rollups to fold the last events
_INSERT = f"INSERT OR IGNORE INTO events({INSERT_COLUMNS}) VALUES ({','.join('?' * len(EventRow._fields))})"
_CHUNK = 500  # SQL parameters per IN (...) lookup


def _event_id_of(raw: object) -> str | None:
    if isinstance(raw, dict):
        value = raw.get("event_id")
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)[:128]
    return None


class AnalyticsService:
    """Analytics for one database file. Thread-safe; start() launches the background workers."""

    def __init__(
        self,
        store: Store,
        *,
        user: str,
        settings: AnalyticsSettings | None = None,
        start: bool = True,
        timezone: str = "UTC",
        readonly: bool = False,
    ) -> None:
        self.path = Path(store.path)
        self.user = user
        check_timezone(timezone)
        self.timezone = timezone  # IANA name the rollups should be bucketed in (rebuild applies a change)
        self.settings = settings or AnalyticsSettings()
        # Read-only (a dashboard beside a server): no writer, no rollup folding, tracked events dropped.
        self.readonly = readonly
        self._reader = Conn(self.path, readonly=readonly)
        self._writer = self._reader if readonly else Conn(self.path)
        self.bus = EventBus(self.path, poll_interval=self.settings.poll_interval, reader=self._reader)
        self.bus.subscribe(
            ROLLUPS,
            [TOPIC_EVENTS],
            self._apply_messages,
            transactional=True,
            batch_size=self.settings.rollup_batch,
            batch_items=self.settings.rollup_events,
        )
        self.tracker = Tracker(
            self._discard if readonly else self._write_automatic, flush_interval=self.settings.flush_interval
        )
        self._maintenance: threading.Thread | None = None
        self._stopping = threading.Event()
        self._closed = False
        zone = self.timezone_status()
        if zone["rebuild_needed"]:
            log.warning("%s", zone["hint"])
        if start and not readonly:
            self.start()

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        self.bus.start()
        self.tracker.start()
        if self.settings.maintenance_interval > 0 and self._maintenance is None:
            self._maintenance = threading.Thread(target=self._maintain, name="analytics-maintenance", daemon=True)
            self._maintenance.start()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stopping.set()
        self.tracker.close()  # writes every queued event
        try:
            self.bus.drain(self._reader, CLOSE_DRAIN_SECONDS)  # folds them into the rollups now
        except Exception as exc:  # the durable cursors catch up on the next start
            log.warning("analytics rollups not caught up before closing: %s", exc)
        self.bus.stop()
        if self._maintenance is not None:
            self._maintenance.join(10)
        self._writer.close()
        if self._reader is not self._writer:
            self._reader.close()

    def _maintain(self) -> None:
        # First pass shortly after start (not during it), then every interval.
        delay = min(60.0, self.settings.maintenance_interval)
        while not self._stopping.wait(delay):
            try:
                if self.settings.retention_days > 0:
                    self.compact()
                self.bus.prune(self._writer, abandon_after_ms=30 * rollups.DAY_MS)
            except Exception:
                log.exception("analytics maintenance failed; will retry")
            delay = self.settings.maintenance_interval

    # ---- ingestion -----------------------------------------------------------------------
    def track_event(self, event: dict[str, Any], *, default_user: str | None = None) -> TrackResult:
        """Record one event; :class:`InvalidInput` says what is wrong with a bad one."""
        result, ids = self._ingest([event], default_user=default_user)
        if result.errors:
            raise InvalidInput(result.errors[0].reason)
        return TrackResult(
            event_id=ids[0], stored=result.duplicate_items == 0, warnings=[w.reason for w in result.warnings]
        )

    def track_events(
        self,
        events: Sequence[Any],
        *,
        default_user: str | None = None,
        limit: int | None = None,
        flags: int = 0,
    ) -> BatchResult:
        """Validate and store a batch: good items are kept, each bad one is reported by index."""
        return self._ingest(events, default_user=default_user, limit=limit, flags=flags)[0]

    def _ingest(
        self, events: Sequence[Any], *, default_user: str | None = None, limit: int | None = None, flags: int = 0
    ) -> tuple[BatchResult, list[str]]:
        if not isinstance(events, list | tuple):
            raise InvalidInput(f"events must be a list of event objects, got {type(events).__name__}")
        limit = self.settings.batch_limit if limit is None else limit
        received = now_ms()
        errors: list[ItemProblem] = []
        warnings: list[ItemProblem] = []
        accepted: list[tuple[int, EventRow]] = []
        seen: dict[str, int] = {}
        cap = self.settings.metadata_cap
        for index, raw in enumerate(events):
            if index >= limit:
                reason = f"beyond the batch limit of {limit} items; send it in another batch"
                errors.append(ItemProblem(index=index, event_id=_event_id_of(raw), reason=reason))
                continue
            try:
                checked = validate_event(
                    raw, default_user=default_user, received_ms=received, metadata_cap=cap, extra_flags=flags
                )
            except EventError as exc:
                errors.append(ItemProblem(index=index, event_id=_event_id_of(raw), reason=str(exc)))
                continue
            row = checked.row
            if row.event_id in seen:
                reason = f"duplicate event_id: same as item {seen[row.event_id]} of this batch"
                errors.append(ItemProblem(index=index, event_id=row.event_id, reason=reason))
                continue
            seen[row.event_id] = index
            warnings.extend(ItemProblem(index=index, event_id=row.event_id, reason=w) for w in checked.warnings)
            accepted.append((index, row))
        duplicates, unknown = self._store(accepted)
        for index, row in accepted:
            if row.project_id in unknown and index not in duplicates:
                reason = f"project {row.project_id} is not in the index: stored and flagged"
                warnings.append(ItemProblem(index=index, event_id=row.event_id, reason=reason))
        if errors:
            log.info("analytics batch: %d stored, %d rejected", len(accepted) - len(duplicates), len(errors))
        warnings.sort(key=lambda w: w.index)
        result = BatchResult(
            total_items=len(events),
            successful_items=len(accepted),
            failed_items=len(errors),
            duplicate_items=len(duplicates),
            errors=errors,
            warnings=warnings,
            duplicates=sorted(duplicates),
        )
        return result, [row.event_id for _, row in accepted]

    def _store(self, accepted: list[tuple[int, EventRow]]) -> tuple[set[int], set[str]]:
        """Append new events and their outbox message in one transaction.

        Returns the indexes that were already stored and the project ids not in the index.
        """
        if not accepted:
            return set(), set()
        codes = list({row.project_id for _, row in accepted if row.project_id})
        with self._writer.write() as c:
            known: set[str] = set()
            for i in range(0, len(codes), _CHUNK):
                chunk = codes[i : i + _CHUNK]
                known.update(
                    r[0]
                    for r in c.execute(
                        f"SELECT DISTINCT code FROM projects WHERE code IN ({','.join('?' * len(chunk))})", chunk
                    )
                )
            unknown = set(codes) - known
            rows = [
                row._replace(flags=row.flags | FLAG_UNKNOWN_PROJECT) if row.project_id in unknown else row
                for _, row in accepted
            ]
            before = c.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
            changes = c.total_changes
            c.executemany(_INSERT, rows)
            inserted = c.total_changes - changes
            duplicates: set[int] = set()
            if inserted < len(rows):
                # Some ids were already stored (a replay): find which, to report them.
                ids = [row.event_id for row in rows]
                old: set[str] = set()
                for i in range(0, len(ids), _CHUNK):
                    chunk = ids[i : i + _CHUNK]
                    old.update(
                        r[0]
                        for r in c.execute(
                            "SELECT event_id FROM events WHERE seq <= ? AND event_id IN "
                            f"({','.join('?' * len(chunk))})",
                            (before, *chunk),
                        )
                    )
                duplicates = {index for index, row in accepted if row.event_id in old}
            if inserted:
                after = c.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0]
                publish(c, TOPIC_EVENTS, {"from": before + 1, "to": after, "n": inserted})
        if inserted:  # after the commit: subscribers would not see the rows before it
            history.tail(self._writer.path).appended(before + 1, None if duplicates else rows, after)
            self.bus.notify([TOPIC_EVENTS])
        return duplicates, unknown

    def record_tool_call(self, event: dict[str, Any]) -> None:
        """Queue an automatically tracked event (never blocks, never raises)."""
        if self.settings.tracking and not self._closed:
            self.tracker.record(event)

    def _write_automatic(self, events: list[dict[str, Any]]) -> None:
        result = self.track_events(events, default_user=self.user, limit=len(events), flags=FLAG_AUTOMATIC)
        if result.errors:
            log.warning(
                "automatic tracking produced %d invalid events: %s", len(result.errors), result.errors[0].reason
            )

    def _discard(self, events: list[dict[str, Any]]) -> None:
        log.debug("read-only analytics: %d automatic events not recorded", len(events))

    def flush(self, timeout: float = 10.0) -> bool:
        """Write queued automatic events now."""
        return self.tracker.flush(timeout)

    # ---- the rollup subscriber -------------------------------------------------------------
    def _apply_messages(self, c: Connection | None, messages: list[Message]) -> None:
        assert c is not None  # transactional subscriber
        # Consecutive messages cover consecutive seq ranges: fold them as one slice.
        spans = [(int(m.payload.get("from", 0)), int(m.payload.get("to", -1))) for m in messages]
        spans = [(lo, hi) for lo, hi in spans if hi >= lo]
        if spans:
            zone = rollups.ensure_zone(c, self.timezone)
            rollups.fold(c, *rollups.seq_slice(min(lo for lo, _ in spans), max(hi for _, hi in spans)), zone=zone)

    def follow(self, name: str, listener: Callable[[list[dict[str, Any]]], None], *, start: str = "now") -> None:
        """Hand each batch of events stored from ``start`` on (see :meth:`EventBus.subscribe`) to ``listener``.

        The events are dicts of :data:`live.EVENT_COLUMNS`, oldest first. ``listener`` runs on the
        subscriber's own bus thread; a second subscriber of the same ``name`` is a ValueError.
        """

        def handle(_c: Connection | None, messages: list[Message]) -> None:
            events = live.announced(self._reader, messages)
            if events:
                listener(events)

        self.bus.subscribe(name, [TOPIC_EVENTS], handle, start=start)

    def wait_for_rollups(self, timeout: float = 30.0) -> bool:
        """Block until the rollups include every event stored so far (tests, CLI, benchmarks)."""
        self.flush(timeout)
        return self.bus.wait_idle(self._reader, [ROLLUPS], timeout)

    def pending(self) -> int:
        """Events stored but not yet folded into the rollups."""
        row = self._reader.query_one(
            "SELECT coalesce(sum(json_extract(payload, '$.n')), 0) FROM bus_outbox WHERE topic = ? AND id > "
            "coalesce((SELECT position FROM bus_cursors WHERE subscriber = ?), 0)",
            (TOPIC_EVENTS, ROLLUPS),
        )
        return int(row[0])

    def rebuild(self) -> dict[str, Any]:
        """Recompute every rollup from the log (from the compaction watermark on), in the configured zone.

        Rows older than the watermark have no raw events left and keep the zone they were built in.
        """
        started = time.monotonic()
        with self._writer.write() as c:
            watermark = get_meta(c, "compacted_before_ms", 0) or None
            previous = rollups.rollup_zone(c, self.timezone).name
            rollups.clear(c, since_ms=watermark)  # in the old zone: it finds the rows where they are
            rollups.record_zone(c, local_time(self.timezone))
            applied = rollups.replay(c, since_ms=watermark)
            set_meta(c, "applied_seq", c.execute("SELECT coalesce(max(seq), 0) FROM events").fetchone()[0])
            head = c.execute("SELECT coalesce(max(id), 0) FROM bus_outbox").fetchone()[0]
            c.execute(
                "INSERT INTO bus_cursors(subscriber, position, updated_ms) VALUES (?, ?, ?) "
                "ON CONFLICT(subscriber) DO UPDATE SET position = excluded.position, updated_ms = excluded.updated_ms",
                (ROLLUPS, head, now_ms()),
            )
        seconds = round(time.monotonic() - started, 3)
        log.info("analytics rebuilt from %d events in %.1fs", applied, seconds)
        return {
            "events_replayed": applied,
            "compacted_before": watermark,
            "seconds": seconds,
            "timezone": self.timezone,
            "previous_timezone": previous,
        }

    def timezone_status(self) -> dict[str, Any]:
        """The configured zone, the zone the rollups are bucketed in, and whether a rebuild is due."""
        with self._reader.read() as c:
            built = rollups.rollup_zone(c, self.timezone).name
        stale = built != self.timezone
        hint = (
            f"analytics rollups are bucketed in {built} but the configured time zone is {self.timezone}: "
            "run `quicknav analytics rebuild` to re-bucket them (until then reports use "
            f"{built})"
            if stale
            else None
        )
        return {"configured": self.timezone, "rollups": built, "rebuild_needed": stale, "hint": hint}

    def _zone(self, c: Connection) -> LocalTime:
        """The zone queries read buckets in: the one the rollups were built in."""
        return rollups.rollup_zone(c, self.timezone)

    # ---- retention and privacy -------------------------------------------------------------
    def compact(self, max_age_days: int | None = None, *, now: int | None = None) -> dict[str, Any]:
        """Delete raw events older than the retention age (whole local days) that the rollups hold.

        Rollups keep their history; hour-level rollups older than the cutoff are dropped too
        (the day-level ones keep those days), so the file stops growing under a steady stream.
        """
        days = self.settings.retention_days if max_age_days is None else max_age_days
        if days <= 0:
            return {"deleted": 0, "cutoff": None}
        now = now_ms() if now is None else now
        with self._reader.read() as c:
            tz = self._zone(c)
        cutoff = tz.day_start(tz.day(now - days * rollups.DAY_MS))  # local midnight: day rows stay whole
        applied = self._applied_seq()  # only events the rollups already hold may go
        seqs = [
            r[0] for r in self._reader.query("SELECT seq FROM events WHERE ts_ms < ? AND seq <= ?", (cutoff, applied))
        ]
        deleted = 0
        for i in range(0, len(seqs), 5000):  # short transactions: ingestion keeps flowing
            chunk = seqs[i : i + 5000]
            with self._writer.write() as c:
                deleted += c.execute(f"DELETE FROM events WHERE seq IN ({','.join('?' * len(chunk))})", chunk).rowcount
        with self._writer.write() as c:
            if cutoff > get_meta(c, "compacted_before_ms", 0):
                set_meta(c, "compacted_before_ms", cutoff)
            hour = tz.hour(cutoff)
            for table in ("an_type_hour", "an_latency_hour", "an_user_hour"):
                c.execute(f"DELETE FROM {table} WHERE hour < ?", (hour,))
        pruned = self.bus.prune(self._writer, abandon_after_ms=30 * rollups.DAY_MS)
        if deleted:
            log.info("analytics compacted %d raw events older than %d days", deleted, days)
        return {"deleted": deleted, "cutoff": cutoff, "outbox_pruned": pruned}

    def _applied_seq(self) -> int:
        row = self._reader.query_one("SELECT value FROM an_meta WHERE key = 'applied_seq'")
        return int(row[0]) if row else 0

    def forget(self, user_id: str) -> dict[str, Any]:
        """Delete a user's raw events, personal rollups and preferences; take their events out
        of the shared counts so the numbers match a rebuild."""
        if not isinstance(user_id, str) or not user_id.strip() or len(user_id) > 128:
            raise InvalidInput("user must be a user id of 1 to 128 characters")
        user_id = user_id.strip()
        with self._writer.write() as c:
            applied = get_meta(c, "applied_seq")
            rollups.unfold(c, *rollups.user_slice(user_id, applied))
            events = c.execute("DELETE FROM events WHERE user_id = ?", (user_id,)).rowcount
            personal = rollups.drop_sessions(c, "user_id = ?", (user_id,))
            for table in rollups.PERSONAL_TABLES:
                personal += c.execute(f"DELETE FROM {table} WHERE user_id = ?", (user_id,)).rowcount
            prefs = c.execute("DELETE FROM user_preferences WHERE user_id = ?", (user_id,)).rowcount
        log.info("analytics forgot user %s: %d events, %d personal rollup rows", user_hash(user_id), events, personal)
        return {
            "user": user_hash(user_id),
            "events_deleted": events,
            "personal_rows_deleted": personal,
            "preferences_deleted": prefs,
        }

    # ---- legacy import -----------------------------------------------------------------------
    def import_legacy(self, path: str | Path, *, user: str | None = None) -> ImportResult:
        """Import ``~/.quicknav_userdata.json``: history as events, preferences as preferences."""
        user = (user or self.user).strip()
        path = Path(path).expanduser()
        prefs, history, mtime = legacy.read_userdata(path)
        items, problems = legacy.history_events(history, user, mtime, local_time(self.timezone).zone)
        imported = duplicates = 0
        errors = list(problems)
        for i in range(0, len(items), 1000):
            chunk = items[i : i + 1000]
            result = self.track_events([e for _, e in chunk], default_user=user, flags=FLAG_IMPORTED)
            imported += result.successful_items - result.duplicate_items
            duplicates += result.duplicate_items
            errors.extend(
                ItemProblem(index=chunk[e.index][0], event_id=e.event_id, reason=e.reason) for e in result.errors
            )
        pref_rows, pref_problems = legacy.preference_rows(prefs)
        if pref_rows:
            with self._writer.write() as c:
                c.executemany(
                    "INSERT INTO user_preferences(user_id, key, value, source, updated_ms) "
                    "VALUES (?, ?, ?, 'legacy', ?) "
                    "ON CONFLICT(user_id, key) DO UPDATE SET value = excluded.value, source = excluded.source, "
                    "updated_ms = excluded.updated_ms",
                    [(user, k, v, now_ms()) for k, v in pref_rows],
                )
        errors.sort(key=lambda e: e.index)
        log.info("legacy import for %s: %d events, %d problems", user_hash(user), imported, len(errors))
        return ImportResult(
            path=str(path),
            history_entries=len(history),
            imported=imported,
            duplicates=duplicates,
            failed=len(errors),
            errors=errors[:200],
            preferences_imported=len(pref_rows),
            preference_errors=pref_problems,
        )

    def preferences(self, user: str | None = None) -> dict[str, Any]:
        import json

        rows = self._reader.query("SELECT key, value FROM user_preferences WHERE user_id = ?", (user or self.user,))
        return {r[0]: json.loads(r[1]) for r in rows}

    # ---- queries -------------------------------------------------------------------------------
    def dashboard(self, start: str | None = None, end: str | None = None, *, top: int = 10) -> Dashboard:
        pending = self.pending()
        with self._reader.read() as c:
            rng = parse_range(start, end, tz=self._zone(c))
            board = queries.dashboard(c, rng, top=top, pending=pending)
        if rng.tz.name != self.timezone:
            board.notice = self.timezone_status()["hint"]
        return board

    def project_metrics(self, project: object, start: str | None = None, end: str | None = None) -> ProjectMetrics:
        try:
            code = project_number(project)
        except EventError as exc:
            raise InvalidInput(str(exc).replace("project_id", "project_number")) from None
        if code is None:
            raise InvalidInput("project_number is required (a 5-digit project number)")
        with self._reader.read() as c:
            rng = parse_range(start, end, default_days=365, tz=self._zone(c))
            return queries.project_metrics(c, code, rng)

    def search_trends(
        self, start: str | None = None, end: str | None = None, granularity: str | None = "auto", *, limit: int = 10
    ) -> SearchTrends:
        with self._reader.read() as c:
            rng = parse_range(start, end, tz=self._zone(c))
            gran = queries.check_granularity(rng, granularity)
            return queries.search_trends(c, rng, gran, limit)

    def user_activity(
        self, user_id: str | None = None, start: str | None = None, end: str | None = None
    ) -> UserActivity:
        user = self.user if user_id is None else user_id
        if not isinstance(user, str) or not user.strip() or len(user) > 128:
            raise InvalidInput("user_id must be 1 to 128 characters")
        with self._reader.read() as c:
            rng = parse_range(start, end, tz=self._zone(c))
            return queries.user_activity(c, user.strip(), rng)

    def performance_summary(
        self, start: str | None = None, end: str | None = None, operation: str | None = None
    ) -> PerformanceSummary:
        with self._reader.read() as c:
            rng = parse_range(start, end, default_days=7, tz=self._zone(c))
            return queries.performance(c, rng, operation=operation)

    def run_report(
        self,
        metric: str,
        group_by: str | Iterable[str] | None = None,
        period: str | None = "last_30_days",
        filters: object = None,
        *,
        limit: int = 100,
    ) -> Report:
        if isinstance(group_by, str):
            dims = [d.strip() for d in group_by.split(",") if d.strip()]
        else:
            dims = list(group_by or [])
        if not 1 <= limit <= 1000:
            raise InvalidInput("limit must be between 1 and 1000")
        with self._reader.read() as c:
            rng: Range = period_range(period, tz=self._zone(c))
            return reports.run_report(c, metric, dims, rng, filters, limit=limit)

    def events_per_minute(self, minutes: int = 60, *, now_ms: int | None = None) -> list[int]:
        """Events per minute over the last ``minutes`` minutes, oldest first (live views)."""
        if not 1 <= minutes <= 24 * 60:
            raise InvalidInput("minutes must be between 1 and 1440")
        end = now_ms if now_ms is not None else int(time.time() * 1000)
        with self._reader.read() as c:
            return live.per_minute(c, end - minutes * live.MINUTE_MS, end)

    def counts(self) -> dict[str, int]:
        """Raw and derived sizes (for status and benchmarks)."""
        out = {"events": self._reader.query_one("SELECT count(*) FROM events")[0]}
        out["outbox"] = self._reader.query_one("SELECT count(*) FROM bus_outbox")[0]
        out["pending"] = self.pending()
        return out

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        with self._reader.read() as c:
            return rollups.snapshot(c)
