"""Filesystem indexer throughput and index size on the 5,000-project firm (116,035 names-only files).

Targets (2 cores), printed next to each figure: first scan >= 12,000 files/s, a rescan without
changes >= 100,000 files/s, the database <= 90 MB. Wall-clock rates swing with the machine's load,
so each scan's CPU time (all threads of the process) and the rate per CPU second are printed too.

    .venv/bin/python bench/bench_index.py [--projects 5000] [--seed 11]

The tree (metadata only: empty files) comes from ``quicknav_mcp.demo.firm.generate_firm`` when
it is available (5,000 projects -> ~219,000 files), else from a simple built-in generator
(20 files per project: 5,000 projects -> exactly 100,000 files); either is cached under
``$QUICKNAV_BENCH_DIR``. Each run indexes it into a fresh database, then rescans it without
changes (a full rescan, then a quick one), and prints one JSON object (with the size of the largest
tables and indexes). A first scan
parses names in worker processes: their CPU is printed apart and counted in ``files_per_cpu_s``.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, emit, peak_rss_mb
from quicknav_mcp.indexers.filesystem import scan_root

from quicknav_mcp.store import Store

CLIENTS = ["PLWRX", "DWNR", "PAVS SA", "PAVS NSW", "QPS", "DTMR", "VOLVO", "SLSQ", "CPQST", "NTR", "HTCHB"]
WORDS = [
    "TR L1 Upgrades",
    "Office Fitout",
    "Boardroom Refresh",
    "MTR Rooms",
    "Hearing Loop",
    "Level 3",
    "Training Room",
    "Auditorium",
    "Club House",
    "Head Office",
    "Workspace Refurbishment",
]


def _touch(path: Path, mtime: float) -> None:
    path.touch()
    os.utime(path, (mtime, mtime))


def simple_firm(root: Path, projects: int, seed: int) -> None:
    """A plain firm tree of 20 realistically named files per project (fallback generator)."""
    rnd = random.Random(seed)
    base = root / "Project Folders"
    for i in range(projects):
        code = 17000 + i
        start = code // 1000 * 1000
        desc = f"{rnd.choice(CLIENTS)}  {rnd.choice(WORDS)}"
        proj = base / f"{start} - {start + 999}" / f"{code} - {desc}"
        mtime = 1_600_000_000 + rnd.randrange(100_000_000)
        dirs = {
            "sales": proj / "1. Sales Handover",
            "fp": proj / "1. Sales Handover" / "Floor Plans",
            "bom": proj / "2. BOM & Orders" / "Sales & Change Orders",
            "old": proj / "2. BOM & Orders" / "Sales & Change Orders" / "Old",
            "pmo": proj / "3. PMO",
            "lld": proj / "4. System Designs",
            "arch": proj / "4. System Designs" / "ARCHIVE",
            "ho": proj / "5. Customer Handover Documents" / "As-Built Documents" / "System Designs",
        }
        for d in dirs.values():
            d.mkdir(parents=True, exist_ok=True)
        up = desc.upper()
        names = [
            ("sales", f"{code} - Project Handover Document.pdf"),
            ("fp", "Level 1 Floor Plan.pdf"),
            ("fp", "Level 2 Floor Plan (1).pdf"),
            ("bom", f"{code} - Sales & PO Report - 03.04.2025.pdf"),
            ("old", f"{code} - Sales & PO Report - 12.02.2025.pdf"),
            ("old", f"{code} - Sales & PO Report - 20.01.2025.pdf"),
            ("pmo", f"{code} - Change Order 1.pdf"),
            ("pmo", f"{code} - CO2 - Additional displays.docx"),
            ("pmo", f"{code} - Scope of Works.docx"),
            ("pmo", f"{code} - SWMS.pdf"),
            ("pmo", f"{code} - QA ITP.docx"),
            ("pmo", "Site Photos 23.09.22.pdf"),
            ("lld", f"{code} - {up} - Rev 103.pdf"),
            ("lld", f"{code} - {up} - LEVEL 1 - Rev 201.pdf"),
            ("arch", f"{code} - {up} - Rev 100.pdf"),
            ("arch", f"{code} - {up} - Rev 101.pdf"),
            ("arch", f"{code} - {up} - Rev 102.pdf"),
            ("arch", f"{code} - {up} - LEVEL 1 - Rev 200.pdf"),
            ("ho", f"{code} - {up} - Rev 103 AS-BUILT.pdf"),
            ("sales", f"Q-04974 {rnd.choice(CLIENTS)} Proposal Rev2.pdf"),
        ]
        for key, name in names:
            _touch(dirs[key] / name, mtime)


def tree(projects: int, seed: int, generator: str) -> tuple[Path, str]:
    """The cached benchmark tree and what generated it."""
    try:
        if generator == "simple":
            raise ImportError("simple generator asked for")
        from _common import firm

        from quicknav_mcp.demo.firm import generate_firm  # noqa: F401 - availability check
    except ImportError:
        if generator == "firm":
            raise
        root = OUT / f"simple-firm-{projects}-{seed}"
        marker = root / ".complete"
        if not marker.exists():
            shutil.rmtree(root, ignore_errors=True)
            simple_firm(root, projects, seed)
            marker.touch()
        return root, "bench_index.simple_firm"
    return firm(projects, seed=seed, content=False), "quicknav_mcp.demo.firm.generate_firm"


def _children_cpu() -> float:
    """CPU seconds of this process's finished child processes (a scan's parse workers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _sizes(store: Store, top: int = 8) -> dict[str, float]:
    """MB of the largest tables and indexes (dbstat), or {} when SQLite was built without it."""
    try:
        rows = store.query("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC LIMIT ?", (top,))
    except Exception:
        return {}
    return {r[0]: round(r[1] / 1e6, 1) for r in rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument(
        "--generator",
        choices=["auto", "firm", "simple"],
        default="auto",
        help="demo.firm.generate_firm (auto when importable) or the built-in 20 files/project",
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    t = time.perf_counter()
    root, generator = tree(args.projects, args.seed, args.generator)
    prepare = time.perf_counter() - t
    rss_before = peak_rss_mb()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUT) as tmp:
        store = Store(Path(tmp) / "bench.db")
        try:
            t, c, k = time.perf_counter(), time.process_time(), _children_cpu()
            first = scan_root(store, root)
            seconds, cpu, children = time.perf_counter() - t, time.process_time() - c, _children_cpu() - k
            t, c = time.perf_counter(), time.process_time()
            again = scan_root(store, root)
            rescan, rescan_cpu = time.perf_counter() - t, time.process_time() - c
            t, c = time.perf_counter(), time.process_time()
            quick = scan_root(store, root, quick=True)
            quick_s, quick_cpu = time.perf_counter() - t, time.process_time() - c
            store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            sizes = _sizes(store)
        finally:
            store.close()
        db_bytes = sum(p.stat().st_size for p in Path(tmp).iterdir())
    emit(
        "index",
        {
            "tree": str(root),
            "generator": generator,
            "prepare_seconds": round(prepare, 2),
            "files": first.files_seen,
            "projects": first.projects_seen,
            "problems": first.problems,
            "seconds": round(seconds, 3),
            "files_per_s": round(first.files_seen / seconds),
            "files_per_s_target": 12_000,
            "cpu_seconds": round(cpu, 3),
            "parse_workers_cpu_seconds": round(children, 3),  # the scan's worker processes (not in cpu_seconds)
            "files_per_cpu_s": round(first.files_seen / (cpu + children)),
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "rescan_seconds": round(rescan, 3),
            "rescan_files_per_s": round(again.files_seen / rescan),
            "rescan_files_per_s_target": 100_000,
            "rescan_cpu_seconds": round(rescan_cpu, 3),
            "rescan_files_per_cpu_s": round(again.files_seen / rescan_cpu),
            "rescan_unchanged": again.unchanged,
            # Folders unchanged since the last scan are stat-ed, not listed (sees names, not edits in place).
            "quick_rescan_seconds": round(quick_s, 3),
            "quick_rescan_files_per_s": round(quick.files_seen / quick_s),
            "quick_rescan_cpu_seconds": round(quick_cpu, 3),
            "quick_rescan_files_per_cpu_s": round(quick.files_seen / quick_cpu),
            "quick_rescan_unchanged": quick.unchanged,
            "db_bytes": db_bytes,
            "db_mb": round(db_bytes / 1e6, 1),
            "db_mb_target": 90,
            "largest_mb": sizes,
            "peak_rss_mb": peak_rss_mb(),  # includes SQLite's page cache and mmap of the db
            "rss_before_index_mb": rss_before,
        },
    )


if __name__ == "__main__":
    main()
