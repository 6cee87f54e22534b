"""Migration 0005: FTS sync triggers rebuilt from one view per search row; project facts marked for recompute.

A database built and kept in sync by the 0004 triggers must upgrade with its full-text index
unchanged, and from then on the view-driven triggers must write exactly what the 0004 triggers
wrote: both are checked instance by instance (term, row, column, position) through fts5vocab.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlean as sqlite3
from quicknav_mcp.indexers import project_facts

from quicknav_mcp.domain import parse_project_folder
from quicknav_mcp.repo.documents import REL_PATH
from quicknav_mcp.store import Store, connect, migrations

FTS = ("search_docs", "search_docs_tri", "search_projects", "search_projects_tri")
QUERIES = {
    "search_docs": ["spotless", "drawing", "code:20692", "project:plwrx", "content:tesira", "rev AND 101", "co*"],
    "search_docs_tri": ['"OOLWE"', '"B1012"', '"PAVS-2"'],
    "search_projects": ["plwrx", "client:poolwerx", "client:client1", "code:99991", "stage", "upgrades"],
    "search_projects_tri": ['"werx"', '"ient1"', '"Quay"'],
}
_COPY = {
    "roots": "id, path, added_at",
    "projects": "id, root_id, code, folder_name, rel_path, range_folder, client, description, client_names, "
    "doc_count, mtime, indexed_at",
    "documents": "id, project_id, root_id, rel_path, project_rel_path, name, ext, size, mtime, doc_type, phase, "
    "revision, revision_raw, revision_scheme, status_tags, is_as_built, doc_date, room, change_order, sheet, "
    "code_in_name, series_key, is_archive, is_handover_copy, duplicate_counter, indexed_at",
}


def _open_at(path: Path, version: int) -> sqlite3.Connection:
    """A database created by the shipped migrations up to ``version`` only."""
    conn = sqlite3.connect(str(path), isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    for number, _, sql in migrations():
        if number <= version:
            conn.executescript(sql)
    conn.execute(f"PRAGMA user_version = {version}")
    return conn


def _fill(conn: sqlite3.Connection, source: Path) -> None:
    """Copy an indexed database's rows in (through the triggers), then change them every way they change."""
    conn.execute("ATTACH DATABASE ? AS src", (str(source),))
    for table, columns in _COPY.items():
        source = f"SELECT {columns} FROM src.{table} ORDER BY id"
        if table == "documents":  # since 0010 the root-relative path is computed, not stored
            cols = ", ".join(REL_PATH if c == "rel_path" else f"d.{c}" for c in columns.split(", "))
            source = f"SELECT {cols} FROM src.documents d JOIN src.projects p ON p.id = d.project_id ORDER BY d.id"
        conn.execute(f"INSERT INTO {table} ({columns}) {source}")
    conn.execute("DETACH DATABASE src")
    _change(conn, 1)


def _change(conn: sqlite3.Connection, step: int) -> None:
    """Edits a scanner and the extraction worker make: text, renames, moves, deletions, client names."""
    ids = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id")]
    conn.execute("BEGIN")
    for i, doc in enumerate(ids[step::7]):
        conn.execute(
            "INSERT INTO document_content (doc_id, size, mtime, status, text) VALUES (?, 1, 1, 'ok', ?) "
            "ON CONFLICT (doc_id) DO UPDATE SET text = excluded.text",
            (doc, f"Tesira rack {i} loading dock step {step}"),
        )
    if "name_at" in {r[1] for r in conn.execute("PRAGMA table_info(documents)")}:  # 0010: name from the path
        renamed = "substr(project_rel_path, 1, name_at - 1) || 'Renamed ' || name"
        rename = f"project_rel_path = {renamed}, path_key = path_key({renamed})"
        move = (
            "project_rel_path = 'Moved/' || project_rel_path, name_at = name_at + 6, "
            "path_key = path_key('Moved/' || project_rel_path)"
        )
    else:
        # A renamed file's path ends with its new name, as the scanner writes it.
        rename = (
            "name = 'Renamed ' || name, project_rel_path = "
            "substr(project_rel_path, 1, length(project_rel_path) - length(name)) || 'Renamed ' || name"
        )
        move = "project_rel_path = 'Moved/' || project_rel_path"
    conn.execute(f"UPDATE documents SET {rename} WHERE id IN (?, ?)", (ids[step], ids[step + 20]))
    conn.execute("UPDATE documents SET doc_type = 'swms' WHERE id = ?", (ids[step + 5],))
    conn.execute(
        f"UPDATE documents SET project_id = (SELECT max(id) FROM projects), {move} WHERE id = ?",
        (ids[step + 10],),
    )
    conn.execute("DELETE FROM documents WHERE id = ?", (ids[step + 15],))
    pid = conn.execute("SELECT min(id) FROM projects").fetchone()[0] + step % 2
    conn.execute(
        "UPDATE projects SET folder_name = folder_name || ' Stage ' || ?, client_names = json_array('Poolwerx', ?) "
        "WHERE id = ?",
        (step, f"Client{step}", pid),
    )
    conn.execute("UPDATE projects SET client_names = 'not json' WHERE id = ?", (pid + 1,))
    conn.execute("UPDATE projects SET code = '9999' || ? WHERE id = ?", (step, pid + 2))
    conn.execute("COMMIT")


