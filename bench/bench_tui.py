"""Terminal dashboard: first paint, refresh and search-as-you-type (prints JSON lines).

    python bench/bench_tui.py                 # the cached 1M-event and 116k-document databases
    python bench/bench_tui.py --quick         # fewer rounds

Targets: first paint <= 1 s on a database with 1,000,000 events; a refresh <= 200 ms; search-as-you-type
<= 50 ms p95 per keystroke at 100,000 documents. Both databases are copied first (never opened in place).
First paint counts from opening the App (read-only, as ``quicknav tui`` does) to Home drawn with its data.
"Keystroke" figures: (a) the search a keystroke triggers, called directly for every prefix of the queries
(as if no keystroke were ever debounced), and (b) through the running dashboard, typed -> results shown,
minus the typing debounce. Headless Textual, wall clock; on a shared machine compare CPU time too.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import OUT, emit, percentiles

EVENTS_DB = OUT / "reco-5000-1000-1000000.db"
SEARCH_DB = OUT / "search-5000.db"
QUERIES = ("17741", "system design rev", "poolwerx", "as built lld", "change order 4", "hearing loop", "floor plan")


def _copy(src: Path, into: Path) -> Path:
    if not src.exists():
        raise SystemExit(f"{src} is missing: run bench/bench_reco.py (events) or bench/bench_search.py (documents)")
    target = into / src.name
    shutil.copy(src, target)
    return target


async def _paint_and_refresh(db: Path, rounds: int) -> dict:
    from quicknav_mcp.tui import data
    from quicknav_mcp.tui.app import QuickNavTUI

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    cpu0, t0 = time.process_time(), time.perf_counter()
    with App.open(load_config(db=db, env={}, embed_model="none"), readonly=True) as qn:
        opened_s = time.perf_counter() - t0
        tui = QuickNavTUI(qn, opener=lambda _p: None)
        async with tui.run_test(size=(100, 40)) as pilot:
            while tui.first_paint_s is None and time.perf_counter() - t0 < 30:
                await asyncio.sleep(0.005)
            first = time.perf_counter() - t0
            cpu_first = time.process_time() - cpu0
            for _ in range(rounds):
                n = len(tui.timings.get("home", []))
                await pilot.press("r")
                while len(tui.timings.get("home", [])) == n:
                    await asyncio.sleep(0.002)
            refresh = tui.timings["home"][1:]
        events = qn.analytics.counts()["events"]
        cpu: list[float] = []  # the refresh's own work (the services), in CPU time: robust to a busy machine
        for _ in range(rounds):
            c0 = time.thread_time()
            data.home(qn, tui.now_ms())
            cpu.append((time.thread_time() - c0) * 1000)
    return {
        "events": events,
        "open_s": round(opened_s, 3),
        "first_paint_s": round(first, 3),
        "first_paint_cpu_s": round(cpu_first, 3),
        "refresh": percentiles(refresh),
        "refresh_services_cpu": percentiles(cpu),
    }


async def _typing(db: Path, rounds: int) -> dict:
    from quicknav_mcp.tui import data
    from quicknav_mcp.tui.app import QuickNavTUI
    from quicknav_mcp.tui.search import DEBOUNCE_S

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    with App.open(load_config(db=db, env={}, embed_model="none"), readonly=True) as qn:
        documents = qn.indexing.status().documents
        data.search(qn, "warm up", {}, qn.config.user)
        direct: list[float] = []
        cpu: list[float] = []
        for _ in range(rounds):
            for q in QUERIES:
                for i in range(1, len(q) + 1):
                    c0, t0 = time.thread_time(), time.perf_counter()
                    data.search(qn, q[:i], {}, qn.config.user)
                    direct.append((time.perf_counter() - t0) * 1000)
                    cpu.append((time.thread_time() - c0) * 1000)
        tui = QuickNavTUI(qn, opener=lambda _p: None)
        async with tui.run_test(size=(100, 40)) as pilot:
            pane = tui.query_one("#search-pane")
            for q in QUERIES:
                await pilot.press("escape", "slash")
                for ch in q:  # a fast typist: 80 ms between keys, so some keystrokes share a search
                    await pilot.press(ch)
                    await asyncio.sleep(0.08)
                deadline = time.perf_counter() + 10
                while (pane.last is None or pane.last.query != q) and time.perf_counter() < deadline:
                    await asyncio.sleep(0.005)
            shown = [ms - DEBOUNCE_S * 1000 for ms in pane.keystroke_ms]
    return {
        "documents": documents,
        "search_per_prefix": percentiles(direct),
        "search_per_prefix_cpu": percentiles(cpu),
        "typed_to_shown_minus_debounce": percentiles(shown) if len(shown) > 1 else shown,
        "debounce_ms": DEBOUNCE_S * 1000,
        "prefixes": len(direct),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    rounds = 5 if args.quick else 20
    with tempfile.TemporaryDirectory(prefix="bench-tui-") as tmp:
        db = _copy(EVENTS_DB, Path(tmp))
        emit("tui_first_paint_refresh", asyncio.run(_paint_and_refresh(db, rounds)))
        db.unlink()
        db = _copy(SEARCH_DB, Path(tmp))
        emit("tui_search_as_you_type", asyncio.run(_typing(db, 1 if args.quick else 3)))


if __name__ == "__main__":
    main()
