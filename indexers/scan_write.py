"""Writing a scan's rows: batches of inserts and updates on a helper thread, and the ``scans`` row."""

from __future__ import annotations

import abc
import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from operator import itemgetter
from pathlib import Path
from typing import Any

from quicknav_mcp import gc_threshold
from quicknav_mcp.models import SCAN_COUNTERS
from quicknav_mcp.repo.bulk import doc_fts_merging, insert_documents
from quicknav_mcp.repo.documents import UPDATE_SQL as UPDATE_DOC_SQL
from quicknav_mcp.store import Store
from quicknav_mcp.timestamps import now_iso

from . import project_facts, scan_parse
from .scan_base import JOB_ROW_ID, Job, ScanBase, ScanOptions, _chunks, _join, _safe, log

#: The cycle collector's first threshold during a bulk load (see gc_threshold.py).
BULK_GC_THRESHOLD = 50_000
#: Rows written per transaction; also written when this many seconds passed since the last.
BATCH_ROWS = 2000
BATCH_SECONDS = 0.5
#: A batch is queued once BATCH_ROWS are pending, so it holds a few rows more (the rest of the project or folder
#: that crossed the mark): up to this many times BATCH_ROWS it is written in one transaction, not split into
#: BATCH_ROWS and a remainder of a few rows (half the commits: 0.3-0.8 CPU-s less of a 116k-file first scan's
#: writer). A batch holding a big project's rows is split in equal parts, so a lookup of a serving process (the
#: reindex tool's scan) waits for at most this many times BATCH_ROWS rows; a shared scan's parts are SHARED_BATCH_ROWS.
BATCH_OVERSHOOT = 2
#: ``shared`` scans (the watcher's, inside a serving process whose lookups share the store's one
#: connection): this many rows per transaction, then a pause of SHARED_PAUSE times the transaction
#: (capped), so the writer holds the store at most a third of the time while it absorbs a burst.
SHARED_BATCH_ROWS = 25
SHARED_PAUSE = 2.0
SHARED_PAUSE_MAX = 0.1
SHARED_FACTS_BATCH = 5  # projects whose facts one transaction recomputes (a big project takes a while)

_COUNTS_SET = ", ".join(f"{name} = ?" for name in SCAN_COUNTERS)  # the report's counters, columns of ``scans``


