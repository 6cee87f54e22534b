"""Live ingestion: how soon a saved file is findable, and a burst of new files absorbed without loss.

    .venv/bin/python bench/bench_watch.py [--projects 200] [--samples 20] [--burst 10000]

Targets: a saved file is found by ``search_documents`` and ``find_documents`` <= 3 s after the
write; a burst of 10,000 new files is absorbed without loss while lookups stay under 50 ms p95.
The watcher runs as in ``serve`` (supervised thread, inotify) over a generated firm (metadata
only) in a temporary copy; prints one JSON object.

Lookups share the process (and the store's connection) with the watcher, as in ``serve``. They
are issued at a fixed rate (``--lookup-ms``) and each is timed from when it was due, not from when
the previous one let it start: a lookup stuck 1 s behind a write delays the ~20 due after it, and
all of them count (timing back-to-back lookups would record that second once and hide it). The
same lookups are also timed with the watcher idle (``lookups_idle``): on a loaded machine that is
the floor the burst figures should be read against. ``*_cpu`` figures are the lookup thread's own
CPU time; wall minus CPU is time spent waiting (for the store, the GIL or a core).
"""

from __future__ import annotations

import argparse
import logging
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, firm, peak_rss_mb, percentiles

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config

SD = "4. System Designs"


def _wait(check: object, deadline: float) -> float | None:
    """Seconds until ``check()`` is true, or None past ``deadline`` seconds."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < deadline:
        if check():  # type: ignore[operator]
            return time.monotonic() - t0
        time.sleep(0.01)
    return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=200)
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--burst", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--lookup-ms", type=float, default=50.0, help="one lookup due every this many ms")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)

    work = Path(tempfile.mkdtemp(prefix="quicknav-watch-"))
    try:
        root = work / "firm"
        shutil.copytree(firm(args.projects, args.seed), root)
        env = {"QUICKNAV_EMBED_MODEL": "none", "QUICKNAV_ANALYTICS_TRACKING": "0"}
        app = App.open(load_config(db=work / "q.db", roots=[root], env=env))
        t0 = time.monotonic()
        supervisor = app.start_watching()
        _wait(lambda: supervisor.status()["state"] == "watching", 600)
        reconcile_s = time.monotonic() - t0
        rows = app.store.query("SELECT p.code, p.rel_path FROM projects p ORDER BY p.code")
        rnd = random.Random(args.seed)

        search_ms: list[float] = []
        find_ms: list[float] = []
        for i in range(args.samples):
            code, rel = rnd.choice(rows)
            folder = root / rel / SD
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{code} - LIVE SAMPLE {i} - Rev {900 + i}.pdf"
            (folder / name).write_bytes(b"%PDF-1.4")
            t = time.monotonic()

            def searched(name: str = name, code: str = code, words: str = f"LIVE SAMPLE {i}") -> bool:
                hits = app.search.search_documents(words, code, None, None, 5, 0, False, None)
                return any(h.path.endswith(name) for h in hits.documents)

            waited = _wait(searched, 30)
            search_ms.append((waited if waited is not None else 30.0) * 1000)
            found = app.documents.find(code, "lld", "latest")
            paths = [found.path, *(found.paths or [])]
            find_ms.append((time.monotonic() - t) * 1000 if any(str(p).endswith(name) for p in paths) else 30_000.0)

        every = args.lookup_ms / 1000
        due = time.monotonic()

        def lookup(wall: list[float], cpu: list[float]) -> None:
            nonlocal due
            due += every
            start = due  # behind schedule: the time it waited behind the previous lookups counts
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
                start = time.monotonic()  # on time: the sleep's oversleeping is not the lookup's
            code, _ = rnd.choice(rows)
            c = time.thread_time()
            app.search.search_documents("design", code, None, None, 10, 0, False, None)
            wall.append((time.monotonic() - start) * 1000)
            cpu.append((time.thread_time() - c) * 1000)

        idle_ms: list[float] = []
        idle_cpu: list[float] = []
        due = time.monotonic()
        for _ in range(500):
            lookup(idle_ms, idle_cpu)

        # The burst: many new files in a few project folders, lookups timed meanwhile.
        before = app.store.query_one("SELECT count(*) FROM documents")[0]
        targets = [root / rel / "Photos" / "Site visit" for _, rel in rnd.sample(rows, 10)]
        for t_dir in targets:
            t_dir.mkdir(parents=True, exist_ok=True)
        t = time.monotonic()
        for i in range(args.burst):
            (targets[i % len(targets)] / f"IMG_{i:05d}.jpg").write_bytes(b"")
        written_s = time.monotonic() - t
        lookup_ms: list[float] = []
        lookup_cpu: list[float] = []
        want = before + args.burst
        due = time.monotonic()
        while app.store.query_one("SELECT count(*) FROM documents")[0] < want and time.monotonic() - t < 300:
            for _ in range(20):  # the count is a query too: checked now and then
                lookup(lookup_ms, lookup_cpu)
        absorbed_s = time.monotonic() - t
        got = app.store.query_one("SELECT count(*) FROM documents")[0] - before
        _wait(lambda: supervisor.status()["changes"] >= args.samples + args.burst, 10)  # the batch's bookkeeping
        status = supervisor.status()
        history = {
            r[0]: {"rows": r[1], "batches": r[2]}
            for r in app.store.query("SELECT kind, count(*), sum(batches) FROM scans GROUP BY kind")
        }
        app.close()
        emit(
            "watch",
            {
                "projects": args.projects,
                "documents": before,
                "reconcile_s": round(reconcile_s, 2),
                "write_to_search": percentiles(search_ms),
                "write_to_find_documents": percentiles(find_ms),
                "burst_files": args.burst,
                "burst_written_s": round(written_s, 2),
                "burst_absorbed_s": round(absorbed_s, 2),
                "burst_indexed": got,
                "lookups_idle": percentiles(idle_ms),
                "lookups_idle_cpu": percentiles(idle_cpu),
                "lookups_during_burst": percentiles(lookup_ms) if len(lookup_ms) > 1 else None,
                "lookups_during_burst_cpu": percentiles(lookup_cpu) if len(lookup_cpu) > 1 else None,
                "watcher": {k: status[k] for k in ("mode", "changes", "batches", "restarts")},
                "scans_rows": history,
                "peak_rss_mb": peak_rss_mb(),
            },
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
