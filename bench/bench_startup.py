"""Process start to an answered ``tools/list`` over stdio (target < 2 s)."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit
from mcp import Client, StdioServerParameters


async def once(env: dict[str, str]) -> float:
    params = StdioServerParameters(command=sys.executable, args=["-m", "quicknav_mcp.cli", "serve"], env=env)
    t0 = time.perf_counter()
    async with Client(params) as client:
        tools = (await client.list_tools()).tools
        elapsed = time.perf_counter() - t0
    assert tools
    return elapsed


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.update({"QUICKNAV_DB": str(Path(tmp) / "s.db"), "QUICKNAV_LOG_LEVEL": "WARNING"})
        runs = [asyncio.run(once(env)) for _ in range(5)]
    emit(
        "startup",
        {
            "tools_list_after_start_s": {
                "median": round(statistics.median(runs), 3),
                "max": round(max(runs), 3),
                "runs": [round(r, 3) for r in runs],
            },
            "target_s": 2,
        },
    )


if __name__ == "__main__":
    main()