def _part_rows(total: int, limit: int) -> int:
    """Rows per transaction writing ``total`` rows in equal parts of at most ``limit``."""
    return -(-total // -(-total // limit))


class ScanWriter(ScanBase, abc.ABC):
    """Batches the walk's rows and writes them while the walk goes on."""

    def __init__(self, store: Store, root: Path, options: ScanOptions) -> None:
        super().__init__(store, root, options)
        self.batch_rows = SHARED_BATCH_ROWS if self.shared else BATCH_ROWS
        self.facts_batch = SHARED_FACTS_BATCH if self.shared else project_facts.BATCH_PROJECTS
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="scan-writer")
        self._writer_future: Future[None] | None = None
        self._parsing: list[tuple[list[Job], list[Future[list[Any]]]]] = []
        self._pool: scan_parse.ParsePool | None = None
        self._parse_total = 0
        # A root's first scan: facts of the projects walked by the workers, written with their last rows.
        self.facts_known: project_facts.Known = {}
        # A first scan with workers is a bulk load: full-text merging off until it ends (repo/bulk.py).
        self._bulk_load = False
        self._merging_off = False  # set by the writer once it turned merging off
        self._gc_hold: int | None = None

    @abc.abstractmethod
    def _values_of(self, job: Job) -> tuple[Any, ...] | None:
        """A file's insert row parsed here (``root_id`` first; None when its name cannot be parsed: recorded);
        see :mod:`.scan_walk`."""

    def _take_parsed(self, *, force: bool) -> None:
        """Turn the files to parse into rows to write: inline, or through the worker processes
        (one batch in flight while the walk goes on; ``force`` waits for every batch)."""
        jobs, self.jobs = self.jobs, []
        self._parse_total += len(jobs)
        if jobs:
            self._start_pool()
        if self._pool is None:
            self._rows_of(jobs, [self._values_of(j) for j in jobs])
            return
        if jobs:
            self._parsing.append((jobs, self._pool.submit(self.root_id, jobs)))
        while self._parsing and (force or len(self._parsing) > 1):
            done, futures = self._parsing.pop(0)
            self._rows_of(done, [v for f in futures for v in f.result()])

    def _rows_of(self, jobs: list[Job], results: list[Any]) -> None:
        """Queue the parsed rows of ``jobs`` (in order) as inserts and updates; record names not parsed."""
        report = self.report
        ids = list(map(itemgetter(JOB_ROW_ID), jobs))
        if ids.count(None) == len(ids) and str not in map(type, results) and None not in results:
            self.inserts.extend(results)  # new files all parsed (every file of a first scan): rows as they are
            report.added += len(results)
            return
        for job, row_id, row in zip(jobs, ids, results, strict=True):
            if row is None:
                continue
            if isinstance(row, str):  # a worker could not parse the name
                self._not_parsed(self._rel_of(job), row)
            elif row_id is None:
                self.inserts.append(row)
                report.added += 1
            else:
                self.updates.append((*row[1:], row_id))  # UPDATE_SQL: the values without root_id, then the id
                report.updated += 1

    def _not_parsed(self, rel: str, why: str, exc: BaseException | None = None) -> None:
        """Record a name that could not be parsed (``why``: :func:`.scan_parse.failure`; ``exc``, when parsed
        here: logged with its traceback)."""
        log.error("parse_document failed on %s: %s", _safe(rel), why, exc_info=exc)
        self._problem(rel, "error", f"could not parse the name: {why}")

    def _rel_of(self, job: Job) -> str:
        """A job's path relative to the root."""
        return _join(self.projects[job[0]].rel_path, job[3])

    def _start_pool(self) -> scan_parse.ParsePool | None:
        """The worker processes, started when this scan parses enough names for them (None: parsed inline)."""
        if self._pool is None and not self.shared and self._many_to_parse():
            self._pool = scan_parse.ParsePool()
            # A bulk load. Its transactions stay BATCH_ROWS: 4x larger ones saved ~0.4 of the writer's ~6 CPU-s
            # but held the store's lock ~0.9 s each, which a lookup in a serving process (the reindex tool) waits.
            # (Workers forked later inherit the raised threshold: they make short-lived rows, so it suits them.)
            if self.first_scan:
                self._bulk_load = True
                self._gc_hold = gc_threshold.hold(BULK_GC_THRESHOLD)
        return self._pool

    def _many_to_parse(self) -> bool:
        """Whether this scan parses enough names for worker processes (see :mod:`.scan_parse`)."""
        if self._parse_total >= scan_parse.POOL_MIN_FILES:
            return True
        return self.first_scan and self.projects_total >= scan_parse.POOL_MIN_PROJECTS

    def _close_pool(self) -> None:
        token, self._gc_hold = self._gc_hold, None
        if token is not None:  # (first: closing the pool may raise, or be interrupted)
            gc_threshold.release(token)
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.close()

    def _flush(self, *, force: bool = False) -> None:
        """Hand the pending rows to the writer once there are enough (``force``: all of them, and wait until
        they are written, so that what runs next reads them)."""
        self._queue_batch(force=force)
        if force:
            self._wait_writer()

    def _queue_batch(self, *, force: bool) -> None:
        pending = len(self.jobs) + len(self.inserts) + len(self.updates) + len(self.pending_problems)
        if not pending and not (force and self._parsing) and not self.facts_known:
            return
        now = time.monotonic()
        if not force and pending < self.batch_rows and now - self.last_flush < BATCH_SECONDS:
            return
        self._take_parsed(force=force)
        # Projects whose rows are all queued by now, with the facts the workers computed of them.
        facts, self.facts_known = self.facts_known, {}
        if not (self.inserts or self.updates or self.pending_problems or facts):
            return
        inserts, updates, problems = self.inserts, self.updates, self.pending_problems
        self.inserts, self.updates, self.pending_problems = [], [], []
        # SQLite releases the GIL while it writes, so the batch is written on a helper thread while
        # this one goes on walking and parsing. One batch in flight at most: order is preserved and
        # memory stays bounded; a write error surfaces at the next flush.
        self._wait_writer()
        self._writer_future = self._writer.submit(self._write_batch, inserts, updates, problems, facts)
        self.last_flush = time.monotonic()

    def _write_batch(
        self, inserts: list[Any], updates: list[Any], problems: list[Any], facts: project_facts.Known
    ) -> None:
        total = max(len(inserts) + len(updates), 1)
        n = _part_rows(total, self.batch_rows if self.shared else self.batch_rows * BATCH_OVERSHOOT)
        for i in range(0, total, n):
            ins, upd = inserts[i : i + n], updates[max(0, i - len(inserts)) : max(0, i + n - len(inserts))]
            with self._paced(), self.store.transaction() as conn:
                if self._bulk_load and not self._merging_off:
                    doc_fts_merging(conn, False)
                    self._merging_off = True  # turned back on when the scan ends, however it ends
                if ins:
                    insert_documents(conn, ins)
                if upd:
                    conn.executemany(UPDATE_DOC_SQL, upd)
                if problems and not i:
                    conn.executemany(
                        "INSERT INTO scan_problems (scan_id, path, kind, message) VALUES (?, ?, ?, ?)", problems
                    )
                if facts and i + n >= total:  # with the projects' last rows, in their transaction
                    project_facts.refresh_ids(conn, facts)
                self._write_counts(conn)

    @contextlib.contextmanager
    def _paced(self) -> Iterator[None]:
        """A shared scan leaves the store to lookups after each write (SHARED_PAUSE times as long as it held it)."""
        t = time.monotonic()
        yield
        if self.shared:
            time.sleep(min((time.monotonic() - t) * SHARED_PAUSE, SHARED_PAUSE_MAX))

    def _wait_writer(self) -> None:
        future, self._writer_future = self._writer_future, None
        if future is not None:
            future.result()

    def _write_counts(self, conn: Any, *, status: str | None = None) -> None:
        r = self.report
        conn.execute(
            f"UPDATE scans SET {_COUNTS_SET}, seconds = ?, status = coalesce(?, status), "
            "finished_at = coalesce(?, finished_at) WHERE id = ?",
            (
                *r.counts().values(),
                round(time.monotonic() - self.t0, 3),
                status,
                r.finished_at if status else None,
                r.scan_id,
            ),
        )

    # ---------------------------------------------------------------- phases

    def _write_chunks(self, sql: str | None, items: list[Any]) -> None:
        """``executemany`` of ``sql`` (None: document inserts) in transactions of at most ``batch_rows`` rows."""
        for chunk in _chunks(items, self.batch_rows):
            with self._paced(), self.store.transaction() as conn:
                if sql is None:
                    insert_documents(conn, chunk)
                else:
                    conn.executemany(sql, chunk)

    def _merging_back(self, conn: Any) -> None:
        """Full-text merging back on after a bulk load (see repo/bulk.py: doc_fts_merging), in the scan's last
        transaction: the flag is cleared once that commits (a rollback would undo the setting)."""
        if self._merging_off:
            doc_fts_merging(conn, True)

    def _finish(self, status: str) -> None:
        rep = self.report
        rep.status = status
        rep.finished_at = now_iso()
        rep.seconds = round(time.monotonic() - self.t0, 3)
        problems, self.pending_problems = self.pending_problems, []
        with self.store.transaction() as conn:
            if problems:
                conn.executemany(
                    "INSERT INTO scan_problems (scan_id, path, kind, message) VALUES (?, ?, ?, ?)", problems
                )
            self._merging_back(conn)
            self._write_counts(conn, status=status)
        self._merging_off = False
        self.phase = "done"
        self._tick(force=True)

    def _finish_failed(self) -> None:
        rep = self.report
        rep.status = "failed"
        rep.finished_at = now_iso()
        rep.seconds = round(time.monotonic() - self.t0, 3)
        try:
            with self.store.transaction() as conn:
                self._merging_back(conn)
                self._write_counts(conn, status="failed")
            self._merging_off = False
        except Exception:
            log.exception("could not mark scan %d as failed", rep.scan_id)


# --------------------------------------------------------------------------- public API
