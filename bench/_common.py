"""Helpers shared by the benchmarks: a cached generated firm and percentile maths."""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

OUT = Path(os.environ.get("QUICKNAV_BENCH_DIR", "/tmp/quicknav-bench"))
FROZEN_NOW = 1_780_000_000.0
"""Seconds since the epoch: the instant answers are ranked at where two runs must agree (recency
boosts, the learned ranker's document ages and its training read ``time.time``)."""


@contextmanager
def frozen_clock(now: float = FROZEN_NOW) -> Iterator[None]:
    """``time.time`` returns ``now`` inside (indexing, which stamps what it writes, runs outside)."""
    real = time.time
    time.time = lambda: now  # type: ignore[assignment]
    try:
        yield
    finally:
        time.time = real  # type: ignore[assignment]


# Set by ``_compare.py`` for the runs of other checkouts: their generator may differ from the one
# that made the shared firm and would delete and rewrite it under everyone using it.
READ_ONLY_FIRMS = "QUICKNAV_BENCH_READ_ONLY_FIRMS"


def firm(projects: int, seed: int = 11, content: bool = False) -> Path:
    """Generate (or reuse) a synthetic firm with ``projects`` projects; returns its root."""
    from quicknav_mcp.demo.firm import generate_firm

    root = OUT / f"firm-{projects}-{seed}-{'c' if content else 'm'}"
    if os.environ.get(READ_ONLY_FIRMS):
        marker = root / ".quicknav-demo.json"
        data = json.loads(marker.read_text()) if marker.is_file() else {}
        params = data.get("params", {})
        if data.get("status") == "complete" and [params.get(k) for k in ("projects", "seed", "content")] == [
            projects,
            seed,
            content,
        ]:
            return root
        raise SystemExit(f"{root}: no complete generated firm to read (generate it with this checkout first)")
    root.mkdir(parents=True, exist_ok=True)
    generate_firm(root, projects=projects, seed=seed, content=content)
    return root


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {
        "p50_ms": round(q[49], 3),
        "p95_ms": round(q[94], 3),
        "p99_ms": round(q[98], 3),
        "max_ms": round(ordered[-1], 3),
        "n": len(ordered),
    }


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def emit(name: str, figures: dict) -> None:
    """Print one JSON object per benchmark on stdout."""
    figures = {"bench": name, "cpus": os.cpu_count(), "python": sys.version.split()[0], **figures}
    print(json.dumps(figures), flush=True)
