"""Process start to an answered ``tools/list`` over stdio (target < 2 s).

By default on a fresh database. ``--db PATH`` starts on a copy of an existing database (one with
vectors: ``serve`` then opens it at once and loads the embedding model a second later, in the
background; ``tools/list`` must not wait for either). ``--against NAME=PYTHON`` (another
checkout's interpreter, repeatable) runs this bench there and here in alternating rounds and prints
both with their ratio (``_compare.py``): issue 12 holds start-up at or under its figure when filed.
(Putting another checkout first on ``PYTHONPATH`` does not work: the editable install still maps
``quicknav_mcp.tools`` and ``quicknav_mcp.indexers`` to this checkout's folders.)
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
from _compare import alternate, parse_against
from mcp import Client, StdioServerParameters


async def once(env: dict[str, str]) -> float:
    params = StdioServerParameters(command=sys.executable, args=["-m", "quicknav_mcp.cli", "serve"], env=env)
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
    ap.add_argument("--against", action="append", default=[], help="NAME=PYTHON of another checkout")
    ap.add_argument("--rounds", type=int, default=3, help="alternating rounds with --against")
    args = ap.parse_args()
    if args.against:
        argv = ["--runs", str(args.runs)] + (["--db", args.db] if args.db else [])
        emit("startup", alternate(__file__, argv, parse_against(args.against), args.rounds))
        return
    runs: list[float] = []
    # CPU seconds of the whole server process (start, tools/list, exit): steadier than wall time on
    # a shared machine.
    cpu: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.runs):
            db = Path(tmp) / f"s-{n}.db"
            if args.db:
                shutil.copyfile(args.db, db)
            env = dict(os.environ)
            env.update({"QUICKNAV_DB": str(db), "QUICKNAV_LOG_LEVEL": "WARNING", "QUICKNAV_WATCH": "0"})
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            runs.append(asyncio.run(once(env)))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    figures: dict = {"database": "copy of " + args.db if args.db else "fresh", "target_s": 2}
    figures["tools_list_after_start_s"] = _summary(runs)
    figures["server_cpu_s"] = _summary(cpu)
    emit("startup", figures)


if __name__ == "__main__":
    main()
