"""The event bus: topics, durable cursors, slow and failing subscribers."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from quicknav_mcp.analytics import AnalyticsService, AnalyticsSettings
from quicknav_mcp.analytics.bus import HEAD_SQL, EventBus, Message, cursor_position, publish, subscriber_lag
from quicknav_mcp.analytics.db import Conn
from quicknav_mcp.analytics.service import TOPIC_EVENTS
from quicknav_mcp.analytics.synthetic import generate_events
from quicknav_mcp.store import Store

DAY = 86_400_000
START = (int(time.time() * 1000) // DAY - 10) * DAY
SETTINGS = AnalyticsSettings(maintenance_interval=0, poll_interval=0.05)


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "q.db")
    yield s
    s.close()


def test_a_slow_subscriber_blocks_neither_ingestion_nor_rollups(store: Store) -> None:
    svc = AnalyticsService(store, user="me", settings=SETTINGS)
    seen: list[int] = []
    release = threading.Event()

    def slow(_conn, messages: list[Message]) -> None:
        release.wait(120)  # stuck until the test lets it go
        seen.extend(m.id for m in messages)

    svc.bus.subscribe("slow-websocket", [TOPIC_EVENTS], slow, batch_size=5)
    try:
        events = generate_events(20_000, seed=1, start_ms=START, days=10)
        for i in range(0, len(events), 1000):
            svc.track_events(events[i : i + 1000])
        # Had ingestion waited on the stuck subscriber, its 120 s wait would have run out and it
        # would have seen batch one: ``seen`` still empty proves ingestion never waited on it.
        assert svc.wait_for_rollups(20)  # the rollups got everything while "slow" sat on batch one
        assert svc.dashboard("30d").metrics.total_events == len(events)
        assert seen == []
        release.set()
        assert svc.bus.wait_idle(svc._reader, ["slow-websocket"], 20)
        head = store.query_one("SELECT max(id) FROM bus_outbox")[0]
        assert sorted(set(seen)) == list(range(1, head + 1))
    finally:
        release.set()
        svc.close()


def test_a_failing_message_is_retried_then_parked_and_the_rest_flow(store: Store) -> None:
    bus = EventBus(store.path, poll_interval=0.02)
    got: list[int] = []
    attempts: dict[int, int] = {}

    def picky(_conn, messages: list[Message]) -> None:
        for m in messages:
            if m.payload.get("poison"):
                attempts[m.id] = attempts.get(m.id, 0) + 1
                raise ValueError("cannot handle this one")
        got.extend(m.id for m in messages)

    bus.subscribe("picky", ["t"], picky, batch_size=10)
    conn = Conn(store.path)
    with conn.write() as c:
        ids = [publish(c, "t", {"poison": i == 3, "i": i}) for i in range(6)]
        publish(c, "other-topic", {"x": 1})
    bus.start()
    try:
        assert bus.wait_idle(conn, ["picky"], 20)
    finally:
        bus.stop()
    assert got == [i for k, i in enumerate(ids) if k != 3]
    assert attempts[ids[3]] >= 5
    dead = conn.query("SELECT subscriber, message_id, error FROM bus_dead_letters")
    assert [tuple(d) for d in dead] == [("picky", ids[3], "cannot handle this one")]
    conn.close()


def test_a_restarted_subscriber_resumes_from_its_cursor(store: Store) -> None:
    conn = Conn(store.path)
    got: list[int] = []

    def handler(_conn, messages: list[Message]) -> None:
        got.extend(m.payload["i"] for m in messages)

    def run_once(n_before: int, n_after: int, start: str = "earliest") -> None:
        bus = EventBus(store.path, poll_interval=0.02)
        bus.subscribe("audit", ["t"], handler, start=start)
        with conn.write() as c:
            for i in range(n_before, n_after):
                publish(c, "t", {"i": i})
        bus.start()
        assert bus.wait_idle(conn, ["audit"], 10)
        bus.stop()

    run_once(0, 5)
    with conn.write() as c:  # published while nobody listens
        for i in range(5, 9):
            publish(c, "t", {"i": i})
    run_once(9, 12)
    assert got == list(range(12))  # each exactly once, in order

    late: list[int] = []
    bus = EventBus(store.path, poll_interval=0.02)
    bus.subscribe("latecomer", ["t"], lambda _c, ms: late.extend(m.payload["i"] for m in ms), start="latest")
    bus.start()  # no pause: "latest" is the head when it subscribed, not when its thread first writes
    with conn.write() as c:
        publish(c, "t", {"i": 99})
    bus.notify(["t"])
    assert bus.wait_idle(conn, ["latecomer"], 10)
    bus.stop()
    assert late == [99]
    bus.subscribe("dup", ["t"], handler)
    with pytest.raises(ValueError, match="already registered"):
        bus.subscribe("dup", ["t"], handler)
    conn.close()


def test_transactional_subscriber_rolls_back_with_its_cursor(store: Store) -> None:
    conn = Conn(store.path)
    with conn.write() as c:
        c.execute("CREATE TABLE sink (i INTEGER PRIMARY KEY)")
        for i in range(10):
            publish(c, "t", {"i": i})
    calls = {"n": 0}

    def write_then_maybe_fail(c, messages: list[Message]) -> None:
        calls["n"] += 1
        c.executemany("INSERT INTO sink VALUES (?)", [(m.payload["i"],) for m in messages])
        if calls["n"] == 2:
            raise RuntimeError("crash after writing, before commit")

    bus = EventBus(store.path, poll_interval=0.02)
    bus.subscribe("sinker", ["t"], write_then_maybe_fail, transactional=True, batch_size=3)
    bus.start()
    try:
        assert bus.wait_idle(conn, ["sinker"], 10)
    finally:
        bus.stop()
    # The failed batch was rolled back with its cursor and applied again: no duplicate, no gap.
    assert [r[0] for r in conn.query("SELECT i FROM sink ORDER BY i")] == list(range(10))
    conn.close()


def test_batch_items_bounds_the_items_of_one_batch(store: Store) -> None:
    conn = Conn(store.path)
    sizes = [400, 700, 1000, 1, 1, 1, 2500, 300]
    with conn.write() as c:
        for n in sizes:
            publish(c, "t", {"n": n})
        publish(c, "t", {"note": "no n: one item"})
    batches: list[list[int]] = []
    bus = EventBus(store.path, poll_interval=0.02)
    bus.subscribe(
        "slicer", ["t"], lambda _c, ms: batches.append([m.items for m in ms]), transactional=True, batch_items=1000
    )
    bus.start()
    try:
        assert bus.wait_idle(conn, ["slicer"], 10)
    finally:
        bus.stop()
    # At most 1,000 items a batch; a bigger message goes alone; nothing is skipped or split.
    assert batches == [[400], [700], [1000], [1, 1, 1], [2500], [300, 1]]
    conn.close()


def test_now_starts_a_stored_cursor_at_the_head(store: Store) -> None:
    conn = Conn(store.path)
    got: list[int] = []
    for round_ in range(2):
        with conn.write() as c:  # published while nobody listens: a live-only subscriber skips it
            publish(c, "t", {"i": -1})
        bus = EventBus(store.path, poll_interval=0.02)
        bus.subscribe("live", ["t"], lambda _c, ms: got.extend(m.payload["i"] for m in ms), start="now")
        bus.start()
        with conn.write() as c:
            publish(c, "t", {"i": round_})
        bus.notify(["t"])
        assert bus.wait_idle(conn, ["live"], 10)
        bus.stop()
    assert got == [0, 1]
    conn.close()


def test_now_never_moves_a_cursor_back_past_what_was_delivered(store: Store) -> None:
    # Two processes' gateways share the feed's cursor: the second one's thread writes its start
    # (the head when it subscribed) after the first has delivered past it.
    conn = Conn(store.path)
    first: list[int] = []
    second: list[int] = []
    a = EventBus(store.path, poll_interval=0.02)
    a.subscribe("live", ["t"], lambda _c, ms: first.extend(m.payload["i"] for m in ms), start="now")
    a.start()
    b = EventBus(store.path, poll_interval=0.02)
    b.subscribe("live", ["t"], lambda _c, ms: second.extend(m.payload["i"] for m in ms), start="now")
    try:
        with conn.write() as c:
            for i in range(3):
                publish(c, "t", {"i": i})
        a.notify(["t"])
        assert a.wait_idle(conn, ["live"], 10)
        delivered = a.positions(conn)["live"]
        b.start()  # its cursor start: the head it read before the three were published
        assert b.wait_idle(conn, ["live"], 10)
        time.sleep(0.2)
        assert a.positions(conn)["live"] >= delivered
        assert sorted(first + second) == [0, 1, 2]  # none delivered twice
    finally:
        a.stop()
        b.stop()
        conn.close()


@pytest.mark.parametrize("kwargs", [{"batch_size": 0}, {"batch_size": -1}, {"batch_items": 0}, {"batch_items": "9"}])
def test_batch_bounds_must_be_positive_counts(store: Store, kwargs: dict) -> None:
    bus = EventBus(store.path)
    with pytest.raises(ValueError):
        bus.subscribe("bad", ["t"], lambda _c, ms: None, **kwargs)


def test_follow_hands_over_the_events_stored_after_it_as_dicts(store: Store) -> None:
    from quicknav_mcp.analytics.live import EVENT_COLUMNS

    svc = AnalyticsService(store, user="me", settings=SETTINGS)
    got: list[dict] = []
    try:
        before = {"event_type": "project_view", "user_id": "dana", "project_id": "17741", "event_id": "old"}
        assert svc.track_event(before).stored
        svc.follow("live-test", got.extend)  # "now": what was stored before is not handed over
        with pytest.raises(ValueError):
            svc.follow("live-test", got.extend)
        events = [
            {"event_type": "project_view", "user_id": "dana", "project_id": "17741", "event_id": "n1"},
            {"event_type": "project_view", "user_id": "eli", "project_id": "17741", "event_id": "n2"},
        ]
        events[0]["metadata"] = {"k": 1}
        assert svc.track_events(events).successful_items == 2
        assert svc.bus.wait_idle(svc._reader, ["live-test"], 20)
        assert [e["event_id"] for e in got] == ["n1", "n2"]
        assert all(tuple(e) == EVENT_COLUMNS for e in got)
        assert got[0]["metadata"] == {"k": 1} and got[0]["error"] is False
        assert got[0]["seq"] < got[1]["seq"]
    finally:
        svc.close()


def test_now_reads_the_head_through_the_given_reader_while_another_writer_holds_the_lock(store: Store) -> None:
    # The head is read when subscribing, not when the thread first gets the write lock: what is
    # published after subscribe() (here while another connection held the lock) is delivered.
    class Reader(Conn):  # a real connection that counts what it is asked
        asked = 0

        def query_one(self, *args: Any, **kwargs: Any) -> Any:
            self.asked += 1
            return super().query_one(*args, **kwargs)

    conn = Conn(store.path)
    reader = Reader(store.path)
    holder = Conn(store.path)
    got: list[int] = []
    bus = EventBus(store.path, poll_interval=0.02, reader=reader)
    try:
        with conn.write() as c:
            publish(c, "t", {"i": -1})  # before: skipped
        with holder.write() as c:  # the lock is taken: subscribing must not wait for it
            started = time.monotonic()
            bus.subscribe("live", ["t"], lambda _c, ms: got.extend(m.payload["i"] for m in ms), start="now")
            assert time.monotonic() - started < 2
            assert reader.asked == 1  # the head came through the reader, no connection of its own
            publish(c, "t", {"i": 0})  # after subscribe(), committed with the holder's transaction
        bus.start()
        bus.notify(["t"])
        assert bus.wait_idle(conn, ["live"], 10)
        assert got == [0]
    finally:
        bus.stop()
        for c in (conn, reader, holder):
            c.close()


def test_lag_and_position_say_how_far_each_subscriber_has_handled(store: Store) -> None:
    conn = Conn(store.path)
    bus = EventBus(store.path, poll_interval=0.02)
    try:
        assert subscriber_lag(store) == {} and cursor_position(store, "a") == 0
        with conn.write() as c:
            for i in range(3):
                publish(c, "t", {"i": i})
        bus.subscribe("a", ["t"], lambda _c, _ms: None, start="earliest")
        bus.start()
        bus.notify(["t"])
        assert bus.wait_idle(conn, ["a"], 10)
        bus.stop()
        head = cursor_position(store, "a")
        assert head == conn.query_one(HEAD_SQL)[0] and subscriber_lag(store) == {"a": 0}
        with conn.write() as c:  # published while nobody handles them
            publish(c, "t", {"i": 3})
            publish(c, "u", {"i": 4})
        assert subscriber_lag(store) == {"a": 2} and cursor_position(conn, "a") == head
    finally:
        bus.stop()
        conn.close()
