"""Bulk writes: the search-row triggers' work done once per batch (``documents`` and ``projects`` inserts,
``projects`` facts).

Row by row, each inserted document runs three triggers (its search rows, the change counter, its
project's facts mark), which cost more than the insert. :func:`insert_documents` sets the
``bulk_write`` flag that makes those triggers stand aside (migration 0009), inserts the batch (one
statement, from a staging table), and does the same work set-based for the rows it added, in the
caller's transaction: a crash rolls back rows and derived rows together, and no other connection
ever sees the flag. The search rows come from the same views the triggers copy from, so what a row
holds is still defined once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from ..store import Connection
from .documents import INSERT_SQL, WRITE_COLUMNS
from .projects import FACTS_UPDATE_SQL
from .projects import INSERT_SQL as PROJECT_INSERT_SQL
from .sql import marks

#: Below this many rows the triggers are cheaper than the extra statements.
MIN_BULK_ROWS = 64

#: A batch's rows, staged in this connection's temporary table and inserted by one ``INSERT ... SELECT``.
#: Row by row, each execution of :data:`~.documents.INSERT_SQL` is a statement of its own (with a statement
#: journal copy of every page it touches); one statement for the batch writes the same rows in the same
#: order (ids included: ``ORDER BY rowid``; a row taking over another row of the batch still does) for
#: about half the CPU. The staging table has no types: values reach ``documents`` as bound.
_STAGE_COLUMNS = ("root_id", *WRITE_COLUMNS)
_STAGE_CREATE = f"CREATE TEMP TABLE IF NOT EXISTS document_batch ({', '.join(_STAGE_COLUMNS)})"
_STAGE_FILL = f"INSERT INTO temp.document_batch VALUES ({marks(len(_STAGE_COLUMNS))})"
_STAGE_CLEAR = "DELETE FROM temp.document_batch"
# INSERT_SQL is "INSERT INTO documents (...) VALUES (...) ON CONFLICT ... DO UPDATE ...": its head and upsert.
if INSERT_SQL.count(" VALUES ") != 1 or INSERT_SQL.count(" ON CONFLICT ") != 1:  # pragma: no cover - a new shape
    raise ImportError("repo.documents.INSERT_SQL changed shape: update the staged insert in repo/bulk.py")
_VALUES, _UPSERT = INSERT_SQL.split(" VALUES ", 1)[0], INSERT_SQL.split(" ON CONFLICT ", 1)[1]
# ``WHERE true``: without a WHERE, SQLite would read ON CONFLICT as a join's ON.
_STAGE_INSERT = (
    f"{_VALUES} SELECT {', '.join(_STAGE_COLUMNS)} FROM temp.document_batch WHERE true ORDER BY rowid "
    f"ON CONFLICT {_UPSERT}"
)

_SEARCH_DOCS = (
    "INSERT INTO search_docs (rowid, name, folders, project, family, content, code) "
    "SELECT id, name, folders, project, family, content, code FROM search_doc_rows WHERE id > ?"
)
_SEARCH_DOCS_TRI = "INSERT INTO search_docs_tri (rowid, name) SELECT id, name FROM search_doc_rows WHERE id > ?"
_FACTS_DIRTY = "INSERT OR IGNORE INTO project_facts_dirty (project_id) SELECT project_id FROM documents WHERE id > ?"
_VERSION = "UPDATE search_versions SET n = n + (SELECT count(*) FROM documents WHERE id > ?) WHERE name = 'documents'"


#: Projects' search rows copied from their view, for the projects ``{where}`` picks.
_PROJECTS_ROWS = (
    "INSERT INTO search_projects (rowid, code, name, client, description) "
    "SELECT id, code, name, client, description FROM search_project_rows WHERE {where}",
    "INSERT INTO search_projects_tri (rowid, text) SELECT id, text FROM search_project_rows WHERE {where}",
)
#: Rewritten for changed projects (migration 0013).
_PROJECTS_SEARCH = (
    "DELETE FROM search_projects WHERE rowid IN ({ids})",
    "DELETE FROM search_projects_tri WHERE rowid IN ({ids})",
    *(sql.format(where="id IN ({ids})") for sql in _PROJECTS_ROWS),
)
#: New projects' search rows (migration 0014): rows above the largest id before the batch, as for documents.
_PROJECTS_NEW = tuple(sql.format(where="id > ?") for sql in _PROJECTS_ROWS)


#: The documents' full-text tables, which a root's first scan fills batch after batch.
DOC_FTS = ("search_docs", "search_docs_tri")
#: FTS5's own default ``automerge`` (segments of a level merged once this many have piled up).
AUTOMERGE = 4


def doc_fts_merging(conn: Connection, on: bool) -> None:
    """Turn the incremental merging of the documents' full-text segments off (a first scan's bulk load) or back on.

    Each batch a first scan commits adds a segment to each table, and with ``automerge`` FTS5 merges them a
    little at every commit (~1 CPU-s of a 116k-document first scan's writer); off, they pile up (FTS5 still
    merges 16 of a level at once: ``crisismerge``) until the scan turns it back on and the background indexer
    merges each index into one segment (search/segments.py). The setting is stored in the database: a scan
    killed meanwhile leaves it off, and the next scan turns it back on (:func:`restore_doc_fts_merging`)."""
    for table in DOC_FTS:
        conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('automerge', ?)", (AUTOMERGE if on else 0,))


def restore_doc_fts_merging(conn: Connection) -> None:
    """Turn merging back on if a scan killed during its bulk load left it off (nothing is written otherwise)."""
    off = conn.execute(f"SELECT 1 FROM {DOC_FTS[0]}_config WHERE k = 'automerge' AND v = 0").fetchone()
    if off is not None:
        doc_fts_merging(conn, True)


@contextmanager
def _triggers_aside(conn: Connection) -> Iterator[None]:
    """The ``bulk_write`` flag: the guarded triggers stand aside until the block ends."""
    conn.execute("INSERT INTO bulk_write (active) VALUES (1)")
    try:
        yield
    finally:
        conn.execute("DELETE FROM bulk_write")


def update_project_facts(conn: Connection, rows: Sequence[tuple[int, str, int]], ids: Sequence[int]) -> None:
    """Write projects' facts (``(doc_count, client_names, id)`` rows), with the search rows of ``ids`` (the
    projects whose client names change: what the trigger would rewrite) rewritten once (migration 0013),
    inside the caller's transaction."""
    if len(rows) < MIN_BULK_ROWS:
        conn.executemany(FACTS_UPDATE_SQL, rows)
        return
    with _triggers_aside(conn):
        conn.executemany(FACTS_UPDATE_SQL, rows)
    if not ids:
        return
    where = marks(len(ids))
    for statement in _PROJECTS_SEARCH:
        conn.execute(statement.format(ids=where), ids)


