"""navigate_project and find_documents latency at 5,000 projects, in-process and through the MCP client.

Each call is timed as wall time and as CPU time of the calling thread (in-process) or of the whole
process (through the MCP client: the server's worker threads included). Target p95 <= 5 ms; issue 12
also holds every figure at or under the code's figures when it was filed: ``--against
NAME=PYTHON`` (another checkout's interpreter, repeatable) runs this bench there and here in
alternating rounds and prints both with their ratio (see ``_compare.py``).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, emit, firm, peak_rss_mb, percentiles
from _compare import alternate, parse_against

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=5000)
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--against", action="append", default=[], help="NAME=PYTHON of another checkout")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds with --against")
    args = ap.parse_args()
    if args.against:
        argv = ["--projects", str(args.projects), "--calls", str(args.calls)]
        emit("navigation", alternate(__file__, argv, parse_against(args.against), args.rounds))
        return
    root = firm(args.projects)
    db = OUT / f"nav-{args.projects}.db"
    app = App.open(load_config(db=db, roots=[root], env={}))
    app.indexing.reindex()
    rng = random.Random(5)
    projects = app.projects.all()
    codes = [p.code for p in projects]
    words = [n for p in projects for n in p.client_names] or [p.name.split(" - ", 1)[-1] for p in projects]

    def timed(fn, inputs) -> dict[str, dict[str, float]]:
        fn(inputs[0])  # warm the cache
        wall, cpu = [], []
        for value in inputs:
            c0, t0 = time.thread_time(), time.perf_counter()
            fn(value)
            wall.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.thread_time() - c0) * 1000)
        return {"wall": percentiles(wall), "cpu": percentiles(cpu)}

    code_inputs = [rng.choice(codes) for _ in range(args.calls)]
    word_inputs = [rng.choice(words) for _ in range(args.calls // 4)]
    typo_inputs = [w[:2] + w[3:] if len(w) > 4 else w for w in word_inputs]
    figures = {
        "projects": len(projects),
        "documents": app.indexing.status().documents,
        "navigate_code": timed(app.navigation.navigate, code_inputs),
        "navigate_words": timed(app.navigation.navigate, word_inputs),
        "navigate_typo": timed(app.navigation.navigate, typo_inputs),
        "find_documents_auto_lld": timed(lambda c: app.documents.find(c, "lld", "auto"), code_inputs),
        "find_documents_latest_lld": timed(lambda c: app.documents.find(c, "lld", "latest"), code_inputs),
        "find_documents_sales_po": timed(lambda c: app.documents.find(c, "sales_po", "auto"), code_inputs),
        "peak_rss_mb": peak_rss_mb(),
        "target_p95_ms": 5,
    }
    app.close()
    figures["mcp_in_memory"] = asyncio.run(_through_mcp(db, root, code_inputs[:300], word_inputs[:100]))
    emit("navigation", figures)


async def _through_mcp(db: Path, root: Path, codes: list[str], words: list[str]) -> dict[str, dict[str, float]]:
    """The same lookups through the real MCP client in memory, with automatic analytics tracking
    writing events in the background (so caches see a constantly changing database)."""
    from mcp import Client

    from quicknav_mcp.server import build_server

    config = load_config(db=db, roots=[root], env={})
    out: dict[str, dict[str, float]] = {}
    async with Client(build_server(lambda: App.open(config))) as client:

        async def timed(tool: str, args: list[dict]) -> dict[str, dict[str, float]]:
            await client.call_tool(tool, args[0])
            wall, cpu = [], []
            for value in args:
                c0, t0 = time.process_time(), time.perf_counter()
                result = await client.call_tool(tool, value)
                wall.append((time.perf_counter() - t0) * 1000)
                cpu.append((time.process_time() - c0) * 1000)
                assert not result.is_error, result.content
            return {"wall": percentiles(wall), "cpu": percentiles(cpu)}

        out["navigate_code"] = await timed("navigate_project", [{"project_number": c} for c in codes])
        out["navigate_words"] = await timed("navigate_project", [{"project_number": w} for w in words])
        lld = [{"project_number": c, "doc_type": "lld"} for c in codes]
        out["find_documents_auto_lld"] = await timed("find_documents", lld)
        out["find_documents_latest_lld"] = await timed("find_documents", [{**a, "mode": "latest"} for a in lld])
    return out


if __name__ == "__main__":
    main()
