"""``quicknav db info`` and ``quicknav export`` as a person runs them, and the export's memory bound."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlite_utils

from quicknav_mcp.errors import InvalidInput
from quicknav_mcp.services.dbtools import EXPORTS, FORMATS, DbTools
from quicknav_mcp.store import Store, latest_version

QUICKNAV = [sys.executable, "-m", "quicknav_mcp.cli"]
DAY_MS = 86_400_000
BASE_MS = 1_790_000_000_000  # 2026-09-21, inside Adelaide's standard time (+09:30)


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKNAV_")}
    env.update(QUICKNAV_LOG_LEVEL="WARNING", QUICKNAV_EMBED_MODEL="none", QUICKNAV_ANALYTICS_TRACKING="0")
    return subprocess.run([*QUICKNAV, *args], capture_output=True, text=True, env=env, timeout=timeout)


def add_events(db: Path, n: int, start: int = 0) -> None:
    """Bulk-insert ``n`` events straight into the log (the rollups are not needed here)."""
    rows = (
        {
            "event_id": f"e{start + i:08d}",
            "user_id": f"user{i % 7}",
            "event_type": "search" if i % 3 else "navigate",
            "project_id": f"{10000 + i % 500}",
            "query": f'query {i} with a few words, a comma and a "quote"',
            "result_count": i % 11,
            "metadata": json.dumps({"i": i, "tags": ["a", "b"]}) if i % 2 else None,
            "ts_ms": BASE_MS + (start + i) * 3_600_000 // 7,
            "received_ms": BASE_MS + (start + i) * 3_600_000 // 7 + 5,
        }
        for i in range(n)
    )
    Store(db).close()  # migrated schema
    sqlite_utils.Database(db).table("events").insert_all(rows, batch_size=2000)


@pytest.fixture(scope="module")
def indexed(sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("dbtools") / "q.db"
    r = run("index", "--root", str(sample_root), "--db", str(db))
    assert r.returncode == 0, r.stderr
    add_events(db, 300)
    return db


def counts(db: Path) -> dict[str, int]:
    database = sqlite_utils.Database(db)
    return {t: database[t].count for t in ("projects", "documents", "events")}


def test_cli_tables_match_the_service() -> None:
    from quicknav_mcp import cli

    assert tuple(EXPORTS) == cli.EXPORT_TABLES and cli.EXPORT_FORMATS == FORMATS


def test_db_info_reports_tables_counts_sizes_and_schema(indexed: Path) -> None:
    r = run("db", "info", "--json", "--db", str(indexed))
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    tables = {t["name"]: t for t in info["tables"]}
    expected = counts(indexed)
    assert {name: tables[name]["rows"] for name in expected} == expected
    assert expected == {"projects": 4, "documents": 115, "events": 300}
    assert info["schema_version"] == info["schema_version_expected"] == latest_version()
    assert info["journal_mode"] == "wal" and info["sizes_from"] == "dbstat"
    assert tables["search_docs"]["kind"] == "FTS5" and "search_docs_data" not in tables  # shadows fold in
    assert "documents_series" in tables["documents"]["indexes"]
    total = sum(t["bytes"] for t in info["tables"])
    assert 0 < total <= info["page_count"] * info["page_size"]
    assert tables["documents"]["bytes"] >= info["page_size"] * 2  # rows and indexes, at least a page each
    text = run("db", "info", "--db", str(indexed))
    assert text.returncode == 0 and "documents" in text.stdout and "journal wal" in text.stdout


def test_db_info_shows_wal_frames_not_yet_checkpointed(indexed: Path, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    sqlite_utils.Database(indexed).conn.execute(f"VACUUM INTO '{db}'")
    writer = Store(db)  # holds the WAL open: its frames are not folded into the main file yet
    try:
        writer.conn.execute("PRAGMA wal_autocheckpoint = 0")
        with writer.transaction() as conn:
            conn.execute("UPDATE projects SET description = description || ' (edited)'")
        info = json.loads(run("db", "info", "--json", "--db", str(db)).stdout)
        assert info["wal_bytes"] > 0 and info["wal_frames"] >= 1
    finally:
        writer.close()


@pytest.mark.parametrize("table", ["events", "projects", "documents"])
def test_export_every_table_in_every_format(indexed: Path, tmp_path: Path, table: str) -> None:
    expected = counts(indexed)[table]
    columns = [c.name for c in sqlite_utils.Database(indexed)[table].columns]
    out = run("export", table, "--format", "csv", "--db", str(indexed))
    assert out.returncode == 0, out.stderr
    rows = list(csv.DictReader(io.StringIO(out.stdout, newline="")))
    assert len(rows) == expected
    assert list(rows[0])[: len(columns)] == columns
    local = [c for c in rows[0] if c.endswith("_local")]
    assert local, "times are also given as local-time columns"
    for row in rows:
        for column in local:
            assert row[column] == "" or dt.datetime.fromisoformat(row[column]).utcoffset() == dt.timedelta(0)

    target = tmp_path / f"{table}.json"
    r = run("export", table, "--format", "json", "--output", str(target), "--db", str(indexed))
    assert r.returncode == 0 and f"{expected:,} {table} rows" in r.stderr
    data = json.loads(target.read_text(encoding="utf-8"))
    assert len(data) == expected and [str(d[columns[0]]) for d in data] == [r[columns[0]] for r in rows]
    assert not list(tmp_path.glob(".*.part"))

    nd = run("export", table, "--format", "ndjson", "--db", str(indexed)).stdout.splitlines()
    assert [json.loads(line) for line in nd] == data


def test_export_values_and_local_times(indexed: Path) -> None:
    adelaide = ZoneInfo("Australia/Adelaide")
    buffer = io.StringIO()
    with DbTools.open(indexed) as tools:
        report = tools.export("events", "ndjson", buffer, tzinfo=adelaide)
    events = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert report.rows == len(events) == 300
    first = events[0]
    assert first["query"] == 'query 0 with a few words, a comma and a "quote"'
    assert events[1]["metadata"] == {"i": 1, "tags": ["a", "b"]}  # JSON columns stay JSON in JSON formats
    for event in events:
        when = dt.datetime.fromtimestamp(event["ts_ms"] / 1000, dt.UTC).astimezone(adelaide)
        assert event["ts_ms_local"] == when.isoformat(timespec="milliseconds")
    offsets = {e["ts_ms_local"][-6:] for e in events}
    assert offsets == {"+09:30"}  # a half-hour zone, before the October DST change


def test_cli_export_uses_the_configured_zone(indexed: Path) -> None:
    r = run("export", "events", "--format", "ndjson", "--db", str(indexed), "--timezone", "Australia/Adelaide")
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(events) == 300 and {e["ts_ms_local"][-6:] for e in events} == {"+09:30"}


def test_unknown_table_format_and_output_are_clear_errors(indexed: Path, tmp_path: Path) -> None:
    r = run("export", "users", "--db", str(indexed))
    assert r.returncode == 2 and "unknown table 'users'" in r.stderr and "events, projects, documents" in r.stderr
    r = run("export", "events", "--format", "xml", "--db", str(indexed))
    assert r.returncode == 2 and "unknown export format 'xml'" in r.stderr and "csv, json, ndjson" in r.stderr
    r = run("export", "events", "--output", str(tmp_path), "--db", str(indexed))
    assert r.returncode == 2 and "is a folder" in r.stderr
    r = run("db", "info", "--db", str(tmp_path / "missing.db"))
    assert r.returncode == 2 and "no QuickNav database" in r.stderr
    with DbTools.open(indexed) as tools, pytest.raises(InvalidInput, match="unknown table"):
        tools.export("bus_outbox", "csv", io.StringIO())


class _Sink(io.TextIOBase):
    """Counts what is written and keeps nothing (the export's own memory is what is measured)."""

    def __init__(self) -> None:
        self.chars = 0
        self.lines = 0

    def write(self, text: str) -> int:
        self.chars += len(text)
        self.lines += text.count("\n")
        return len(text)


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_streams_in_constant_memory(tmp_path_factory: pytest.TempPathFactory, fmt: str) -> None:
    db = tmp_path_factory.getbasetemp() / "big-events.db"
    if not db.exists():
        add_events(db, 50_000)
    with DbTools.open(db) as tools:
        sink = _Sink()
        tracemalloc.start()
        try:
            report = tools.export("events", fmt, sink)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert report.rows == 50_000
    assert sink.chars > 10_000_000  # the output is large ...
    assert peak < 2_000_000, f"peak {peak:,} bytes"  # ... and the export never holds more than a few batches
