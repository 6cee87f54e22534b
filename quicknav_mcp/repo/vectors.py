"""The vector tables: sqlite-vec ``vec0`` tables (cosine) of documents and projects.

The ``vec0`` tables are created at run time, not in a migration, because the extension may be
missing (then semantic search is simply off). Which rows are valid is decided by the state
tables of migration 0003 (``embedding_state`` / ``project_embedding_state``): they are deleted
by cascade with their document, so a vector whose state row is gone is ignored and later
garbage-collected, and ids reused by SQLite never inherit an old vector. The embedding worker
writes them; search reads them into memory (``search.vectors.MatrixIndex``).
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
}


def _meta(store: Store, key: str) -> str | None:
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
    known = _meta(store, f"{table}.dim")
    exists = store.query_one("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)) is not None
    if exists and known == str(dim):
        return True
    with store.transaction() as conn:
        if exists:
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
    return store.vec_available and store.query_one("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)) is not None


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
