"""A `quicknav index` killed with SIGKILL part-way is repaired by the next run.

Each case kills a real ``quicknav index`` subprocess at one or more moments (chosen by polling the
database for the number of documents written, not by sleeping), runs it again to completion and
compares the whole database with a clean index of the same tree: every column of every table, rows
matched by natural keys (paths), except the columns listed in ``EXCLUDED`` and the tables listed in
``NOT_STATE``, each with the reason.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import sqlean as sqlite3

from quicknav_mcp.demo.firm import generate_firm
from quicknav_mcp.repo.documents import REL_PATH

QUICKNAV = [sys.executable, "-m", "quicknav_mcp.cli"]
# The same command with small write batches, so that however fast the machine there are many
# moments between the first and the last batch to kill it at.
QUICKNAV_SMALL_BATCHES = [
    sys.executable,
    "-c",
    "import sys; from quicknav_mcp.indexers import scan_write; scan_write.BATCH_ROWS = 100; "
    "from quicknav_mcp.cli import main; sys.exit(main())",
]
# The same, as a large first scan runs: worker processes walk whole projects, parse their names and compute
# their facts, and full-text merging is off until the scan ends (scan_parse.py, repo/bulk.py).
QUICKNAV_BULK_LOAD = [
    sys.executable,
    "-c",
    "import sys; from quicknav_mcp.indexers import scan_parse, scan_write; scan_write.BATCH_ROWS = 100; "
    "scan_parse.POOL_MIN_PROJECTS = 10; "
    "from quicknav_mcp.cli import main; sys.exit(main())",
]
PROJECTS = 120
SEED = 23

# Columns that legitimately differ between a repaired index and a clean one.
EXCLUDED: dict[str, dict[str, str]] = {
    "roots": {"id": "assigned by SQLite; rows are matched by path", "added_at": "when the first run started"},
    "projects": {"id": "assigned by SQLite; rows are matched by root and path", "indexed_at": "when last written"},
    "documents": {"id": "assigned by SQLite; rows are matched by root and path", "indexed_at": "when last written"},
    "document_content": {"extracted_at": "when extracted"},
    "embedding_state": {"embedded_at": "when embedded", "seq": "batch number of the worker's run"},
    "project_embedding_state": {"embedded_at": "when embedded", "seq": "batch number of the worker's run"},
    "bus_cursors": {"updated_ms": "when the cursor was created"},
}
# Tables that record history rather than the state of the index.
NOT_STATE = {
    "scans": "one row per run: the killed runs stay recorded, and the re-run counts the files the killed run "
    "wrote as unchanged rather than added (the last run is checked separately)",
    "scan_problems": "what each run met, keyed by run; the last run's problems are compared separately",
    "search_versions": "change counters for caches: they count writes, and a killed run plus its re-run write more",
    "scan_folders": "each project's folder mtimes as the last complete run saw them: a folder changed within "
    "seconds of a run is recorded without its mtime, so the rows depend on when each run started",
    "sqlite_sequence": "the highest AUTOINCREMENT ids handed out so far",
}
# Rows of each FTS5 table are documents or projects (rowid = their id).
FTS_ROWS = {
    "search_docs": "documents",
    "search_docs_tri": "documents",
    "search_projects": "projects",
    "search_projects_tri": "projects",
}
_FTS_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")
# Columns holding ids of rows compared by natural key.
_REFS = {"root_id": "roots", "project_id": "projects", "doc_id": "documents"}
_REF_TABLES = {"projects", "documents", "document_content", "embedding_state", "project_embedding_state"}


@pytest.fixture(scope="module")
def firm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crash") / "firm"
    generate_firm(root, projects=PROJECTS, seed=SEED, content=False)
    return root


@pytest.fixture(scope="module")
def clean(firm: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    db = tmp_path_factory.mktemp("clean") / "clean.db"
    _index(firm, db)
    return _snapshot(db)


def _index(root: Path, db: Path) -> None:
    r = subprocess.run(
        [*QUICKNAV, "index", "--root", str(root), "--db", str(db)], capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr


def _connect(db: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def _documents_written(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        conn = _connect(db)
        try:
            return conn.execute("SELECT count(*) FROM documents").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.OperationalError:  # not created or not migrated yet
        return 0


def _kill_after(root: Path, db: Path, documents: int, command: list[str] = QUICKNAV_SMALL_BATCHES) -> int:
    """Start ``quicknav index`` and SIGKILL it once ``documents`` rows are stored; return the count."""
    proc = subprocess.Popen(
        [*command, "index", "--root", str(root), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while _documents_written(db) < documents:
            assert proc.poll() is None, f"quicknav index finished before {documents} documents were stored"
            assert time.monotonic() < deadline, "quicknav index never stored enough documents"
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "quicknav index finished before it could be killed"
    return _documents_written(db)


def _snapshot(db: Path, only: set[str] | None = None) -> dict[str, Any]:
    """Every table's rows (or ``only`` these), ids replaced by natural keys, excluded columns left out."""
    conn = _connect(db)
    try:
        keys: dict[str, dict[int, Any]] = {"roots": dict(conn.execute("SELECT id, path FROM roots").fetchall())}
        for table in ("projects", "documents"):
            keys[table] = {
                rid: (keys["roots"][root_id], rel)
                for rid, root_id, rel in conn.execute(
                    "SELECT id, root_id, rel_path FROM projects"
                    if table == "projects"
                    else f"SELECT d.id, d.root_id, {REL_PATH} FROM documents d JOIN projects p ON p.id = d.project_id"
                )
            }
        tables = [
            (name, sql or "")
            for name, sql in conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
        ]
        fts = {name for name, sql in tables if sql.upper().startswith("CREATE VIRTUAL TABLE")}
        # FTS5's shadow tables hold index pages shaped by how writes were batched: the index is
        # compared through fts5vocab instead, term by term.
        shadows = {f + suffix for f in fts for suffix in _FTS_SHADOWS}
        snap: dict[str, Any] = {}
        for name, _ in tables:
            if (only is not None and name not in only) or name in NOT_STATE or name in shadows:
                continue
            if name in fts:
                assert name in FTS_ROWS, f"new FTS table {name}: say in FTS_ROWS what its rowids are"
                snap[name] = _fts_rows(conn, name, keys[FTS_ROWS[name]])
            else:
                snap[name] = _rows(conn, name, keys)
        last = conn.execute("SELECT id, status, files_seen FROM scans ORDER BY id DESC LIMIT 1").fetchone()
        snap["last scan"] = last[1:]
        snap["last scan's problems"] = sorted(
            conn.execute("SELECT path, kind, message FROM scan_problems WHERE scan_id = ?", (last[0],)).fetchall()
        )
        return snap
    finally:
        conn.close()


