"""Bulk document inserts leave exactly what the per-row inserts and triggers leave: the same rows and ids,
search rows (term by term), project-facts marks and change count, upserts included (of stored rows and of
rows of the same batch), and no flag or staged row behind on success or error."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from quicknav_mcp.domain import parse_document
from quicknav_mcp.repo import bulk
from quicknav_mcp.repo.documents import INSERT_SQL, WRITE_COLUMNS, document_values
from quicknav_mcp.store import Store

PROJECTS = ["21614 - PLWRX  TR L1 Upgrades", "20699 - PAVS SA  Boardroom Refresh", "17452 - DWNR  Hearing Loop"]
NAMES = [
    "{code} - Sales & PO Report - 03.04.2025.pdf",
    "{code} - CO{n} - Additional displays.docx",
    "{code} - {client} - LEVEL {n} - Rev 10{n}.pdf",
    "Level {n} Floor Plan.pdf",
    "{code} - SWMS working at heights {n}.pdf",
]
FOLDERS = [("1. Sales Handover",), ("3. PMO",), ("4. System Designs", "ARCHIVE"), ("2. BOM & Orders", "Old")]


def _rows(root_id: int, project_ids: list[int], count: int) -> list[tuple[Any, ...]]:
    rows = []
    for i in range(count):
        pid = project_ids[i % len(project_ids)]
        folder = PROJECTS[i % len(PROJECTS)]
        code, client = folder.split(" - ")[0], folder.split(" - ")[1].split()[0]
        folders = FOLDERS[i % len(FOLDERS)]
        name = NAMES[i % len(NAMES)].format(code=code, client=client, n=i)
        rel_pp = "/".join((*folders, name))
        doc = parse_document(folders, name)
        values = document_values(pid, rel_pp, name, 100 + i, 1.7e9 + i, doc)
        rows.append((root_id, *values))
    return rows


def _store(path: Path) -> tuple[Store, list[int]]:
    store = Store(path)
    with store.transaction() as conn:
        root_id = conn.execute("INSERT INTO roots (path) VALUES ('/firm')").lastrowid
        ids = [
            conn.execute(
                "INSERT INTO projects (root_id, code, folder_name, rel_path) VALUES (?, ?, ?, ?)",
                (root_id, f.split(" - ")[0], f, f"Project Folders/{f}"),
            ).lastrowid
            for f in PROJECTS
        ]
        conn.execute("DELETE FROM project_facts_dirty")  # only what the documents mark is compared
    return store, ids


def _state(store: Store) -> dict[str, Any]:
    with store.transaction() as conn:
        for table in ("search_docs", "search_docs_tri"):
            conn.execute(
                f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.v_{table} USING fts5vocab(main, {table}, 'instance')"
            )
    return {
        "search_docs": Counter(tuple(r) for r in store.query("SELECT term, doc, col, offset FROM temp.v_search_docs")),
        "search_docs_tri": Counter(
            tuple(r) for r in store.query("SELECT term, doc, col, offset FROM temp.v_search_docs_tri")
        ),
        "dirty": sorted(r[0] for r in store.query("SELECT project_id FROM project_facts_dirty")),
        "version": store.query_one("SELECT n FROM search_versions WHERE name = 'documents'")[0],
        "flag": store.query_one("SELECT count(*) FROM bulk_write")[0],
        "documents": store.query_tuples(f"SELECT id, root_id, {', '.join(WRITE_COLUMNS)} FROM documents ORDER BY id"),
    }


def _staged(store: Store) -> int:
    """Rows left in the connection's staging table (0 when it was never made)."""
    made = store.query_one("SELECT count(*) FROM temp.sqlite_master WHERE name = 'document_batch'")[0]
    return store.query_one("SELECT count(*) FROM temp.document_batch")[0] if made else 0


@pytest.mark.parametrize(
    ("existing", "repeated"), [(0, 0), (5, 0), (0, 3)], ids=["empty", "with-rows-to-take-over", "repeats-in-batch"]
)
def test_bulk_insert_equals_row_by_row(tmp_path: Path, existing: int, repeated: int) -> None:
    bulk_store, ids = _store(tmp_path / "bulk.db")
    rows_store, _ = _store(tmp_path / "rows.db")
    rows = _rows(1, ids, 150)
    # The same files again with another size: the later row takes over the earlier one's id.
    rows += [(*row[:6], row[6] + 1, *row[7:]) for row in rows[10 : 10 + repeated]]
    assert len(rows) >= bulk.MIN_BULK_ROWS
    try:
        for store in (bulk_store, rows_store):
            with store.transaction() as conn:
                conn.executemany(INSERT_SQL, rows[:existing])  # taken over by the upsert below
                conn.execute("DELETE FROM project_facts_dirty")
        with bulk_store.transaction() as conn:
            bulk.insert_documents(conn, rows)
        with rows_store.transaction() as conn:
            conn.executemany(INSERT_SQL, rows)
        got, want = _state(bulk_store), _state(rows_store)
        assert got["search_docs"] and got["dirty"] == ids
        assert got == want
        assert got["flag"] == 0 and _staged(bulk_store) == 0
        if repeated:
            key = rows[10][1], rows[10][3]  # project_id, path_key: the row holds what was written last
            assert [d[1:] for d in got["documents"] if (d[2], d[4]) == key] == [rows[-repeated]]
    finally:
        bulk_store.close()
        rows_store.close()


def test_failed_bulk_insert_leaves_nothing(tmp_path: Path) -> None:
    store, ids = _store(tmp_path / "bulk.db")
    try:
        rows = _rows(1, ids, 100)
        rows[70] = (*rows[70][:4], None, *rows[70][5:])  # name NULL: NOT NULL constraint
        with pytest.raises(Exception, match="NOT NULL"), store.transaction() as conn:
            bulk.insert_documents(conn, rows)
        state = _state(store)
        assert store.query_one("SELECT count(*) FROM documents")[0] == 0
        assert state["search_docs"] == Counter() and state["dirty"] == [] and state["flag"] == 0
        assert _staged(store) == 0
        # Later single inserts go through the triggers again.
        with store.transaction() as conn:
            conn.executemany(INSERT_SQL, _rows(1, ids, 3))
        assert len(_state(store)["dirty"]) == 3
    finally:
        store.close()
