"""WebSocket /ws/{user_id} on a real uvicorn server with the `websockets` client.

Fan-out of tracked events to every client of their user (within 100 ms), subscriptions, the
dashboard tick, index notifications, auth (header, ?token=, admin), and a client that does not
read being dropped without delaying the others.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import time
from pathlib import Path

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.http import ws as ws_module
from quicknav_mcp.http.auth import mint

from .edge_harness import SECRET, edge_app, serve


@pytest.fixture()
def qn(sample_db: Path, sample_root: Path, tmp_path: Path):
    db = tmp_path / "q.db"
    shutil.copy(sample_db, db)
    app = App.open(load_config(db=db, roots=[sample_root], env={}, embed_model="none", search_background=False))
    yield app
    app.close()


def ws_url(base: str, user: str, token: str | None = None) -> str:
    url = base.replace("http://", "ws://") + f"/ws/{user}"
    return url + (f"?token={token}" if token else "")


async def next_of(conn, kind: str, timeout: float = 5.0) -> dict:
    """The next message of ``kind`` (others, like heartbeats, are skipped)."""
    deadline = time.monotonic() + timeout
    while True:
        message = json.loads(await asyncio.wait_for(conn.recv(), max(0.01, deadline - time.monotonic())))
        if message["type"] == kind:
            return message


def events(user: str, n: int, prefix: str) -> list[dict]:
    return [
        {"event_type": "project_view", "user_id": user, "project_id": "17741", "event_id": f"{prefix}{i}"}
        for i in range(n)
    ]


def test_events_fan_out_to_every_client_of_their_user_within_100ms(qn: App) -> None:
    async def scenario(base: str) -> None:
        dana = [await connect(ws_url(base, "dana")) for _ in range(3)]
        eve = await connect(ws_url(base, "eve"))
        for c in [*dana, eve]:
            assert (await next_of(c, "hello"))["types"] == ["dashboard", "event", "index", "recommendations"]
        latencies = []
        for round_ in range(5):
            sent = time.perf_counter()
            await asyncio.to_thread(qn.analytics.track_events, events("dana", 2, f"r{round_}-"))
            for c in dana:
                got = [(await next_of(c, "event"))["event"]["event_id"] for _ in range(2)]
                latencies.append(time.perf_counter() - sent)
                assert got == [f"r{round_}-0", f"r{round_}-1"]
        await asyncio.to_thread(qn.analytics.track_events, events("eve", 1, "e"))
        message = await next_of(eve, "event")  # eve sees her own event, and none of dana's
        assert message["event"]["event_id"] == "e0" and message["event"]["user_id"] == "eve"
        latencies.sort()
        assert latencies[int(len(latencies) * 0.95) - 1] < 0.1, latencies
        for c in [*dana, eve]:
            await c.close()

    with serve(edge_app(qn)) as base:
        asyncio.run(scenario(base))


def test_subscribe_dashboard_tick_and_index_notice(qn: App) -> None:
    async def scenario(base: str) -> None:
        async with connect(ws_url(base, "dana")) as c:
            await next_of(c, "hello")
            await c.send(json.dumps({"subscribe": ["dashboard", "index"]}))
            assert (await next_of(c, "subscribed"))["types"] == ["dashboard", "index"]
            await asyncio.to_thread(qn.analytics.track_events, events("dana", 1, "d"))
            tick = await next_of(c, "dashboard", timeout=5)
            assert "total_events" in tick["metrics"]

            # A project's facts change (as a re-scan writes them): the index counters move.
            def rescan() -> None:
                with qn.store.transaction() as conn:
                    conn.execute("UPDATE projects SET description = 'rescanned' WHERE code = '17741'")

            await asyncio.to_thread(rescan)
            notice = await next_of(c, "index", timeout=5)
            assert notice["changed"] == ["projects"]
            assert notice["projects"] >= 4
            # No event message arrived: not subscribed.
            await c.send(json.dumps({"subscribe": ["nope"]}))
            error = await next_of(c, "error")
            assert "unknown types ['nope']" in error["error"]
            await c.send("not json")
            assert (await next_of(c, "error"))["error_code"] == "malformed_json"
            await c.send(json.dumps({"type": "ping"}))
            await next_of(c, "pong")

    with serve(edge_app(qn, hub={"dashboard_interval": 0.3})) as base:
        asyncio.run(scenario(base))


def test_auth_header_query_token_and_admin(qn: App) -> None:
    dana = mint(SECRET, "dana", days=1)
    admin = mint(SECRET, "root", days=1, admin=True)

    async def scenario(base: str) -> None:
        with pytest.raises(InvalidStatus) as refused:
            await connect(ws_url(base, "dana"))
        assert refused.value.response.status_code == 401
        assert json.loads(refused.value.response.body)["error_code"] == "missing_token"
        with pytest.raises(InvalidStatus) as refused:
            await connect(ws_url(base, "eve", dana))
        assert refused.value.response.status_code == 403
        async with connect(ws_url(base, "dana"), additional_headers={"Authorization": f"Bearer {dana}"}) as c:
            assert (await next_of(c, "hello"))["user_id"] == "dana"
        async with connect(ws_url(base, "dana", dana)) as c:
            await next_of(c, "hello")
        async with connect(ws_url(base, "eve", admin)) as c:
            await next_of(c, "hello")
            await asyncio.to_thread(qn.analytics.track_events, events("eve", 1, "a"))
            assert (await next_of(c, "event"))["event"]["event_id"] == "a0"

    with serve(edge_app(qn, secrets=(SECRET,))) as base:
        asyncio.run(scenario(base))


def test_slow_client_is_dropped_and_never_delays_the_others(qn: App, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ws_module, "QUEUE_SIZE", 16)
    app = edge_app(qn)
    big = "x" * 100_000
    n = 300  # 30 MB: more than the kernel and transport buffers hold for a client that never reads

    async def scenario(base: str) -> None:
        hub = app.state.edge.hub
        fast = [await connect(ws_url(base, "dana"), max_size=None, compression=None) for _ in range(2)]
        # A small fixed receive buffer (no autotuning: loopback may otherwise buffer 32 MB) that nobody reads.
        raw = socket.socket()
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        raw.connect(("127.0.0.1", int(base.rsplit(":", 1)[1])))
        slow = await connect(ws_url(base, "dana"), sock=raw, max_size=None, max_queue=1, compression=None)
        for c in fast:
            await next_of(c, "hello")

        async def produce() -> float:
            for i in range(n):
                hub.publish("event", {"event": {"event_id": f"b{i}", "filler": big}}, {"dana"})
                await asyncio.sleep(0.002)
            return time.perf_counter()

        async def drain(c) -> list[str]:
            ids = []
            while len(ids) < n:
                ids.append((await next_of(c, "event", timeout=20))["event"]["event_id"])
            return ids

        loop = hub._loop
        produced = asyncio.wrap_future(asyncio.run_coroutine_threadsafe(produce(), loop))
        received = await asyncio.gather(*(drain(c) for c in fast))
        finished = time.perf_counter()
        ended = await produced
        assert all(ids == [f"b{i}" for i in range(n)] for ids in received)
        assert finished - ended < 1.0  # the fast clients kept pace with the producer
        assert hub.client_count == 2
        assert app.state.edge.metrics.ws_dropped._value.get() == 1
        # The slow client, reading at last, finds its stream cut short.
        seen = 0
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(slow.recv(), 10)
                seen += 1
        assert seen < n
        for c in fast:
            await c.close()

    with serve(app) as base:
        asyncio.run(scenario(base))
