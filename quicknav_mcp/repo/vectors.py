"""The vector tables: sqlite-vec ``vec0`` tables (cosine) of documents and projects.

A document has up to two vectors: its *identity* (name, folders, project, family: every
document, ``vec_documents``) and its *content* (family and the start of its extracted text:
only documents with text, ``vec_doc_content``).

The ``vec0`` tables are created at run time, not in a migration, because the extension may be
missing (then semantic search is simply off); so is the content vectors' state table, which
only means something next to its ``vec0`` table. Which rows are valid is decided by the state
tables (``embedding_state`` / ``project_embedding_state`` of migration 0003,
``content_embedding_state``): they are deleted by cascade with their document, so a vector
whose state row is gone is ignored and later garbage-collected, and ids reused by SQLite never
inherit an old vector. The embedding worker writes them; search reads them into memory
(``search.vectors.MatrixIndex``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from ..store import Store

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

TABLES = {
    # vec table -> (state table, key column)
    "vec_documents": ("embedding_state", "doc_id"),
    "vec_projects": ("project_embedding_state", "project_id"),
    "vec_doc_content": ("content_embedding_state", "doc_id"),
}

# State tables created with their vec0 table (the others come from migration 0003). `sig` hashes
# the embedded text, so identical texts (templates repeated across projects) are embedded once.
_RUNTIME_STATE = {
    "content_embedding_state": (
        """CREATE TABLE IF NOT EXISTS content_embedding_state (
            doc_id       INTEGER PRIMARY KEY REFERENCES documents(id) ON DELETE CASCADE,
            sig          TEXT NOT NULL,
            model        TEXT NOT NULL,
            seq          INTEGER NOT NULL,
            embedded_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
        )""",
        "CREATE INDEX IF NOT EXISTS content_embedding_state_seq ON content_embedding_state(seq)",
        "CREATE INDEX IF NOT EXISTS content_embedding_state_sig ON content_embedding_state(model, sig)",
        # Search reloads its vector matrices when this counter moves (see search/versions.py).
        """CREATE TRIGGER IF NOT EXISTS search_version_content_embeddings_ai
           AFTER INSERT ON content_embedding_state
           BEGIN UPDATE search_versions SET n = n + 1 WHERE name = 'embeddings'; END""",
        """CREATE TRIGGER IF NOT EXISTS search_version_content_embeddings_au
           AFTER UPDATE ON content_embedding_state
           BEGIN UPDATE search_versions SET n = n + 1 WHERE name = 'embeddings'; END""",
        """CREATE TRIGGER IF NOT EXISTS search_version_content_embeddings_ad
           AFTER DELETE ON content_embedding_state
           BEGIN UPDATE search_versions SET n = n + 1 WHERE name = 'embeddings'; END""",
    ),
}


def meta(store: Store, key: str) -> str | None:
    row = store.query_one("SELECT value FROM search_meta WHERE key = ?", (key,))
    return row[0] if row else None


def ensure_table(store: Store, table: str, dim: int) -> bool:
    """Create ``table`` as ``vec0(embedding float[dim] distance_metric=cosine)`` if needed.

    A table of another dimension (the model changed) is dropped with its state rows.
    Returns False when sqlite-vec is not available.
    """
    if not store.vec_available:
        return False
    state, _ = TABLES[table]
    known = meta(store, f"{table}.dim")
    exists = store.query_one("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)) is not None
    if exists and known == str(dim) and state_exists(store, state):
        return True
    with store.transaction() as conn:
        for ddl in _RUNTIME_STATE.get(state, ()):
            conn.execute(ddl)
        if exists and known != str(dim):
            log.info("dropping %s (dimension %s -> %d)", table, known, dim)
            conn.execute(f"DROP TABLE {table}")
            conn.execute(f"DELETE FROM {state}")
        conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS {table} USING vec0(embedding float[{int(dim)}] distance_metric=cosine)"
        )
        conn.execute(
            "INSERT INTO search_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (f"{table}.dim", str(dim)),
        )
    return True


def table_exists(store: Store, table: str) -> bool:
    """Whether the vec0 ``table`` and its state table exist (and sqlite-vec is loaded)."""
    if not store.vec_available:
        return False
    return state_exists(store, table) and state_exists(store, TABLES[table][0])


def state_exists(store: Store, name: str) -> bool:
    return store.query_one("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)) is not None


def count(store: Store, table: str, model: str) -> int:
    """Documents (or projects) holding a vector of ``table`` for ``model`` (0 when none can)."""
    state, _ = TABLES[table]
    if not state_exists(store, state):
        return 0
    return int(store.query_one(f"SELECT count(*) FROM {state} WHERE model = ?", (model,))[0])


def write_vectors(conn: Any, table: str, ids: list[int], vectors: np.ndarray) -> None:
    """Replace the vectors of ``ids`` (inside the caller's transaction)."""
    conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(i,) for i in ids])
    conn.executemany(
        f"INSERT INTO {table} (rowid, embedding) VALUES (?, ?)",
        [(i, vectors[n].astype("float32").tobytes()) for n, i in enumerate(ids)],
    )


def delete_orphans(store: Store, table: str) -> int:
    """Remove vectors whose state row is gone (document deleted); returns how many."""
    if not table_exists(store, table):
        return 0
    state, key = TABLES[table]
    rows = store.query(f"SELECT rowid FROM {table} WHERE rowid NOT IN (SELECT {key} FROM {state})")
    if not rows:
        return 0
    with store.transaction() as conn:
        conn.executemany(f"DELETE FROM {table} WHERE rowid = ?", [(r[0],) for r in rows])
    return len(rows)


def coverage(store: Store, model: str, rates: dict[str, float]) -> dict[str, dict[str, float | int | None]]:
    """How far each kind of vector is: ``done`` of ``of``, the worker's recent ``docs_per_s``
    (``rates``, by kind; None before it ran) and ``eta_s`` for the rest at that rate."""
    docs = int(store.query_one("SELECT count(*) FROM documents")[0])
    with_text = int(
        store.query_one("SELECT count(*) FROM document_content WHERE status = 'ok' AND length(text) > 0")[0]
    )
    projects = int(store.query_one("SELECT count(*) FROM projects")[0])
    out: dict[str, dict[str, float | int | None]] = {}
    for kind, table, total in (
        ("identity", "vec_documents", docs),
        ("content", "vec_doc_content", with_text),
        ("projects", "vec_projects", projects),
    ):
        done = min(count(store, table, model), total)
        rate = rates.get(kind)
        left = total - done
        out[kind] = {
            "done": done,
            "of": total,
            "percent": round(100.0 * done / total, 1) if total else 100.0,
            "docs_per_s": rate,
            "eta_s": 0 if not left else (round(left / rate) if rate else None),
        }
    return out
