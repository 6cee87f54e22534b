"""The embedding worker's window pipeline: windows of pending documents read, planned, embedded and
written, two at a time (one in the model while the next is read and the one before written).

:class:`~.embed.EmbedWorker` runs one :class:`WindowPipeline` per kind of vector (identity, then
content); the texts and the worker's settings (window sizes, token cuts) are :mod:`.embed`'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quicknav_mcp.repo import vectors
from quicknav_mcp.repo.sql import marks

from . import embed as E

if TYPE_CHECKING:
    from .embed import EmbedWorker

# Identity rows: the pending ids (up to IDENTITY_BULK_MIN: how many says whether this is a backlog), then
# the details of the window's (its stamp read with its names, in one snapshot).
_IDENTITY_IDS = f"""
SELECT d.id {E.IDENTITY_TODO}
ORDER BY d.indexed_at DESC  -- what the file watcher just indexed goes ahead of the backlog
LIMIT ?
"""

_IDENTITY_ROWS = f"""
SELECT d.id, d.name, d.project_rel_path, p.folder_name,
       (SELECT words FROM search_family_words WHERE doc_type = d.doc_type) AS family, {E.IDENTITY_STAMP} AS stamp
FROM documents d JOIN projects p ON p.id = d.project_id WHERE d.id IN ({{ids}})
"""

_CONTENT_ROWS = f"""
SELECT d.id, c.text, (SELECT words FROM search_family_words WHERE doc_type = d.doc_type) AS family,
       {E.CONTENT_STAMP} AS stamp
{E.CONTENT_TODO}
ORDER BY c.extracted_at DESC
LIMIT ?
"""

# A state row's ``embedded_at`` is the stamp of the row its text was made from, as read
# (``embed.IDENTITY_STAMP`` / ``CONTENT_STAMP``), not a clock: a document is pending while its stamp
# differs. A writer stamps a row when its statement runs and readers see the row when it commits; a
# clock read before a window's rows (as before) could be later than the stamp of a rename whose
# statement had run and whose transaction had not committed when the rows were read (a scan's
# transaction of many rows; a writer held up on a busy machine): the old names were marked done and
# never embedded again. The row's own stamp is that of the version read, so any change committed after
# the read is pending. Writers give every version of a row a stamp of its own (``timestamps.restamp_sql``:
# 1 ms past the row's stamp when the clock is not later), so a change made in the millisecond of the
# version read is pending too.
_UPSERT = (
    "INSERT INTO {state} (doc_id, sig, model, seq, embedded_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT(doc_id) DO UPDATE SET sig = excluded.sig, model = excluded.model, "
    "seq = excluded.seq, embedded_at = excluded.embedded_at"
)
_TOUCH = "UPDATE {state} SET embedded_at = ? WHERE doc_id = ?"


@dataclass
class _Item:
    doc_id: int
    text: str
    sig: str
    stamp: str  # the row's ``indexed_at`` (and ``extracted_at``) as read: its ``embedded_at`` once written
    ids: list[int] | None = None  # the token ids embedded (content), when the model gives them


@dataclass
class _Window:
    """One window of the worker: read and planned, then embedded (``job``), then written."""

    kind: str
    state: str
    table: str
    model: str
    items: list[_Item]
    todo: list[_Item] = field(default_factory=list)  # texts changed: vectors to write
    unchanged: list[_Item] = field(default_factory=list)  # same text as embedded: only touched
    by_sig: dict[str, list[_Item]] = field(default_factory=dict)
    stored: dict[str, Any] = field(default_factory=dict)  # vectors of these texts already stored
    borrowed: list[str] = field(default_factory=list)  # texts embedded by ``before``
    before: _Window | None = None
    fresh: list[str] = field(default_factory=list)  # texts to embed, shortest first
    fresh_set: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)
    token_ids: list[list[int]] | None = None
    job: Future[dict[str, Any]] | None = None
    backlog: bool = False  # IDENTITY_BULK_MIN rows or more were pending, and most of this window's texts are new
    vectors: dict[str, Any] = field(default_factory=dict)  # fresh texts' vectors, once written


class WindowPipeline:
    """The windows of one worker run: its reads go through the worker's own connection, its writes
    through the store, its vectors come from the worker's embedder."""

    def __init__(self, worker: EmbedWorker) -> None:
        self.store = worker.store
        self.embedder = worker.embedder
        self.read = worker.read
        self.next_seq = worker.next_seq

    def run(
        self,
        kind: str,
        report: E.EmbedReport,
        budget: Callable[[], int | None],
        stopped: Callable[[], bool],
        progress: Callable[[int, int], None] | None,
        total: int,
    ) -> bool:
        """Embed windows of ``kind`` until none is left (True) or the budget/cancel stops it.

        A pipeline of two windows: while one is in the model (on the ``feed`` thread, which waits for
        the background pool), this thread writes the one before and reads and tokenises the one
        after, so the pool finds the next window queued when it is done with one, instead of waiting
        for the reads, tokens and writes between them (~0.3 s of every ~10 s window)."""
        from concurrent.futures import ThreadPoolExecutor

        model = self.embedder.name
        state, table = (
            ("embedding_state", "vec_documents")
            if kind == "identity"
            else (vectors.TABLES[E.CONTENT_TABLE][0], E.CONTENT_TABLE)
        )
        size = E.IDENTITY_WINDOW if kind == "identity" else E.CONTENT_WINDOW
        seen: set[int] = set()
        ahead: _Window | None = None  # in the model, not yet written (its rows are still pending in the database)
        written_at = [time.perf_counter()]  # when the last window was written (the worker's rate)
        feed = ThreadPoolExecutor(1, thread_name_prefix="quicknav-embed-feed")
        try:
            while not stopped():
                left = budget()
                in_model = len(ahead.items) if ahead is not None else 0
                if left is not None and left - in_model <= 0:
                    break
                want = size if left is None else min(size, left - in_model)
                rows, pending = self._next_rows(kind, model, want, in_model, seen)
                if not rows:
                    if ahead is not None:
                        self._finish(ahead, report, progress, total, written_at)
                    return True
                seen.update(r[0] for r in rows)
                window = self._plan(kind, state, table, rows, model, ahead)
                # (mostly new texts: a rescan that only touched many documents re-embeds few)
                window.backlog = pending >= E.IDENTITY_BULK_MIN and 2 * len(window.fresh) >= len(rows)
                # Queued behind ``ahead``: the pool goes on to it, unless a stop came meanwhile.
                window.job = feed.submit(self._encode, window, stopped)
                if ahead is not None:
                    self._finish(ahead, report, progress, total, written_at)
                ahead = window
            if ahead is not None:  # stopped (or out of budget): the window under way is written, as before; one
                # queued behind it and not started when the stop came is dropped (its rows stay pending)
                self._finish(ahead, report, progress, total, written_at)
        except BaseException:
            feed.shutdown(wait=False, cancel_futures=True)  # the window in the model is dropped, not waited for
            raise
        feed.shutdown(wait=True)
        return False

    def _unseen(self, sql: str, model: str, limit: int, want: int, seen: set[int]) -> list[Any]:
        """The rows of ``sql`` (params: the model, a limit) not in ``seen``: at least ``want`` when there are.
        Documents handled earlier in this run and changed again since sort first (newest stamps) and can
        fill a read: it reads further, else the run would end with the rest left unread."""
        while True:
            read = self.read(sql, (model, limit))
            rows = [r for r in read if r[0] not in seen]
            if len(rows) >= want or len(read) < limit:
                return rows
            limit *= 2

    def _next_rows(self, kind: str, model: str, want: int, in_model: int, seen: set[int]) -> tuple[list[Any], int]:
        """The next window's rows (up to ``want``, none of ``seen``: read before) and how many are
        pending (identity: up to IDENTITY_BULK_MIN, counted by id)."""
        if kind == "content":
            rows = self._unseen(_CONTENT_ROWS, model, want + in_model, want, seen)
            return rows[:want], len(rows)
        # Counted up to IDENTITY_BULK_MIN even when the budget asks for fewer (the server's background
        # slices): how many are pending says whether this is a backlog (a first scan: torch) or a few
        # renames (the numpy encoder). Only the window's details are read.
        while True:
            ids = [
                r[0] for r in self._unseen(_IDENTITY_IDS, model, max(want, E.IDENTITY_BULK_MIN) + in_model, want, seen)
            ]
            take = ids[:want]
            found = {r[0]: r for r in self.read(_IDENTITY_ROWS.format(ids=marks(len(take))), take)} if take else {}
            if found or not take:  # (none found: deleted between the two reads, so no longer pending)
                return [found[i] for i in take if i in found], len(ids)

    def _finish(
        self,
        window: _Window,
        report: E.EmbedReport,
        progress: Callable[[int, int], None] | None,
        total: int,
        written_at: list[float],
    ) -> None:
        """Wait for ``window``'s vectors, write them, and count it."""
        assert window.job is not None
        fresh = window.job.result()
        if fresh is None:  # stopped before it went into the model (stops stick: later windows too)
            return
        written, reused, unchanged = self._write(window, fresh)
        report.documents += written
        report.skipped_unchanged += unchanged
        if window.kind == "identity":
            report.identity += written
        else:
            report.content += written
            report.content_reused += reused
        now = time.perf_counter()
        rate = len(window.items) / max(now - written_at[0], 1e-6)
        written_at[0] = now
        old = self.embedder.rates.get(window.kind)
        self.embedder.rates[window.kind] = round(rate if old is None else 0.7 * old + 0.3 * rate, 1)
        if progress is not None:
            progress(report.documents + report.skipped_unchanged, total)

    def _item(self, kind: str, r: Any, model: str) -> _Item:
        if kind == "identity":
            name = r["name"] or ""
            folders = r["project_rel_path"][: -len(name)] if name else ""
            text = E.identity_text(name, folders, r["folder_name"], r["family"] or "")
            return _Item(r["id"], text, E.text_sig(text, model), r["stamp"])
        text = E.content_text(r["family"] or "", r["text"])
        return _Item(r["id"], text, E.text_sig(f"{E.CONTENT_TOKENS}\n{text}", model), r["stamp"])

    def _sign_tokens(self, items: list[_Item], model: str) -> None:
        """Content texts are signed by the tokens the model reads, not the whole text: two texts
        that differ only after the cut (a template whose project details come late) are one
        vector, embedded once."""
        ids = self.embedder.token_ids([it.text for it in items], E.CONTENT_TOKENS)
        if ids is None:
            return
        for it, tokens in zip(items, ids, strict=True):
            it.ids = tokens
            it.sig = E.text_sig("tokens " + " ".join(map(str, tokens)), model)

    def _plan(self, kind: str, state: str, table: str, rows: list[Any], model: str, ahead: _Window | None) -> _Window:
        """What a window's rows need: texts, which are unchanged, which are embedded (token ids)."""
        items = [self._item(kind, r, model) for r in rows]
        if kind == "content":
            self._sign_tokens(items, model)
        ids = [it.doc_id for it in items]
        known = {
            r[0]: r[1] for r in self.read(f"SELECT doc_id, sig FROM {state} WHERE doc_id IN ({marks(len(ids))})", ids)
        }
        w = _Window(kind, state, table, model, items)
        w.unchanged = [it for it in items if known.get(it.doc_id) == it.sig]
        w.todo = [it for it in items if known.get(it.doc_id) != it.sig]
        # Identical texts: embedded once in this window, and not at all when stored before (or in the
        # window before, still in the model: its vector is taken when that one is done).
        for it in w.todo:
            w.by_sig.setdefault(it.sig, []).append(it)
        if state != "embedding_state":
            w.stored = self._stored_vectors(state, table, list(w.by_sig), model)
            if ahead is not None:
                w.before = ahead
                w.borrowed = [s for s in w.by_sig if s not in w.stored and s in ahead.fresh_set]
        taken = set(w.stored) | set(w.borrowed)
        w.fresh = sorted((s for s in w.by_sig if s not in taken), key=lambda s: len(w.by_sig[s][0].text))
        w.fresh_set = set(w.fresh)
        if w.fresh:
            # Token ids (content: signed by them already): documents go to the worker's model (torch when
            # it loads: ~1.35x the numpy encoder's documents per CPU second, ~1.2x in the whole worker); texts only
            # for other models.
            first = w.by_sig[w.fresh[0]][0]
            w.texts = [w.by_sig[s][0].text for s in w.fresh]
            tokens = E.IDENTITY_TOKENS if state == "embedding_state" else E.CONTENT_TOKENS
            w.token_ids = [w.by_sig[s][0].ids or [] for s in w.fresh] if first.ids is not None else None
            if w.token_ids is None:
                w.token_ids = self.embedder.token_ids(w.texts, tokens)
        return w

    def _encode(self, w: _Window, stopped: Callable[[], bool]) -> dict[str, Any] | None:
        """The vectors of ``w``'s fresh texts, by text hash (on the feed thread)."""
        if stopped():
            return None
        if not w.fresh:
            return {}
        if w.token_ids is not None:
            # Content always loads torch; identity only for a backlog (a first scan), not a few renames.
            bulk = w.state != "embedding_state" or w.backlog or len(w.token_ids) >= E.IDENTITY_BULK_MIN
            out = self.embedder.encode_ids(w.token_ids, load_bulk=bulk)
        else:
            tokens = E.IDENTITY_TOKENS if w.state == "embedding_state" else E.CONTENT_TOKENS
            out = self.embedder.encode(w.texts, background=True, max_tokens=tokens)
        return dict(zip(w.fresh, out, strict=True))

    def _write(self, w: _Window, fresh: dict[str, Any]) -> tuple[int, int, int]:
        """Write ``w``'s vectors and state in one transaction; returns (written, reused, unchanged)."""
        import numpy as np

        vecs: dict[str, Any] = dict(w.stored)
        if w.before is not None:
            vecs.update((s, w.before.vectors[s]) for s in w.borrowed)
            w.before = None  # done with it: its vectors can go
        vecs.update(fresh)
        w.vectors = fresh
        ids = [it.doc_id for it in w.items]
        seq = self.next_seq(w.state)
        with self.store.transaction() as conn:
            live = {r[0] for r in conn.execute(f"SELECT id FROM documents WHERE id IN ({marks(len(ids))})", ids)}
            keep = [it for it in w.todo if it.doc_id in live]
            if keep:
                vectors.write_vectors(
                    conn, w.table, [it.doc_id for it in keep], np.vstack([vecs[it.sig] for it in keep])
                )
                conn.executemany(
                    _UPSERT.format(state=w.state), [(it.doc_id, it.sig, w.model, seq, it.stamp) for it in keep]
                )
            if w.unchanged:
                conn.executemany(_TOUCH.format(state=w.state), [(it.stamp, it.doc_id) for it in w.unchanged])
        reused = sum(1 for it in keep if it.sig not in w.fresh_set) + sum(max(0, len(w.by_sig[s]) - 1) for s in w.fresh)
        return len(keep), reused, len(w.unchanged)

    def _stored_vectors(self, state: str, table: str, sigs: list[str], model: str) -> dict[str, Any]:
        """Vectors already stored for these text hashes (another document with the same text)."""
        import numpy as np

        out: dict[str, Any] = {}
        for start in range(0, len(sigs), 500):
            chunk = sigs[start : start + 500]
            rows = self.read(
                f"SELECT s.sig, v.embedding FROM {state} s JOIN {table} v ON v.rowid = s.doc_id "
                f"WHERE s.model = ? AND s.sig IN ({marks(len(chunk))}) GROUP BY s.sig",
                (model, *chunk),
            )
            out.update((r[0], np.frombuffer(r[1], dtype=np.float32)) for r in rows)
        return out
