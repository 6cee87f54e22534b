"""Open-loop load on the HTTP gateway and on /mcp, plus WebSocket push latency; prints JSON.

Requests are *scheduled* at a fixed rate whatever the answers do (open loop), and latency runs
from the scheduled moment, so a server that falls behind shows its queueing instead of hiding
it (the closed-loop "coordinated omission"). Each rate runs ``--duration`` seconds over at most
``--connections`` connections, mixing search / navigate / recommend / events. The server is a
real ``quicknav serve --http`` child on 127.0.0.1 over a generated firm (``--projects``, small by
default), rate limiting off. Loopback only; every phase is bounded in time.

    python bench/http_load.py --rates 50,100,200 --duration 60 --ws-clients 1000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import firm, percentiles

MAX_DURATION = 120.0  # seconds per phase, whatever is asked
QUERIES = ("substation", "hospital", "bridge", "school fitout", "pump station", "report", "drawings", "21614", "CPQST")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(projects: int, workdir: Path) -> tuple[Path, Path, list[str]]:
    """A generated firm indexed into a fresh database; returns (db, root, project numbers)."""
    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    root = firm(projects, content=False)
    db = workdir / "bench.db"
    with App.open(load_config(db=db, roots=[root], env={}, embed_model="none")) as app:
        app.indexing.reindex()
        codes = [r[0] for r in app.store.query("SELECT code FROM projects ORDER BY code")]
    return db, root, codes


def start_server(db: Path, root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKNAV_")}
    env.update(
        QUICKNAV_DB=str(db),
        QUICKNAV_ROOTS=str(root),
        QUICKNAV_USER="bench",
        QUICKNAV_RATE_LIMIT="0",
        QUICKNAV_SEARCH_BACKGROUND="0",
        QUICKNAV_EMBED_MODEL="none",
        QUICKNAV_LOG_LEVEL="WARNING",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "quicknav_mcp.cli", "serve", "--http", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/health", timeout=2).status_code in (200, 503):
                return proc, base
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("the gateway did not start")


def gateway_mix(codes: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, path, body) requests, in the proportions of a desktop client's day."""
    rnd = random.Random(5)
    out: list[tuple[str, str, dict[str, Any]]] = []
    for i in range(2000):
        roll = rnd.random()
        if roll < 0.4:
            out.append(("search", "/api/v1/projects/search", {"query": rnd.choice(QUERIES), "limit": 10}))
        elif roll < 0.65:
            out.append(("navigate", "/legacy/navigate_project", {"project_number": rnd.choice(codes)}))
        elif roll < 0.8:
            out.append(("recommend", "/api/v1/recommendations/projects", {"limit": 5}))
        else:
            event = {
                "event_type": "project_view",
                "project_id": rnd.choice(codes),
                "event_id": f"bench-{i}-{time.time_ns()}",
            }
            out.append(("events", "/api/v1/analytics/events", event))
    return out


async def open_loop(rate: float, duration: float, call: Any, requests: list[Any]) -> dict[str, Any]:
    """Launch ``call(request)`` every 1/rate s for ``duration`` s; latency from the scheduled time."""
    latencies: list[float] = []
    errors: dict[str, int] = {}
    tasks: list[asyncio.Task[None]] = []
    start = time.perf_counter()
    cycle = itertools.cycle(requests)

    async def one(scheduled: float, request: Any) -> None:
        try:
            await call(request)
        except Exception as exc:
            key = type(exc).__name__ + (f" {exc}"[:60] if isinstance(exc, AssertionError) else "")
            errors[key] = errors.get(key, 0) + 1
            return
        latencies.append((time.perf_counter() - scheduled) * 1000)

    n = int(rate * duration)
    for i in range(n):
        scheduled = start + i / rate
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled, next(cycle))))
    await asyncio.wait(tasks, timeout=30)
    elapsed = time.perf_counter() - start
    out: dict[str, Any] = {"rate": rate, "sent": n, "ok": len(latencies), "errors": errors}
    out["achieved_per_s"] = round(len(latencies) / elapsed, 1)
    if len(latencies) >= 2:
        out.update(percentiles(latencies))
    return out


async def gateway_phase(base: str, rate: float, duration: float, connections: int, codes: list[str]) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as http:

        async def call(request: tuple[str, str, dict[str, Any]]) -> None:
            _, path, body = request
            r = await http.post(path, json=body)
            assert r.status_code == 200, f"{path} {r.status_code}"

        mix = gateway_mix(codes)
        for kind in ("search", "navigate", "recommend", "events"):  # warm up: first calls load models and caches
            await call(next(r for r in mix if r[0] == kind))
        return await open_loop(rate, duration, call, mix)