def _instances(conn: sqlite3.Connection) -> dict[str, set[tuple[Any, ...]]]:
    out = {}
    for table in FTS:
        conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.v_{table} USING fts5vocab(main, {table}, 'instance')")
        out[table] = {tuple(r) for r in conn.execute(f"SELECT term, doc, col, offset FROM temp.v_{table}")}
    return out


def _answers(conn: sqlite3.Connection) -> dict[tuple[str, str], list[int]]:
    out = {}
    for table, queries in QUERIES.items():
        for q in queries:
            rows = conn.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid", (q,))
            out[(table, q)] = [r[0] for r in rows]
    return out


@pytest.fixture(scope="module")
def v4(sample_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("v4") / "v4.db"
    conn = _open_at(path, 4)
    _fill(conn, sample_db)
    conn.close()
    return path


def test_upgrade_keeps_the_full_text_index_and_every_answer(v4: Path, tmp_path: Path) -> None:
    db = tmp_path / "upgraded.db"
    db.write_bytes(v4.read_bytes())
    before = sqlite3.connect(str(db))
    instances, answers = _instances(before), _answers(before)
    before.close()
    assert all(answers.values()), {k: v for k, v in answers.items() if not v}  # every query finds something

    upgraded = connect(db)
    assert upgraded.execute("PRAGMA user_version").fetchone()[0] >= 5
    assert _instances(upgraded) == instances
    assert _answers(upgraded) == answers
    upgraded.close()


def test_view_triggers_write_what_the_0004_triggers_wrote(v4: Path, sample_db: Path, tmp_path: Path) -> None:
    # The same rows and the same edits through the 0005 triggers, from an empty database...
    fresh = _open_at(tmp_path / "fresh.db", 5)
    _fill(fresh, sample_db)
    old = sqlite3.connect(str(v4))
    assert _instances(fresh) == _instances(old)
    # ...and more edits on the upgraded database (0005 triggers) against the 0004 ones.
    upgraded_path = tmp_path / "upgraded.db"
    upgraded_path.write_bytes(v4.read_bytes())
    kept_at_4 = tmp_path / "kept.db"
    kept_at_4.write_bytes(v4.read_bytes())
    upgraded = connect(upgraded_path)
    at4 = sqlite3.connect(str(kept_at_4), isolation_level=None)
    at4.execute("PRAGMA foreign_keys = ON")
    for step in (2, 3):
        _change(upgraded, step)
        _change(at4, step)
    # Deleting a project removes its row and, by cascade, its documents' rows.
    for conn in (upgraded, at4):
        conn.execute("DELETE FROM projects WHERE id = (SELECT max(id) FROM projects)")
    assert _instances(upgraded) == _instances(at4)
    assert _answers(upgraded) == _answers(at4)
    for conn in (fresh, old, upgraded, at4):
        conn.close()


def test_each_fts_row_is_its_view_row(v4: Path, tmp_path: Path) -> None:
    """After upgrade and edits, the index holds exactly the views' rows (nothing stale, nothing missing)."""
    db = tmp_path / "u.db"
    db.write_bytes(v4.read_bytes())
    conn = connect(db)
    _change(conn, 4)
    rebuilt = _open_at(tmp_path / "rebuilt.db", 5)
    conn.execute("ATTACH DATABASE ? AS r", (str(tmp_path / "rebuilt.db"),))
    conn.execute(
        "INSERT INTO r.search_docs (rowid, name, folders, project, family, content, code) "
        "SELECT id, name, folders, project, family, content, code FROM search_doc_rows"
    )
    conn.execute("INSERT INTO r.search_docs_tri (rowid, name) SELECT id, name FROM search_doc_rows")
    conn.execute(
        "INSERT INTO r.search_projects (rowid, code, name, client, description) "
        "SELECT id, code, name, client, description FROM search_project_rows"
    )
    conn.execute("INSERT INTO r.search_projects_tri (rowid, text) SELECT id, text FROM search_project_rows")
    conn.execute("DETACH DATABASE r")
    assert _instances(conn) == _instances(rebuilt)
    conn.close()
    rebuilt.close()


def test_upgrade_marks_every_project_for_a_recompute(v4: Path, tmp_path: Path) -> None:
    """Facts a killed scan left wrong before 0005 are recomputed by the first refresh after it."""
    db = tmp_path / "facts.db"
    db.write_bytes(v4.read_bytes())
    raw = sqlite3.connect(str(db), isolation_level=None)
    raw.execute("UPDATE projects SET doc_count = 0, client_names = '[]'")  # as a killed first index left them
    raw.close()
    store = Store(db)
    try:
        projects = store.query("SELECT id, folder_name FROM projects")
        assert project_facts.pending(store) == len(projects) == 4
        assert project_facts.refresh(store) == len(projects)
        for pid, folder_name in projects:
            names = sorted(r[0] for r in store.query("SELECT name FROM documents WHERE project_id = ?", (pid,)))
            folder = parse_project_folder(folder_name)
            assert folder is not None
            count, clients = store.query_one("SELECT doc_count, client_names FROM projects WHERE id = ?", (pid,))
            assert (count, json.loads(clients)) == project_facts.compute(folder, names)
            assert count > 0
        spotless = store.query_one("SELECT client_names FROM projects WHERE code = '20692'")[0]
        assert "Spotless" in json.loads(spotless)
    finally:
        store.close()
