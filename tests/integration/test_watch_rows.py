"""The watcher's ``scans`` history (one row per session and root), rows of dead processes, polling pace."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from quicknav_mcp.indexers import scan_rows
from quicknav_mcp.indexers.filesystem import scan_root
from quicknav_mcp.indexers.watch import Watcher, WatchSupervisor, auto_poll_ms
from watchfiles import Change

from quicknav_mcp.services.indexing import IndexService
from quicknav_mcp.store import Store

SD = "4. System Designs"
A = "21614 - POOLWERX UPGRADES"
B = "20692 - DOWNER PROJECT"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "Projects"
    for project in (A, B):
        (root / project / SD).mkdir(parents=True)
        (root / project / SD / f"{project[:5]} - Rev 100.pdf").write_bytes(b"pdf")
    return root


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "q.db")
    yield s
    s.close()


def _rows(store: Store) -> list[tuple[Any, ...]]:
    return [
        tuple(r) for r in store.query("SELECT kind, status, added, deleted, problems, batches FROM scans ORDER BY id")
    ]


def _add(watcher: Watcher, root: Path, *paths: Path, kind: Change = Change.added) -> None:
    for p in paths:
        if kind == Change.added:
            p.write_bytes(b"pdf")
        else:
            p.unlink()
    watcher.apply({(kind, str(p)) for p in paths}, [root], threading.Event())


def test_batches_fold_into_one_row_per_session_and_root(tree: Path, store: Store, tmp_path: Path) -> None:
    root = tree.resolve()
    scan_root(store, root)  # the start-up reconcile
    watcher = Watcher(store, [root])
    d = root / A / SD
    _add(watcher, root, d / "21614 - Rev 101.pdf", d / "21614 - Rev 102.pdf")
    _add(watcher, root, d / "21614 - Rev 101.pdf", kind=Change.deleted)
    outside = tmp_path / "elsewhere.pdf"
    outside.write_bytes(b"pdf")
    (d / "link.pdf").symlink_to(outside)  # a problem: a link out of the root
    _add(watcher, root, d / "21614 - Rev 103.pdf")
    assert _rows(store) == [("scan", "done", 2, 0, 0, 0), ("watch", "running", 3, 1, 1, 3)]
    watch_id = store.query_one("SELECT id FROM scans WHERE kind = 'watch'")[0]
    problems = store.query("SELECT scan_id, path FROM scan_problems")
    assert [(r[0], Path(r[1]).name) for r in problems] == [(watch_id, "link.pdf")]  # moved to the session row

    # index_status shows the session row: the latest row of the root.
    last = IndexService(store, [root]).status().last_scans
    assert [(s.kind, s.status, s.added, s.batches) for s in last] == [("watch", "running", 3, 3)]

    # Another scan of the root: the next batch starts a new row after it, the old one is done.
    scan_root(store, root)
    _add(watcher, root, root / B / SD / "20692 - Rev 101.pdf")
    assert [r[:2] for r in _rows(store)] == [
        ("scan", "done"),
        ("watch", "done"),
        ("scan", "done"),
        ("watch", "running"),
    ]
    watcher.rows.close()
    assert [r[:2] for r in _rows(store)][-1] == ("watch", "done")
    assert store.query_one("SELECT finished_at FROM scans ORDER BY id DESC LIMIT 1")[0]


def test_a_session_ends_its_rows(tree: Path, store: Store) -> None:
    new = tree / A / SD / "21614 - Rev 101.pdf"

    def fake(*paths: Path, stop_event: threading.Event, **kwargs: Any) -> Iterator[set[tuple[Change, str]]]:
        new.write_bytes(b"pdf")
        yield {(Change.added, str(new))}
        while not stop_event.wait(0.01):
            yield set()

    supervisor = WatchSupervisor(Watcher(store, [tree], watch_fn=fake)).start()
    try:
        _wait(lambda: ("watch", "running") in [r[:2] for r in _rows(store)])
    finally:
        assert supervisor.stop()
    assert [r[:2] for r in _rows(store)] == [("scan", "done"), ("watch", "done")]


def _gone_pid() -> int:
    """The pid of a process that has exited (and was reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_running_rows_of_a_process_that_is_gone_are_marked_interrupted(tree: Path, store: Store) -> None:
    host = socket.gethostname()
    owners = {
        "dead": f"{host}:{_gone_pid()}:",
        "alive": scan_rows.owner(),  # this process: still running
        "other host": f"elsewhere.example:{os.getpid()}:1",  # cannot be checked from here
        "before owners": None,
    }
    with store.transaction() as conn:
        conn.execute("INSERT INTO roots (path) VALUES ('/x')")
        for owner in owners.values():
            conn.execute(
                "INSERT INTO scans (root_id, started_at, owner) VALUES (1, '2026-01-01T00:00:00Z', ?)", (owner,)
            )
    scan_root(store, tree)  # the next scan marks them
    statuses = [r[0] for r in store.query("SELECT status FROM scans ORDER BY id")]
    assert statuses == ["interrupted", "running", "running", "running", "done"]


def test_a_reused_pid_is_not_its_old_process() -> None:
    me = scan_rows.owner()
    host, pid, start = me.split(":")
    assert scan_rows.alive(me) is True
    if start:  # Linux: the start time tells a reused pid apart
        assert scan_rows.alive(f"{host}:{pid}:{int(start) + 1}") is False
    assert scan_rows.alive(f"{host}:{_gone_pid()}:") is False
    assert scan_rows.alive("not an owner") is None


def test_the_polling_interval_grows_with_the_tree(tree: Path, store: Store) -> None:
    assert auto_poll_ms(0) == auto_poll_ms(1_000) == 2_000
    assert auto_poll_ms(100_000) == 50_000  # 0.5 ms per file
    assert auto_poll_ms(10_000_000) == 300_000  # at most five minutes
    calls: list[dict[str, Any]] = []

    def fake(*paths: Path, stop_event: threading.Event, **kwargs: Any) -> Iterator[set[tuple[Change, str]]]:
        calls.append(kwargs)
        while not stop_event.wait(0.01):
            yield set()

    supervisor = WatchSupervisor(Watcher(store, [tree], poll=True, watch_fn=fake)).start()
    try:
        _wait(lambda: calls)
        assert calls[0]["force_polling"] is True and calls[0]["poll_delay_ms"] == 2_000
        assert supervisor.status()["poll_interval_s"] == 2.0
    finally:
        supervisor.stop()


def _wait(condition: Any, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.02)
