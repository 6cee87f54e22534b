"""Foreground latency in the first seconds after a large firm's server opens, while its background builds run.

A server opens the store and at once starts building its in-memory copies on threads (candidate table,
full-text postings, project summaries, digit parts, the vector shortlist), loads the embedding model a
second later and starts the extraction/embedding worker (``cli.cmd_serve``). A person at the desktop
GUI, or an assistant's first calls, meet the server in that window. This bench opens a copy of the
cached 116k-document database (``/tmp/quicknav-bench/search-5000.db``) the way ``serve`` does, through
the real MCP server and its in-memory client, and from the moment of the open calls, in turn:
``navigate_project`` by code and by words, ``find_documents``, ``search_documents`` (words only until
the model has loaded) and ``get_dashboard``, one call every ``--gap-ms`` for ``--seconds``.

It prints, per second since the open, the p50/p95 wall latency of the calls finished in that second
(and per kind of call, before and after every build finished), and when each background build first
finished (seconds since the open, how long it ran). Wall time is the point here (the calls wait for the
interpreter lock held by the builds); the machine is shared, so compare checkouts by alternating runs
(``--against base=/work/wt/base/.venv/bin/python``).

    .venv/bin/python bench/bench_after_open.py [--seconds 30] [--gap-ms 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, emit, percentiles
from _compare import alternate, parse_against

SOURCE = OUT / "search-5000.db"
FIRM = OUT / "firm-5000-11-m"


def _requests(db: Path, n: int, seed: int = 3) -> list[tuple[str, dict[str, Any]]]:
    """``n`` rounds of the five calls, on projects and words drawn from the database (read before the open)."""
    rng = random.Random(seed)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        projects = con.execute("SELECT code, folder_name FROM projects ORDER BY id").fetchall()
        names = [r[0] for r in con.execute("SELECT name FROM documents WHERE id % 97 = 0 ORDER BY id")]
    finally:
        con.close()
    out: list[tuple[str, dict[str, Any]]] = []
    for _ in range(n):
        code, folder = rng.choice(projects)
        words = [w for w in folder.replace("-", " ").split() if w.isalpha() and len(w) > 2]
        name_words = [w for w in rng.choice(names).rsplit(".", 1)[0].replace("-", " ").split() if w.isalpha()]
        out += [
            ("navigate_code", {"project_number": code}),
            ("navigate_words", {"project_number": " ".join(words[:2]) or code}),
            ("find_documents", {"project_number": code, "doc_type": "lld"}),
            ("search_documents", {"query": " ".join(name_words[:3]) or code, "limit": 10}),
            ("get_dashboard", {}),
        ]
    return out


class Builds:
    """Polls the app's background builds and records when each first finished after the open."""

    def __init__(self, app: Any, t0: float) -> None:
        search = app.search
        self.t0 = t0
        self.watched = {
            "candidate_table": search.candidates._builds,
            "doc_postings": search.project_search.postings._builds,
            "project_summaries": search.project_search.about._builds,
            "digit_parts": search.document_search.digits._builds,
            "vector_shortlist": search.doc_vectors._builds,
        }
        self.embedder = search.embedder
        self.finished: dict[str, dict[str, float]] = {}
        self.cpu: dict[int, tuple[str, float]] = {}  # native thread id -> (name, CPU seconds)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, name="bench-poll", daemon=True)

    def __enter__(self) -> Builds:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self) -> None:
        while not self._stop.wait(0.05):
            self._thread_cpu()
            for name, build in self.watched.items():
                if name not in self.finished and build.ended > self.t0 and not build.running:
                    self.finished[name] = {
                        "at_s": round(build.ended - self.t0, 2),
                        "ran_s": round(build.seconds, 2),
                        "failures": build.failures,
                    }
            if "model" not in self.finished and getattr(self.embedder, "loaded", False):
                self.finished["model"] = {"at_s": round(time.monotonic() - self.t0, 2)}

    def _thread_cpu(self) -> None:
        """CPU seconds of every live thread, by thread name (kept after it ends: its last reading)."""
        tick = os.sysconf("SC_CLK_TCK")
        for thread in threading.enumerate():
            tid = thread.native_id
            try:
                fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            self.cpu[tid] = (thread.name, (int(fields[11]) + int(fields[12])) / tick)

    def cpu_by_name(self) -> dict[str, float]:
        """CPU seconds per kind of thread (numbered worker names folded: ``Thread-3 (...)`` -> ``Thread``)."""
        out: dict[str, float] = {}
        for name, seconds in self.cpu.values():
            kind = name.split(" ")[0].rstrip("-0123456789") or name
            out[kind] = round(out.get(kind, 0.0) + seconds, 2)
        return dict(sorted(out.items(), key=lambda kv: -kv[1]))

    @property
    def all_done_s(self) -> float | None:
        """When the last build begun since the open (and the model's load) finished; None while one runs."""
        begun = [k for k, b in self.watched.items() if b.began > self.t0 or b.running]
        if getattr(self.embedder, "loading", False) or any(k not in self.finished for k in begun):
            return None
        return max((v["at_s"] for v in self.finished.values()), default=0.0)


