"""Several processes on one database: concurrent writers, and a rollup subscriber killed mid-stream."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

from quicknav_mcp.analytics import AnalyticsService, AnalyticsSettings
from quicknav_mcp.store import Store

DAY = 86_400_000
START = (int(time.time() * 1000) // DAY - 10) * DAY
SETTINGS = AnalyticsSettings(maintenance_interval=0, poll_interval=0.05)

CHILD = textwrap.dedent(
    """
    import os, sys, time
    from quicknav_mcp.store import Store
    from quicknav_mcp.analytics import AnalyticsService, AnalyticsSettings, rollups
    from quicknav_mcp.analytics.synthetic import generate_events

    db, mode, seed, n, start = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    settings = AnalyticsSettings(maintenance_interval=0, poll_interval=0.05, rollup_batch=1)
    store = Store(db)
    events = generate_events(n, seed=seed, start_ms=start, days=10, id_prefix=f"p{seed}")
    shared = generate_events(500, seed=999, start_ms=start, days=10, id_prefix="shared")
    if mode == "write":
        svc = AnalyticsService(store, user="me", settings=settings)
        for i in range(0, n, 200):
            r = svc.track_events(events[i : i + 200])
            assert r.failed_items == 0, r.errors[:2]
            if i % 1000 == 0:
                svc.track_events(shared[i // 1000 * 50 : i // 1000 * 50 + 50])
        svc.track_events(shared)
        print("wrote", flush=True)
        svc.close()
    elif mode == "crash-in-rollup":
        svc = AnalyticsService(store, user="me", settings=settings, start=False)
        for i in range(0, n, 500):
            svc.track_events(events[i : i + 500])
        real = rollups.fold
        calls = {"n": 0}
        def dying(conn, where, params, **kw):
            calls["n"] += 1
            real(conn, where, params, **kw)
            if calls["n"] == 6:
                os._exit(3)  # dies inside the transaction, after writing rollups, before the commit
        rollups.fold = dying
        svc.start()
        time.sleep(30)
    elif mode == "stream":
        svc = AnalyticsService(store, user="me", settings=settings)
        print("ready", flush=True)
        for i in range(0, n, 100):
            svc.track_events(events[i : i + 100])
        time.sleep(30)
    """
)


def child(db: Path, mode: str, seed: int, n: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db), mode, str(seed), str(n), str(START)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stored_counts(store: Store) -> dict[str, Counter]:
    """Independent counts straight from the log (what the rollups must add up to)."""
    views = Counter(r[0] for r in store.query("SELECT project_id FROM events WHERE event_type = 'project_view'"))
    types = Counter(r[0] for r in store.query("SELECT event_type FROM events"))
    return {"views": views, "types": types}


def rollup_counts(store: Store) -> dict[str, Counter]:
    views = Counter(
        {
            r[0]: r[1]
            for r in store.query(
                "SELECT project_id, sum(views) FROM an_project_day GROUP BY project_id HAVING sum(views) > 0"
            )
        }
    )
    types = Counter({r[0]: r[1] for r in store.query("SELECT event_type, sum(events) FROM an_type_day GROUP BY 1")})
    return {"views": views, "types": types}


def check_consistent(db: Path) -> None:
    store = Store(db)
    svc = AnalyticsService(store, user="me", settings=SETTINGS)
    try:
        assert svc.wait_for_rollups(60)
        assert rollup_counts(store) == stored_counts(store)
        live = svc.snapshot()
        svc.rebuild()
        assert svc.snapshot() == live
    finally:
        svc.close()
        store.close()


def test_two_processes_write_concurrently(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    Store(db).close()  # migrate once up front
    procs = [child(db, "write", seed, 6000) for seed in (1, 2)]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err[-2000:]
        assert "wrote" in out
    store = Store(db)
    ids = [r[0] for r in store.query("SELECT event_id FROM events")]
    assert len(ids) == len(set(ids)) == 2 * 6000 + 500  # the shared 500 stored once
    store.close()
    check_consistent(db)


def test_a_rollup_subscriber_killed_mid_transaction_catches_up_without_double_counting(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    p = child(db, "crash-in-rollup", 3, 10_000)
    _out, err = p.communicate(timeout=120)
    assert p.returncode == 3, err[-2000:]
    store = Store(db)
    position = store.query_one("SELECT position FROM bus_cursors WHERE subscriber = 'rollups'")[0]
    head = store.query_one("SELECT max(id) FROM bus_outbox")[0]
    assert 0 < position < head  # five batches committed, the sixth died with its transaction
    partial = sum(rollup_counts(store)["types"].values())
    assert partial == 5 * 500
    store.close()
    check_consistent(db)


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
def test_a_process_killed_while_streaming_leaves_a_consistent_database(tmp_path: Path) -> None:
    db = tmp_path / "q.db"
    Store(db).close()
    p = child(db, "stream", 4, 120_000)
    assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    p.send_signal(signal.SIGKILL)
    p.wait(10)
    store = Store(db)
    n = store.query_one("SELECT count(*) FROM events")[0]
    store.close()
    assert 0 < n < 120_000
    check_consistent(db)