def insert_documents(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert rows of :data:`~.documents.INSERT_SQL` (``root_id`` first) inside the caller's transaction."""
    if len(rows) < MIN_BULK_ROWS:
        conn.executemany(INSERT_SQL, rows)
        return
    # Rows this batch adds get ids above the current maximum: the caller holds the write lock, and
    # rows taken over by the upsert keep their (lower) ids and run the UPDATE triggers as before.
    last = conn.execute("SELECT coalesce(max(id), 0) FROM documents").fetchone()[0]
    conn.execute(_STAGE_CREATE)
    conn.executemany(_STAGE_FILL, rows)
    with _triggers_aside(conn):
        conn.execute(_STAGE_INSERT)
    conn.execute(_STAGE_CLEAR)  # on an error the caller's rollback empties it
    for sql in (_SEARCH_DOCS, _SEARCH_DOCS_TRI, _FACTS_DIRTY, _VERSION):
        conn.execute(sql, (last,))


def insert_projects(conn: Connection, rows: Sequence[tuple[Any, ...]]) -> list[int]:
    """Insert rows of :data:`~.projects.INSERT_SQL` (``root_id`` first) inside the caller's transaction; return
    their ids, in order."""
    if len(rows) < MIN_BULK_ROWS:
        return [conn.execute(PROJECT_INSERT_SQL, row).lastrowid for row in rows]
    # As for documents: the caller holds the write lock, so the new rows get the ids above the maximum.
    last = conn.execute("SELECT coalesce(max(id), 0) FROM projects").fetchone()[0]
    with _triggers_aside(conn):
        conn.executemany(PROJECT_INSERT_SQL, rows)
    for sql in _PROJECTS_NEW:
        conn.execute(sql, (last,))
    ids = [r[0] for r in conn.execute("SELECT id FROM projects WHERE id > ? ORDER BY id", (last,))]
    if len(ids) != len(rows):  # never: an INSERT that fails raises, and nothing else writes meanwhile
        raise RuntimeError(f"{len(rows)} projects inserted, {len(ids)} new ids")
    return ids