async def _drive(client: Any, requests: list[tuple[str, dict[str, Any]]], t0: float, args: Any) -> list[tuple]:
    """Call the tools in turn until ``args.seconds`` have passed since ``t0``: (kind, start s, wall ms, cpu ms)."""
    samples: list[tuple[str, float, float, float]] = []
    i = 0
    while time.monotonic() - t0 < args.seconds:
        kind, arguments = requests[i % len(requests)]
        i += 1
        tool = kind.split("_")[0] + "_project" if kind.startswith("navigate") else kind
        start, cpu = time.monotonic(), time.thread_time()
        result = await client.call_tool(tool, arguments)
        wall_ms = (time.monotonic() - start) * 1000
        if result.is_error:
            raise SystemExit(f"{tool}({arguments}) failed: {result.content}")
        samples.append((kind, start - t0, wall_ms, (time.thread_time() - cpu) * 1000))
        await asyncio.sleep(args.gap_ms / 1000)
    return samples


def _bucketed(samples: list[tuple], done_s: float | None) -> dict[str, Any]:
    by_second: dict[int, list[float]] = {}
    for _kind, start, wall, _cpu in samples:
        by_second.setdefault(int(start), []).append(wall)
    seconds = {
        str(s): {k: v for k, v in percentiles(walls).items() if k in ("p50_ms", "p95_ms", "max_ms", "n")}
        for s, walls in sorted(by_second.items())
        if len(walls) >= 2
    }
    split = done_s if done_s is not None else float("inf")
    phases: dict[str, Any] = {}
    for phase, keep in (("while_building", lambda t: t < split), ("after_builds", lambda t: t >= split)):
        walls = [w for _k, t, w, _c in samples if keep(t)]
        if len(walls) >= 2:
            phases[phase] = {k: v for k, v in percentiles(walls).items() if k != "p99_ms"}
            kinds: dict[str, list[float]] = {}
            for kind, t, wall, _cpu in samples:
                if keep(t):
                    kinds.setdefault(kind, []).append(wall)
            phases[phase]["p50_ms_by_call"] = {
                k: round(sorted(v)[len(v) // 2], 2) for k, v in sorted(kinds.items()) if len(v) >= 2
            }
    return {"per_second": seconds, **phases}


async def _run(db: Path, args: Any) -> dict[str, Any]:
    from mcp import Client

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config
    from quicknav_mcp.server import build_server

    config = load_config(db=db, roots=[FIRM], user="bench", env={})
    requests = _requests(db, 200)

    def open_app() -> App:  # as ``serve`` opens it (cli.cmd_serve), without watching
        app = App.open(config)
        if config.embed_preload:
            app.search.semantic.warm_up()
        if config.search_background:
            app.search.start_background()
        return app

    server = build_server(open_app)
    async with Client(server) as client:
        await client.list_tools()
        cpu0, t0 = time.process_time(), time.monotonic()
        app = server.holder.get()  # the open: builds start here
        open_ms = (time.monotonic() - t0) * 1000
        with Builds(app, t0) as builds:
            samples = await _drive(client, requests, t0, args)
            # Let the builds end (bounded) so their figures are complete.
            deadline = time.monotonic() + args.settle
            while builds.all_done_s is None and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            cpu = time.process_time() - cpu0
            builds._thread_cpu()
        finished = dict(builds.finished)
        done_s = builds.all_done_s
    figures: dict[str, Any] = {
        "open_ms": round(open_ms, 1),
        "calls": len(samples),
        "gap_ms": args.gap_ms,
        "builds_finished": finished,
        "all_builds_done_s": done_s,
        "process_cpu_s": round(cpu, 1),
        "thread_cpu_s": builds.cpu_by_name(),
        "foreground_cpu_ms_p50": round(sorted(s[3] for s in samples)[len(samples) // 2], 2),
    }
    figures["slowest_calls"] = [
        {"call": kind, "at_s": round(start, 2), "wall_ms": round(wall, 1)}
        for kind, start, wall, _cpu in sorted(samples, key=lambda s: -s[2])[:5]
    ]
    figures.update(_bucketed(samples, done_s))
    return figures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=30.0, help="how long to call after the open")
    ap.add_argument("--gap-ms", type=float, default=10.0, help="pause between calls")
    ap.add_argument("--settle", type=float, default=60.0, help="at most this long after the calls for builds to end")
    ap.add_argument("--db", type=Path, default=SOURCE, help="the database to copy (default: the cached 116k firm)")
    ap.add_argument("--against", action="append", default=[], help="NAME=PYTHON of another checkout")
    ap.add_argument("--rounds", type=int, default=2, help="alternating rounds with --against")
    args = ap.parse_args()
    if args.against:
        argv = ["--seconds", str(args.seconds), "--gap-ms", str(args.gap_ms), "--db", str(args.db)]
        emit("after_open", alternate(__file__, argv, parse_against(args.against), args.rounds))
        return
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if not args.db.exists():
        raise SystemExit(f"{args.db}: no cached database (run bench/bench_search.py once to build it)")
    with tempfile.TemporaryDirectory(prefix="bench-after-open-") as tmp:
        db = Path(tmp) / "search.db"
        for suffix in ("", "-wal"):  # a copy: the cache is never migrated or written
            if Path(f"{args.db}{suffix}").exists():
                shutil.copyfile(f"{args.db}{suffix}", f"{db}{suffix}")
        figures = asyncio.run(_run(db, args))
    emit("after_open", {"database": f"copy of {args.db}", **figures})


if __name__ == "__main__":
    main()
