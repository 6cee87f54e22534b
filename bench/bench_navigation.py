"""navigate_project and find_documents latency at 5,000 projects, in-process (target p95 <= 5 ms)."""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, emit, firm, peak_rss_mb, percentiles

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=5000)
    ap.add_argument("--calls", type=int, default=2000)
    args = ap.parse_args()
    root = firm(args.projects)
    db = OUT / f"nav-{args.projects}.db"
    app = App.open(load_config(db=db, roots=[root], env={}))
    app.indexing.reindex()
    rng = random.Random(5)
    projects = app.projects.all()
    codes = [p.code for p in projects]
    words = [n for p in projects for n in p.client_names] or [p.name.split(" - ", 1)[-1] for p in projects]

    def timed(fn, inputs) -> dict[str, float]:
        fn(inputs[0])  # warm the cache
        samples = []
        for value in inputs:
            t0 = time.perf_counter()
            fn(value)
            samples.append((time.perf_counter() - t0) * 1000)
        return percentiles(samples)

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
        await client.call_tool("navigate_project", {"project_number": codes[0]})
        for label, inputs in (("navigate_code", codes), ("navigate_words", words)):
            samples = []
            for value in inputs:
                t0 = time.perf_counter()
                await client.call_tool("navigate_project", {"project_number": value})
                samples.append((time.perf_counter() - t0) * 1000)
            out[label] = percentiles(samples)
        samples = []
        for value in codes:
            t0 = time.perf_counter()
            await client.call_tool("find_documents", {"project_number": value, "doc_type": "lld"})
            samples.append((time.perf_counter() - t0) * 1000)
        out["find_documents_auto_lld"] = percentiles(samples)
    return out


if __name__ == "__main__":
    main()