def _rows(conn: sqlite3.Connection, table: str, keys: dict[str, dict[int, Any]]) -> Counter[tuple[Any, ...]]:
    columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
    excluded = EXCLUDED.get(table, {})
    unknown = set(excluded) - set(columns)
    assert not unknown, f"EXCLUDED lists columns {table} does not have: {unknown}"
    kept = [c for c in columns if c not in excluded]
    rows = []
    for row in conn.execute(f"SELECT {', '.join(kept)} FROM {table}"):
        if table in _REF_TABLES:
            row = tuple(
                keys[_REFS[c]][v] if c in _REFS and v is not None else v for c, v in zip(kept, row, strict=True)
            )
        rows.append(tuple(zip(kept, row, strict=True)))
    return Counter(rows)


def _fts_rows(conn: sqlite3.Connection, table: str, keys: dict[int, Any]) -> Counter[tuple[Any, ...]]:
    """Every (term, row, column, offset) instance in the full-text index."""
    conn.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.vocab_{table} USING fts5vocab(main, {table}, 'instance')")
    rows = [
        (term, keys.get(doc, ("missing", doc)), col, off)
        for term, doc, col, off in conn.execute(f"SELECT term, doc, col, offset FROM temp.vocab_{table}")
    ]
    return Counter(rows)


def _assert_same(repaired: dict[str, Any], clean: dict[str, Any]) -> None:
    assert repaired.keys() == clean.keys()
    for table in clean:
        if repaired[table] != clean[table]:
            extra = list((repaired[table] - clean[table]).elements())[:3]
            missing = list((clean[table] - repaired[table]).elements())[:3]
            pytest.fail(f"{table} differs from a clean index: extra {extra}, missing {missing}")


def _pending_facts(db: Path) -> int:
    conn = _connect(db)
    try:
        return conn.execute("SELECT count(*) FROM project_facts_dirty").fetchone()[0]
    finally:
        conn.close()


@pytest.mark.parametrize(
    "kill_at",
    [(0.0,), (0.4,), (0.9,), (0.2, 0.5, 0.85)],
    ids=["after-first-batch", "at-40pc", "at-90pc", "at-20pc-then-both-reruns-at-50pc-and-85pc"],
)
def test_killed_index_is_repaired_by_the_next_run(
    firm: Path, clean: dict[str, Any], tmp_path: Path, kill_at: tuple[float, ...]
) -> None:
    total = len(clean["documents"])
    db = tmp_path / "crashed.db"
    for fraction in kill_at:
        target = max(1, int(total * fraction))
        stored = _kill_after(firm, db, target)
        assert target <= stored < total
        # The state a crash leaves: documents whose projects' facts were never computed.
        assert _pending_facts(db) > 0
        assert _snapshot(db, only={"projects"})["projects"] != clean["projects"]
    _index(firm, db)
    assert _pending_facts(db) == 0
    _assert_same(_snapshot(db), clean)


def _merging(db: Path) -> list[tuple[Any, ...]]:
    """The documents' full-text tables' ``automerge`` settings (none stored: FTS5's default)."""
    conn = _connect(db)
    try:
        return [
            conn.execute(f"SELECT v FROM {table}_config WHERE k = 'automerge'").fetchone()
            for table in ("search_docs", "search_docs_tri")
        ]
    finally:
        conn.close()


def test_a_large_first_scan_killed_in_its_bulk_load_is_repaired_by_the_next_run(
    firm: Path, clean: dict[str, Any], tmp_path: Path
) -> None:
    total = len(clean["documents"])
    db = tmp_path / "crashed.db"
    stored = _kill_after(firm, db, total // 2, QUICKNAV_BULK_LOAD)
    assert total // 2 <= stored < total
    assert _merging(db) == [(0,), (0,)]  # left off by the killed run ...
    _index(firm, db)
    assert _merging(db) == [(4,), (4,)]  # ... and back on after the next
    assert _pending_facts(db) == 0
    _assert_same(_snapshot(db), clean)
