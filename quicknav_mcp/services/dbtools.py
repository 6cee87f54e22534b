"""What is in the database file, and streaming exports of its main tables.

Both read through their own read-only connection, so they never take the write lock and can run
beside a serving process. Table introspection (names, columns, virtual tables) is sqlite-utils';
exports iterate one cursor and write row by row, so memory stays flat however large the table.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import sqlite_utils
from pydantic import BaseModel, Field

from ..errors import InvalidInput, StoreError
from ..store import Connection, DatabaseError, connect, latest_version

FORMATS = ("csv", "json", "ndjson")
_WAL_HEADER = 32  # bytes before the first WAL frame
_WAL_FRAME_HEADER = 24  # bytes before each page in a WAL frame


# --------------------------------------------------------------------------- what can be exported


def _from_ms(value: Any, tz: dt.tzinfo) -> str | None:
    return dt.datetime.fromtimestamp(value / 1000, tz).isoformat(timespec="milliseconds")


def _from_seconds(value: Any, tz: dt.tzinfo) -> str | None:
    return dt.datetime.fromtimestamp(value, tz).isoformat(timespec="seconds")


def _from_iso(value: Any, tz: dt.tzinfo) -> str | None:
    when = dt.datetime.fromisoformat(str(value))
    if when.tzinfo is None:  # stored times are UTC; never let the machine's zone creep in
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(tz).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class ExportSpec:
    """One exportable table: its order, which columns are times (and how stored), which hold JSON."""

    table: str
    order_by: str
    times: dict[str, Callable[[Any, dt.tzinfo], str | None]]
    json_columns: tuple[str, ...] = ()


# Times are stored in UTC in three ways; each gets a ``<column>_local`` column in the chosen zone.
EXPORTS: dict[str, ExportSpec] = {
    "events": ExportSpec("events", "seq", {"ts_ms": _from_ms, "received_ms": _from_ms}, ("metadata",)),
    "projects": ExportSpec("projects", "id", {"mtime": _from_seconds, "indexed_at": _from_iso}, ("client_names",)),
    "documents": ExportSpec("documents", "id", {"mtime": _from_seconds, "indexed_at": _from_iso}, ("status_tags",)),
}


class ExportReport(BaseModel):
    table: str
    format: str
    rows: int
    columns: list[str]
    output: str | None = Field(None, description="the file written; None for standard output")


# --------------------------------------------------------------------------- database info


class TableInfo(BaseModel):
    name: str
    kind: str = Field(description="table, or the module of a virtual table (FTS5, vec0)")
    rows: int | None = Field(description="None when the table cannot be counted here (a missing extension)")
    bytes: int | None = Field(description="pages of the table, its indexes and (virtual) its shadow tables")
    indexes: list[str] = Field(default_factory=list)


class DbInfo(BaseModel):
    path: str
    sqlite_version: str
    schema_version: int
    schema_version_expected: int
    page_size: int
    page_count: int
    freelist_count: int
    file_bytes: int
    wal_bytes: int
    wal_frames: int = Field(description="frames in the WAL not yet folded into the main file (upper bound)")
    journal_mode: str
    sizes_from: str = Field(description="dbstat (exact per table) or unavailable")
    tables: list[TableInfo]
    views: list[str]


class DbTools:
    """Read-only views of one database file: :meth:`info` and :meth:`export`."""

    def __init__(self, conn: Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        # No plugins, no PRAGMA recursive_triggers: this connection only reads.
        self.db = sqlite_utils.Database(conn, recursive_triggers=False, execute_plugins=False)

    @classmethod
    def open(cls, path: str | Path) -> DbTools:
        """Open ``path`` read-only; a missing or foreign file is a :class:`StoreError` naming it."""
        path = Path(path)
        if not path.is_file():
            raise StoreError(f"no QuickNav database at {path}")
        return cls(connect(path, readonly=True), path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> DbTools:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ info
    def info(self) -> DbInfo:
        """Tables with row counts and sizes, schema version, page and WAL state."""

        def pragma(name: str) -> Any:
            return self.conn.execute(f"PRAGMA {name}").fetchone()[0]

        page_size = int(pragma("page_size"))
        sizes = self._sizes()
        owners = {r[0]: r[1] for r in self.conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type='index'")}
        virtual = {name: self.db[name].virtual_table_using for name in self.db.table_names()}
        # A virtual table's shadow tables (FTS5 ``x_data``, vec0 ``x_chunks``...) count towards it; the
        # longest owner wins, so ``search_docs_tri_data`` belongs to ``search_docs_tri``, not ``search_docs``.
        owners_virtual = sorted((n for n, m in virtual.items() if m), key=len, reverse=True)
        shadows = {
            name: next(o for o in owners_virtual if name.startswith(o + "_"))
            for name, module in virtual.items()
            if not module and any(name.startswith(o + "_") for o in owners_virtual)
        }
        tables: list[TableInfo] = []
        for name, module in virtual.items():
            if name in shadows:
                continue
            indexes = sorted(i for i, t in owners.items() if t == name)
            parts = [name, *indexes, *(s for s, o in shadows.items() if o == name)]
            nbytes = None if sizes is None else sum(sizes.get(p, 0) for p in parts)
            tables.append(
                TableInfo(name=name, kind=module or "table", rows=self._count(name), bytes=nbytes, indexes=indexes)
            )
        wal = Path(f"{self.path}-wal")
        wal_bytes = wal.stat().st_size if wal.exists() else 0
        return DbInfo(
            path=str(self.path),
            sqlite_version=self.conn.execute("SELECT sqlite_version()").fetchone()[0],
            schema_version=int(pragma("user_version")),
            schema_version_expected=latest_version(),
            page_size=page_size,
            page_count=int(pragma("page_count")),
            freelist_count=int(pragma("freelist_count")),
            file_bytes=self.path.stat().st_size,
            wal_bytes=wal_bytes,
            wal_frames=max(0, (wal_bytes - _WAL_HEADER) // (page_size + _WAL_FRAME_HEADER)) if wal_bytes else 0,
            journal_mode=str(pragma("journal_mode")),
            sizes_from="dbstat" if sizes is not None else "unavailable",
            tables=sorted(tables, key=lambda t: t.name),
            views=sorted(self.db.view_names()),
        )

    def _sizes(self) -> dict[str, int] | None:
        try:
            # aggregate=TRUE: one row per b-tree, without walking each page in Python.
            rows = self.conn.execute("SELECT name, pgsize FROM dbstat WHERE aggregate = TRUE").fetchall()
        except DatabaseError:  # SQLite built without SQLITE_ENABLE_DBSTAT_VTAB
            return None
        return {r[0]: int(r[1]) for r in rows}

    def _count(self, table: str) -> int | None:
        try:
            return int(self.db[table].count)
        except DatabaseError:  # a vec0 table without the sqlite-vec extension, say
            return None

    # ------------------------------------------------------------------ export
    def export(self, table: str, fmt: str, out: TextIO, *, tzinfo: dt.tzinfo = dt.UTC) -> ExportReport:
        """Write every row of ``table`` to ``out`` as ``fmt``; times also as ``<column>_local`` in ``tzinfo``."""
        spec, fmt = _check(table, fmt)
        names = [c.name for c in self.db[spec.table].columns]
        # Generated columns (documents.name) are not in table_info: they follow the stored ones.
        names += [r[1] for r in self.conn.execute(f'PRAGMA table_xinfo("{spec.table}")') if r[6] in (2, 3)]
        times = [(names.index(c), fn) for c, fn in spec.times.items() if c in names]
        header = [*names, *(f"{names[i]}_local" for i, _ in times)]
        rows = self._rows(spec, names, times, tzinfo, parse_json=fmt != "csv")
        count = 0
        if fmt == "csv":
            writer = csv.writer(out)
            writer.writerow(header)
            for row in rows:
                writer.writerow(row)
                count += 1
        else:
            sep = "[\n" if fmt == "json" else ""
            for row in rows:
                out.write(sep + json.dumps(dict(zip(header, row, strict=True)), ensure_ascii=False))
                sep = ",\n" if fmt == "json" else "\n"
                count += 1
            if fmt == "json":
                out.write("\n]\n" if count else "[]\n")
            elif count:
                out.write("\n")
        out.flush()
        return ExportReport(table=spec.table, format=fmt, rows=count, columns=header)

    def export_to(self, table: str, fmt: str, target: str | Path, *, tzinfo: dt.tzinfo = dt.UTC) -> ExportReport:
        """:meth:`export` into a file, written beside it first so a failed export leaves no half file."""
        _check(table, fmt)  # before creating anything
        target = Path(target).expanduser()
        if target.is_dir():
            raise InvalidInput(f"--output {target} is a folder; give a file name")
        tmp = target.with_name(f".{target.name}.part")
        try:
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                report = self.export(table, fmt, fh, tzinfo=tzinfo)
            os.replace(tmp, target)
        except OSError as exc:
            raise InvalidInput(f"cannot write {target}: {exc.strerror or exc}") from exc
        finally:
            tmp.unlink(missing_ok=True)
        report.output = str(target)
        return report

    def _rows(
        self,
        spec: ExportSpec,
        names: list[str],
        times: list[tuple[int, Callable[[Any, dt.tzinfo], str | None]]],
        tz: dt.tzinfo,
        *,
        parse_json: bool,
    ) -> Iterator[list[Any]]:
        json_at = [names.index(c) for c in spec.json_columns if c in names] if parse_json else []
        columns = ", ".join(f'"{n}"' for n in names)
        cursor = self.conn.cursor()
        cursor.row_factory = None  # plain tuples: no sqlite3.Row per row on a large table
        cursor.arraysize = 500
        cursor.execute(f'SELECT {columns} FROM "{spec.table}" ORDER BY "{spec.order_by}"')
        while batch := cursor.fetchmany():  # a bounded batch at a time, never the whole table
            for raw in batch:
                local = [_convert(fn, raw[i], tz) for i, fn in times]
                if json_at:
                    row = list(raw)
                    for i in json_at:
                        row[i] = _json_value(row[i])
                    yield [*row, *local]
                else:
                    yield [*raw, *local]


def _check(table: str, fmt: str) -> tuple[ExportSpec, str]:
    spec = EXPORTS.get(str(table).strip().lower())
    if spec is None:
        raise InvalidInput(f"unknown table {str(table)[:40]!r} to export; choose one of {', '.join(EXPORTS)}")
    fmt = str(fmt).strip().lower()
    if fmt not in FORMATS:
        raise InvalidInput(f"unknown export format {fmt[:40]!r}; choose one of {', '.join(FORMATS)}")
    return spec, fmt


def _convert(fn: Callable[[Any, dt.tzinfo], str | None], value: Any, tz: dt.tzinfo) -> str | None:
    if value is None or value == "":
        return None
    try:
        return fn(value, tz)
    except (ValueError, OverflowError, OSError, TypeError):  # a hand-edited or out-of-range value
        return None


def _json_value(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text
