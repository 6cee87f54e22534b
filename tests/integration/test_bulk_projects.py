"""Project rows and facts written set-based leave the same search rows as the per-row triggers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlean as sqlite3

from quicknav_mcp.pathkey import path_key
from quicknav_mcp.repo.bulk import MIN_BULK_ROWS, insert_projects, update_project_facts
from quicknav_mcp.repo.projects import INSERT_SQL
from quicknav_mcp.store import Store, latest_version, migrations

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


def test_projects_inserted_in_bulk_get_the_search_rows_the_trigger_gives(tmp_path: Path) -> None:
    n = MIN_BULK_ROWS + 6
    bulk, rowwise = _store(tmp_path / "bulk.db", 3), _store(tmp_path / "rows.db", 3)
    # Some with client names already (as a project another writer re-added), most without.
    rows = [
        (1, f"{18000 + i}", f"{18000 + i} - PLWRX  Fitout {i}", f"q/{18000 + i}", None, "PLWRX", f"Fitout {i}", 1.0)
        for i in range(n)
    ]
    with bulk.transaction() as conn:
        ids = insert_projects(conn, rows)
        assert conn.execute("SELECT count(*) FROM bulk_write").fetchone()[0] == 0
    with rowwise.transaction() as conn:
        want_ids = [conn.execute(INSERT_SQL, row).lastrowid for row in rows]  # the trigger, row by row
    assert ids == want_ids == list(range(4, 4 + n))
    got, want = _search_rows(bulk), _search_rows(rowwise)
    assert got == want
    pending = "SELECT count(*) FROM project_facts_dirty"
    assert bulk.query_one(pending)[0] == rowwise.query_one(pending)[0] == n + 3
    assert bulk.query_tuples("SELECT rowid FROM search_projects WHERE search_projects MATCH 'fitout'") == [
        (i,) for i in ids
    ]
    # A few rows go in one at a time, through the trigger.
    with bulk.transaction() as conn:
        (one,) = insert_projects(conn, [(1, "19000", "19000 - DWNR Hall", "r/19000", None, "DWNR", "Hall", None)])
    assert bulk.query_tuples("SELECT rowid FROM search_projects_tri WHERE search_projects_tri MATCH 'dwnr'") == [(one,)]


def test_a_database_of_version_13_upgrades_with_its_project_search_rows(tmp_path: Path) -> None:
    """Migration 0014 only guards the insert trigger: rows written before stay, and it still fires row by row."""
    path = tmp_path / "old.db"
    old = sqlite3.connect(str(path), isolation_level=None)
    old.create_function("path_key", 1, path_key, deterministic=True)  # as the store registers it
    for number, _, sql in migrations():
        if number <= 13:
            old.executescript(sql)
    old.execute("PRAGMA user_version = 13")
    old.execute("INSERT INTO roots (path) VALUES ('/firm')")
    old.execute(INSERT_SQL, (1, "17000", "17000 - PLWRX Level 1", "p/17000", None, "PLWRX", "Level 1", None))
    old.close()
    store = Store(path)
    assert store.query_one("PRAGMA user_version")[0] == latest_version() >= 14
    with store.transaction() as conn:
        insert_projects(conn, [(1, "17001", "17001 - DWNR Hall", "p/17001", None, "DWNR", "Hall", None)])
    match = "SELECT rowid FROM search_projects WHERE search_projects MATCH ?"
    assert store.query_tuples(match, ("plwrx",)) == [(1,)] and store.query_tuples(match, ("dwnr",)) == [(2,)]