async def mcp_phase(base: str, rate: float, duration: float, sessions: int, codes: list[str]) -> dict[str, Any]:
    from mcp import Client

    rnd = random.Random(9)
    mix = []
    for _ in range(1000):
        roll = rnd.random()
        if roll < 0.5:
            mix.append(("search_projects", {"query": rnd.choice(QUERIES), "limit": 10}))
        elif roll < 0.8:
            mix.append(("navigate_project", {"project_number": rnd.choice(codes)}))
        else:
            mix.append(("track_event", {"event_type": "project_view", "project_id": rnd.choice(codes)}))
    async with contextlib.AsyncExitStack() as stack:  # sessions close in reverse order (anyio scopes nest)
        opened = [await stack.enter_async_context(Client(base + "/mcp")) for _ in range(sessions)]
        turn = itertools.cycle(opened)

        async def call(request: tuple[str, dict[str, Any]]) -> None:
            result = await next(turn).call_tool(*request)
            assert not result.is_error, request[0]

        for request in mix[:3]:
            await call(request)
        return await open_loop(rate, duration, call, mix)


async def ws_phase(base: str, clients: int, events: int) -> dict[str, Any]:
    """``clients`` sockets on one user; each event's push latency to every client."""
    from websockets.asyncio.client import connect

    url = base.replace("http://", "ws://") + "/ws/bench"
    sockets = []
    for i in range(0, clients, 50):  # connect in waves: the listen backlog is finite
        sockets += await asyncio.gather(*(connect(url, max_size=None) for _ in range(min(50, clients - i))))
    for s in sockets:
        await s.recv()  # hello
    sent_at: dict[str, float] = {}
    latencies: list[float] = []

    async def listen(s: Any) -> None:
        seen = 0
        while seen < events:
            message = json.loads(await s.recv())
            if message["type"] == "event" and message["event"]["event_id"] in sent_at:
                latencies.append((time.perf_counter() - sent_at[message["event"]["event_id"]]) * 1000)
                seen += 1

    listeners = [asyncio.create_task(listen(s)) for s in sockets]
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for i in range(events):
            event_id = f"ws-{i}-{time.time_ns()}"
            sent_at[event_id] = time.perf_counter()
            r = await http.post("/api/v1/analytics/events", json={"event_type": "user_login", "event_id": event_id})
            assert r.status_code == 200, r.text
            await asyncio.sleep(0.5)
    _, pending = await asyncio.wait(listeners, timeout=30)
    for task in pending:
        task.cancel()
    await asyncio.gather(*(s.close() for s in sockets), return_exceptions=True)
    out: dict[str, Any] = {"clients": clients, "events": events, "deliveries": len(latencies)}
    out["missing"] = clients * events - len(latencies)
    if len(latencies) >= 2:
        out.update(percentiles(latencies))
    return out


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    duration = min(args.duration, MAX_DURATION)
    rates = [float(r) for r in args.rates.split(",") if r.strip()]
    with tempfile.TemporaryDirectory(prefix="quicknav-http-load-") as tmp:
        db, root, codes = prepare(args.projects, Path(tmp))
        proc, base = start_server(db, root)
        report: dict[str, Any] = {"projects": args.projects, "duration_s": duration, "connections": args.connections}
        try:
            if args.target in ("gateway", "both"):
                report["gateway"] = [
                    await gateway_phase(base, rate, duration, args.connections, codes) for rate in rates
                ]
            if args.target in ("mcp", "both"):
                report["mcp"] = [await mcp_phase(base, rate, duration, args.sessions, codes) for rate in rates]
            if args.ws_clients:
                report["websocket"] = await ws_phase(base, args.ws_clients, args.ws_events)
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=300, help="size of the generated firm")
    parser.add_argument("--rates", default="50,100,200", help="requests per second, comma-separated")
    parser.add_argument("--duration", type=float, default=10.0, help=f"seconds per rate (at most {MAX_DURATION:g})")
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--sessions", type=int, default=20, help="MCP sessions for /mcp")
    parser.add_argument("--target", choices=("gateway", "mcp", "both"), default="both")
    parser.add_argument("--ws-clients", type=int, default=0, help="WebSocket clients for the push-latency phase")
    parser.add_argument("--ws-events", type=int, default=10)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main_async(args)), indent=2))


if __name__ == "__main__":
    main()
