"""The gateway's event feed while the analytics write lock is busy (a rollup backlog, another writer).

The feed's bus thread writes its cursor when it first gets the write lock, which a rollup
transaction over a backlog can hold for a long time. Events stored after the gateway came up
must still reach the feed, and the gateway must come up without waiting for that lock.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import time
from contextlib import ExitStack
from pathlib import Path

from quicknav_mcp.analytics.db import Conn, _write_lock
from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.http.cache import user_tag

from .edge_harness import edge_app, serve, wait_for

# Another process (a CLI, a second server) storing one event for "dana".
WRITER = textwrap.dedent(
    """
    import sys
    from quicknav_mcp.analytics import AnalyticsService
    from quicknav_mcp.store import Store

    store = Store(sys.argv[1])
    svc = AnalyticsService(store, user="cli", start=False)
    event = {"event_type": "project_view", "user_id": "dana", "project_id": "17741", "event_id": "other-1"}
    assert svc.track_event(event).stored
    svc.close()
    store.close()
    """
)


def _open(sample_db: Path, sample_root: Path, tmp_path: Path) -> App:
    db = tmp_path / "q.db"
    shutil.copy(sample_db, db)
    return App.open(load_config(db=db, roots=[sample_root], env={}, embed_model="none", search_background=False))


def test_an_event_stored_before_the_feed_thread_gets_the_write_lock_is_delivered(
    sample_db: Path, sample_root: Path, tmp_path: Path
) -> None:
    qn = _open(sample_db, sample_root, tmp_path)
    try:
        app = edge_app(qn)
        # This process's analytics writers queue on one lock (as behind a long rollup transaction):
        # the feed's thread cannot write its cursor until it is released.
        lock = _write_lock(qn.store.path)
        lock.acquire()
        try:
            with serve(app):
                cache = app.state.edge.cache
                cache.ttl = 3600
                cache.put("reco-dana", "items", [user_tag("dana")])
                done = subprocess.run(
                    [sys.executable, "-c", WRITER, str(qn.store.path)], capture_output=True, text=True, timeout=120
                )
                assert done.returncode == 0, done.stderr
                lock.release()
                # The event came after the gateway started: the feed delivers it, whenever its
                # thread got to write its cursor.
                assert wait_for(lambda: cache.get("reco-dana") is None, timeout=30)
        finally:
            if lock.locked():
                lock.release()
    finally:
        qn.close()


def test_the_gateway_comes_up_while_another_writer_holds_the_database(
    sample_db: Path, sample_root: Path, tmp_path: Path
) -> None:
    qn = _open(sample_db, sample_root, tmp_path)
    holder = Conn(qn.store.path)
    try:
        app = edge_app(qn)
        with ExitStack() as held:
            held.enter_context(holder.write())  # a long write transaction (a rollup slice, an import)
            started = time.monotonic()
            with serve(app):
                assert time.monotonic() - started < 15  # it did not wait for the writer (busy timeout 30 s)
                held.close()
                cache = app.state.edge.cache
                cache.ttl = 3600
                cache.put("reco-dana", "items", [user_tag("dana")])
                event = {"event_type": "project_view", "user_id": "dana", "project_id": "17741", "event_id": "c1"}
                assert qn.analytics.track_event(event).stored
                assert wait_for(lambda: cache.get("reco-dana") is None, timeout=30)
    finally:
        holder.close()
        qn.close()
