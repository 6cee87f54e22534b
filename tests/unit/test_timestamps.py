"""A row's stamps (``timestamps.restamp_sql``): every version of a row has one of its own."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from quicknav_mcp.timestamps import NOW_SQL, iso_seconds, now_iso, restamp_sql

_TOUCH = f"UPDATE t SET at = {restamp_sql('at')} WHERE id = 1"


def _db(tmp_path: Path, at: str) -> sqlite3.Connection:
    conn = sqlite3.connect(tmp_path / "t.db", isolation_level=None)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, at TEXT)")
    conn.execute("INSERT INTO t VALUES (1, ?)", (at,))
    return conn


def test_a_row_written_again_in_its_stamps_millisecond_or_after_the_clock_went_back_gets_a_later_stamp(
    tmp_path: Path,
) -> None:
    ahead = "2999-01-01T00:00:00.999Z"  # stamped while the clock ran ahead (or a millisecond ago)
    conn = _db(tmp_path, ahead)
    stamps = [ahead]
    for _ in range(3):
        conn.execute(_TOUCH)
        stamps.append(conn.execute("SELECT at FROM t").fetchone()[0])
    assert stamps == [ahead, "2999-01-01T00:00:01.000Z", "2999-01-01T00:00:01.001Z", "2999-01-01T00:00:01.002Z"]


def test_a_row_written_later_is_stamped_by_the_clock(tmp_path: Path) -> None:
    for old in ("2001-01-01T00:00:00.000Z", "0", None):  # long ago, or no stamp it can read
        conn = _db(tmp_path, old)  # type: ignore[arg-type]
        now = conn.execute("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now')").fetchone()[0]
        conn.execute(_TOUCH)
        assert conn.execute("SELECT at FROM t").fetchone()[0] >= now
        conn.close()
        (tmp_path / "t.db").unlink()


def test_the_clock_read_in_python_has_the_format_sqlite_writes() -> None:
    ours = now_iso()
    theirs = sqlite3.connect(":memory:").execute(f"SELECT {NOW_SQL}").fetchone()[0]
    assert len(ours) == len(theirs) == 24 and ours[10] == theirs[10] == "T" and ours[-1] == theirs[-1] == "Z"
    assert abs(iso_seconds(ours) - iso_seconds(theirs)) < 60  # type: ignore[operator]
