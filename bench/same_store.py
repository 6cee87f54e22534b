"""What scans store, as digests to compare between two checkouts (a scan change must not change the store).

Each tree is scanned three times into a fresh database (first scan, full rescan, quick rescan), then one
line per item is written: each scan's report (counters, status; no times), each table's rows (every
column but timestamps and the scan owner, by rowid), each full-text table's indexed tokens (``fts5vocab``
instances: rowid, column, offset, term — the tables are contentless, so this is what they hold) and the
``(rowid, bm25)`` answers of a few MATCH queries on each. Run it in both checkouts and compare:

    .venv/bin/python bench/same_store.py --out /tmp/new.txt [TREE ...]
    (cd ../base && .venv/bin/python /path/to/bench/same_store.py --out /tmp/base.txt [TREE ...])
    .venv/bin/python bench/same_store.py --compare /tmp/base.txt /tmp/new.txt

Trees default to the cached 5,000-project firm and the real-corpus tree under ``$QUICKNAV_BENCH_DIR``
when present (read only: nothing is generated).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT
from quicknav_mcp.indexers.filesystem import scan_root

from quicknav_mcp.store import Store, sqlite3

#: Columns that differ from run to run by design (clock, process).
VOLATILE = {"added_at", "indexed_at", "started_at", "finished_at", "seconds", "created_at", "owner"}
REPORT_VOLATILE = {"seconds", "started_at", "finished_at", "files_per_s"}
FTS_TABLES = ("search_docs", "search_docs_tri", "search_projects", "search_projects_tri")
FTS_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")
QUERIES = ("plwrx", "floor plan", "rev", "as built", "sales po", "handover", "17012", "council", "dwnr", "qps mtr")
DEFAULT_TREES = ("firm-5000-11-m", "scan-real-tree")


def _digest(rows: Iterable[Any]) -> tuple[int, str]:
    h, n = hashlib.sha256(), 0
    for row in rows:
        h.update(repr(tuple(row)).encode())
        n += 1
    return n, h.hexdigest()[:24]


def _tables(conn: Any) -> list[str]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return [
        t
        for t in names
        if not t.startswith("sqlite_") and t not in FTS_TABLES and not any(t.endswith(s) for s in FTS_SHADOWS)
    ]


def _rows(conn: Any, table: str, cols: list[str]) -> Any:
    """A table's rows by rowid (its ids are part of what must not change), or by every column WITHOUT ROWID."""
    listed = ", ".join(cols)
    try:
        return conn.execute(f"SELECT rowid, {listed} FROM {table} ORDER BY rowid")
    except sqlite3.OperationalError:  # a WITHOUT ROWID table
        return conn.execute(f"SELECT {listed} FROM {table} ORDER BY {', '.join(map(str, range(1, len(cols) + 1)))}")


def describe(tree: Path) -> list[str]:
    """The lines describing what scanning ``tree`` stores."""
    lines: list[str] = []
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        store = Store(Path(tmp) / "same.db")
        try:
            reports = [scan_root(store, tree), scan_root(store, tree), scan_root(store, tree, quick=True)]
            for i, rep in enumerate(reports):
                data = {k: v for k, v in rep.to_dict().items() if k not in REPORT_VOLATILE}
                lines.append(f"report {i} {json.dumps(data, sort_keys=True, default=str)}")
            conn = store.conn
            for table in _tables(conn):
                cols = [r[1] for r in conn.execute(f"PRAGMA table_xinfo({table})") if r[1] not in VOLATILE]
                n, digest = _digest(_rows(conn, table, cols))
                lines.append(f"table {table} {n} {digest}")
            for fts in FTS_TABLES:
                conn.execute(f"CREATE VIRTUAL TABLE temp.vocab_{fts} USING fts5vocab(main, {fts}, instance)")
                n, digest = _digest(
                    conn.execute(f"SELECT doc, col, offset, term FROM temp.vocab_{fts} ORDER BY 1, 2, 3, 4")
                )
                lines.append(f"tokens {fts} {n} {digest}")
                for q in QUERIES:
                    match = " ".join(f'"{w}"' for w in q.split())
                    n, digest = _digest(
                        conn.execute(
                            f"SELECT rowid, bm25({fts}) FROM {fts} WHERE {fts} MATCH ? ORDER BY 2, 1", (match,)
                        )
                    )
                    lines.append(f"match {fts} {q!r} {n} {digest}")
        finally:
            store.close()
    return [f"{tree.name}: {line}" for line in lines]


def compare(a: Path, b: Path) -> int:
    left, right = a.read_text().splitlines(), b.read_text().splitlines()
    differ = [(x, y) for x, y in zip(left, right, strict=False) if x != y]
    if len(left) != len(right):
        print(f"{a}: {len(left)} lines, {b}: {len(right)}")
    for x, y in differ:
        print(f"- {x}\n+ {y}")
    print("same store" if not differ and len(left) == len(right) else f"{len(differ)} line(s) differ")
    return 0 if not differ and len(left) == len(right) else 1


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("trees", nargs="*", type=Path)
    ap.add_argument("--out", type=Path, help="where to write the digests")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.compare:
        raise SystemExit(compare(*args.compare))
    if args.out is None:
        ap.error("--out is required (or --compare)")
    trees = args.trees or [OUT / name for name in DEFAULT_TREES if (OUT / name).is_dir()]
    lines = [line for tree in trees for line in describe(tree)]
    args.out.write_text("\n".join(lines) + "\n")
    print(f"{len(lines)} lines for {len(trees)} tree(s) in {args.out}")


if __name__ == "__main__":
    main()
