"""Project facts written set-based leave the same search rows as the per-row trigger."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from quicknav_mcp.repo.bulk import MIN_BULK_ROWS, update_project_facts
from quicknav_mcp.store import Store

#: The same columns as the facts update, written row by row so the trigger runs.
UPDATE = "UPDATE projects SET doc_count = ?, client_names = ? WHERE id = ?"


def _store(path: Path, projects: int) -> Store:
    store = Store(path)
    with store.transaction() as conn:
        root = conn.execute("INSERT INTO roots (path) VALUES ('/firm')").lastrowid
        conn.executemany(
            "INSERT INTO projects (root_id, code, folder_name, rel_path, client, description) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (root, f"{17000 + i}", f"{17000 + i} - PLWRX Level {i}", f"p/{17000 + i}", "PLWRX", f"Level {i}")
                for i in range(projects)
            ],
        )
    return store


def _search_rows(store: Store) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with store.transaction() as conn:
        for table in ("search_projects", "search_projects_tri"):
            conn.execute(f"CREATE VIRTUAL TABLE temp.v_{table} USING fts5vocab(main, {table}, instance)")
            out[table] = conn.execute(f"SELECT * FROM temp.v_{table} ORDER BY 1, 2, 3, 4").fetchall()
            conn.execute(f"DROP TABLE temp.v_{table}")
    out["match"] = store.query_tuples(
        "SELECT rowid, bm25(search_projects) FROM search_projects WHERE search_projects MATCH 'poolwerx' ORDER BY rowid"
    )
    out["version"] = store.query_tuples("SELECT n FROM search_versions WHERE name = 'projects'")
    return out


def test_facts_updated_in_bulk_leave_the_search_rows_the_trigger_leaves(tmp_path: Path) -> None:
    n = MIN_BULK_ROWS + 6
    # Every third project gets a new count only: the trigger leaves its search rows alone, and so must the caller.
    rows = [(i, "[]" if i % 3 == 0 else json.dumps(["Poolwerx", f"Client {i}"]), i + 1) for i in range(n)]
    ids = [pid for _, names, pid in rows if names != "[]"]
    bulk, rowwise = _store(tmp_path / "bulk.db", n), _store(tmp_path / "rows.db", n)
    with bulk.transaction() as conn:
        update_project_facts(conn, rows, ids)
        assert conn.execute("SELECT count(*) FROM bulk_write").fetchone()[0] == 0
    with rowwise.transaction() as conn:
        conn.executemany(UPDATE, rows)  # the trigger, row by row
    got, want = _search_rows(bulk), _search_rows(rowwise)
    assert got == want
    assert len(got["match"]) == len(ids) and got["search_projects_tri"]
    # Outside a bulk update the trigger keeps the search rows in step, one row at a time.
    with bulk.transaction() as conn:
        update_project_facts(conn, [(1, json.dumps(["Downer"]), 1)], [1])
    assert bulk.query_tuples("SELECT rowid FROM search_projects WHERE search_projects MATCH 'downer'") == [(1,)]
