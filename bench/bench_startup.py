"""Process start to an answered ``tools/list`` over stdio (target < 2 s).

By default on a fresh database. ``--db PATH`` starts on a copy of an existing database (one with
vectors: ``serve`` then opens it at once and loads the embedding model a second later, in the
background; ``tools/list`` must not wait for either). ``--baseline-src DIR`` runs the same with
``DIR`` (a checkout of the code before) first on ``PYTHONPATH``, alternating with this code.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit
from mcp import Client, StdioServerParameters


async def once(env: dict[str, str], cwd: str | None = None) -> float:
    params = StdioServerParameters(command=sys.executable, args=["-m", "quicknav_mcp.cli", "serve"], env=env, cwd=cwd)
    t0 = time.perf_counter()
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
        elapsed = time.perf_counter() - t0
    assert tools
    return elapsed


def _summary(runs: list[float]) -> dict:
    rounded = [round(r, 3) for r in runs]
    return {"median": round(statistics.median(runs), 3), "max": max(rounded), "runs": rounded}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default=None, help="start on a copy of this database instead of a fresh one")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--baseline-src", default=None)
    args = ap.parse_args()
    variants = {"after": None} if not args.baseline_src else {"before": args.baseline_src, "after": None}
    runs: dict[str, list[float]] = {name: [] for name in variants}
    # CPU seconds of the whole server process (start, tools/list, exit): steadier than wall time on
    # a shared machine.
    cpu: dict[str, list[float]] = {name: [] for name in variants}
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.runs):
            for name, src in variants.items():  # alternated: the machine's load changes under a run
                db = Path(tmp) / f"s-{name}-{n}.db"
                if args.db:
                    shutil.copyfile(args.db, db)
                env = dict(os.environ)
                env.update({"QUICKNAV_DB": str(db), "QUICKNAV_LOG_LEVEL": "WARNING", "QUICKNAV_WATCH": "0"})
                if src:
                    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                runs[name].append(asyncio.run(once(env, cwd=src)))
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu[name].append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    figures: dict = {"database": "copy of " + args.db if args.db else "fresh", "target_s": 2}
    if args.baseline_src:
        figures["tools_list_after_start_s"] = {name: _summary(r) for name, r in runs.items()}
        figures["server_cpu_s"] = {name: _summary(r) for name, r in cpu.items()}
    else:
        figures["tools_list_after_start_s"] = _summary(runs["after"])
        figures["server_cpu_s"] = _summary(cpu["after"])
    emit("startup", figures)


if __name__ == "__main__":
    main()
