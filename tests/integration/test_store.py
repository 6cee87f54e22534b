"""The SQLite store: pragmas, migrations, bad files and several processes at once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from quicknav_mcp.errors import StoreError
from quicknav_mcp.store import Store, connect, latest_version


def test_fresh_database_is_migrated_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    store = Store(tmp_path / "q.db")
    assert store.query_one("PRAGMA user_version")[0] == latest_version()
    assert store.query_one("PRAGMA journal_mode")[0] == "wal"
    assert store.query_one("PRAGMA foreign_keys")[0] == 1
    assert store.query_one("PRAGMA busy_timeout")[0] >= 5000
    assert store.vec_available
    tables = {r[0] for r in store.query("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"roots", "projects", "documents", "scans", "scan_problems"} <= tables


def test_older_database_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = connect(path, migrate=False)
    conn.execute("CREATE TABLE keepme (x INTEGER)")
    conn.execute("INSERT INTO keepme VALUES (42)")
    conn.close()
    store = Store(path)
    assert store.query_one("PRAGMA user_version")[0] == latest_version()
    assert store.query_one("SELECT x FROM keepme")[0] == 42


def test_newer_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store(path).close()
    conn = connect(path, migrate=False)
    conn.execute(f"PRAGMA user_version = {latest_version() + 5}")
    conn.close()
    with pytest.raises(StoreError, match=r"schema version \d+ but this QuickNav knows only up to"):
        Store(path)


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "corrupt.db"
    path.write_bytes(b"this is not sqlite at all" * 100)
    with pytest.raises(StoreError, match="not a QuickNav database or is corrupt"):
        Store(path)
    assert path.read_bytes().startswith(b"this is not sqlite")  # nothing overwritten


def test_read_only_store_refuses_writes_clearly(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    Store(path).close()
    store = Store(path, readonly=True)
    assert store.query_one("SELECT count(*) FROM projects")[0] == 0
    with pytest.raises(StoreError, match="read-only"), store.transaction():
        pass


def test_failed_transaction_rolls_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "q.db")
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute("INSERT INTO roots(path) VALUES ('/a')")
        raise RuntimeError("boom")
    assert store.query_one("SELECT count(*) FROM roots")[0] == 0


def test_query_tuples_returns_plain_tuples_of_the_same_rows(tmp_path: Path) -> None:
    store = Store(tmp_path / "q.db")
    with store.transaction() as conn:
        conn.executemany("INSERT INTO roots(path) VALUES (?)", [("/b",), ("/a",)])
    sql = "SELECT id, path FROM roots ORDER BY path"
    rows = store.query_tuples(sql)
    assert rows == [tuple(r) for r in store.query(sql)] == [(2, "/a"), (1, "/b")]
    assert all(type(r) is tuple for r in rows)
    # The store's own rows stay sqlite3.Row (read by column name elsewhere).
    assert store.query_one("SELECT path FROM roots WHERE id = 1")["path"] == "/b"


def test_none_binds_null_through_a_registered_adapter(tmp_path: Path) -> None:
    import sqlean

    # Registered once for the driver: binding a None is a dict hit, not two failed attribute probes.
    assert (type(None), sqlean.PrepareProtocol) in sqlean.adapters
    store = Store(tmp_path / "q.db")
    with store.transaction() as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.executemany("INSERT INTO t VALUES (?)", [(None,), (0,), ("",)])
    assert store.query_tuples("SELECT typeof(x) FROM t ORDER BY rowid") == [("null",), ("integer",), ("text",)]


WRITER = textwrap.dedent(
    """
    import sys
    from quicknav_mcp.store import Store
    store = Store(sys.argv[1])
    tag = sys.argv[2]
    for i in range(150):
        with store.transaction() as conn:
            conn.execute("INSERT INTO roots(path) VALUES (?)", (f"/{tag}/{i}",))
            conn.execute("SELECT count(*) FROM roots").fetchone()
    print("ok")
    """
)


def test_two_processes_write_at_once_without_locking_errors(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    Store(path).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), tag],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for tag in ("a", "b")
    ]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "locked" not in err
        assert out.strip() == "ok"
    store = Store(path)
    assert store.query_one("SELECT count(*) FROM roots")[0] == 300
