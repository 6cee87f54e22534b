"""The file watcher in-process: ignore rules, batching through the narrow scan, supervision."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from quicknav_mcp.indexers import watch
from quicknav_mcp.indexers.filesystem import scan_changes, scan_root
from quicknav_mcp.indexers.watch import Watcher, WatchSupervisor, filesystem_type, group_changes, ignored
from watchfiles import Change

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


def _names(store: Store) -> set[str]:
    return {r[0] for r in store.query("SELECT name FROM documents")}


@pytest.mark.parametrize(
    "name",
    [
        *("~$Design.docx", "~WRL0001.tmp", "report.TMP", ".~lock.Design.docx#"),
        *("Thumbs.db", "desktop.ini", ".DS_Store"),
        *("setup.exe.crdownload", "video.mp4.part", "big.zip.partial"),
    ],
)
def test_lock_temp_and_partial_files_are_ignored(name: str) -> None:
    assert ignored(f"/r/{A}/{SD}/{name}")


@pytest.mark.parametrize("name", ["21614 - Rev 100.pdf", "Partial payment.pdf", "Temp sensor datasheet.pdf"])
def test_documents_are_not_ignored(name: str) -> None:
    assert not ignored(f"/r/{A}/{SD}/{name}")


def test_changes_are_grouped_by_root_without_litter_or_strays(tmp_path: Path) -> None:
    outer, inner = tmp_path / "a", tmp_path / "a" / "b"
    changes = {
        (Change.added, f"{inner}/x.pdf"),
        (Change.modified, f"{outer}/y.pdf"),
        (Change.added, f"{outer}/~$y.docx"),
        (Change.deleted, f"{tmp_path}/elsewhere/z.pdf"),
        (Change.deleted, f"{outer}b/not-under-a.pdf"),  # a sibling whose name starts like the root
    }
    grouped = group_changes(changes, [outer, inner])
    assert {r: [(c.kind, Path(c.path).name) for c in cs] for r, cs in grouped.items()} == {
        inner: [("added", "x.pdf")],
        outer: [("modified", "y.pdf")],
    }


def test_a_batch_is_one_narrow_scan_per_root(tree: Path, store: Store) -> None:
    scan_root(store, tree)
    watcher = Watcher(store, [tree])
    changes = set()
    for i in range(50):
        path = tree / A / SD / f"Photo {i}.jpg"
        path.write_bytes(b"jpg")
        changes.add((Change.added, str(path)))
    (tree / B / SD / "20692 - Rev 101.pdf").write_bytes(b"pdf")
    changes.add((Change.added, str(tree / B / SD / "20692 - Rev 101.pdf")))
    assert watcher.apply(changes, [tree], threading.Event()) == 51
    assert watcher.status.batches == 1 and watcher.status.changes == 51
    assert {f"Photo {i}.jpg" for i in range(50)} | {"20692 - Rev 101.pdf"} <= _names(store)


def test_a_narrow_scan_leaves_untouched_projects_alone(tree: Path, store: Store) -> None:
    scan_root(store, tree)
    (tree / B / SD / "20692 - Rev 100.pdf").unlink()  # not reported: the narrow scan must not look at B
    (tree / A / SD / "21614 - Rev 101.pdf").write_bytes(b"pdf")
    report = scan_changes(store, tree, [tree / A / SD / "21614 - Rev 101.pdf"])
    assert (report.added, report.deleted) == (1, 0)
    assert "20692 - Rev 100.pdf" in _names(store)
    assert scan_root(store, tree).deleted == 1  # the full reconcile catches what was missed


def test_a_renamed_project_folder_keeps_its_documents(tree: Path, store: Store) -> None:
    scan_root(store, tree)
    ids = {r[0] for r in store.query("SELECT id FROM documents")}
    renamed = tree / "21614 - POOLWERX UPGRADES STAGE 2"
    (tree / A).rename(renamed)
    report = scan_changes(store, tree, [tree / A, renamed])
    assert report.projects_renamed == 1 and report.deleted == 0
    assert {r[0] for r in store.query("SELECT id FROM documents")} == ids


def _fake_watch(script: list[Any]) -> Any:
    """A stand-in for ``watchfiles.watch``: each session takes the next step (an exception or batches)."""
    calls: list[dict[str, Any]] = []

    def fake(*paths: Path, stop_event: threading.Event, **kwargs: Any) -> Iterator[set[tuple[Change, str]]]:
        calls.append(kwargs)
        step = script.pop(0) if script else []
        if isinstance(step, BaseException):
            raise step
        for batch in step:
            yield batch() if callable(batch) else batch
        while not stop_event.wait(0.01):
            yield set()

    fake.calls = calls  # type: ignore[attr-defined]
    return fake


def _wait(condition: Any, timeout: float = 10.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < end, "condition not met in time"
        time.sleep(0.02)


def test_the_supervisor_restarts_a_failed_watcher(tree: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(watch, "BACKOFF_FIRST", 0.05)
    new = tree / A / SD / "21614 - Rev 101.pdf"

    def create() -> set[tuple[Change, str]]:
        new.write_bytes(b"pdf")
        return {(Change.added, str(new))}

    fake = _fake_watch([RuntimeError("inotify went away"), [create]])
    supervisor = WatchSupervisor(Watcher(store, [tree], watch_fn=fake)).start()
    try:
        _wait(lambda: "21614 - Rev 101.pdf" in _names(store))
        status = supervisor.status()
        assert status["restarts"] == 1 and "inotify went away" in status["last_error"]
        assert status["alive"] and status["state"] == "watching" and status["heartbeat"]
    finally:
        assert supervisor.stop()
    assert supervisor.status()["state"] == "stopped"


def test_the_watch_limit_switches_to_polling(tree: Path, store: Store) -> None:
    fake = _fake_watch([OSError("OS file watch limit reached. about [...]"), []])
    supervisor = WatchSupervisor(Watcher(store, [tree], poll=None, watch_fn=fake)).start()
    try:
        _wait(lambda: len(fake.calls) == 2 and supervisor.status()["state"] == "watching")
        assert [c["force_polling"] for c in fake.calls] == [False, True]
        status = supervisor.status()
        assert status["mode"] == "polling" and "limit" in status["mode_reason"]
        assert status["restarts"] == 0  # a switch, not a failure
    finally:
        supervisor.stop()


def test_polling_is_forced_by_the_setting(tree: Path, store: Store) -> None:
    fake = _fake_watch([[]])
    supervisor = WatchSupervisor(Watcher(store, [tree], poll=True, poll_ms=250, watch_fn=fake)).start()
    try:
        _wait(lambda: fake.calls)
        assert fake.calls[0]["force_polling"] is True and fake.calls[0]["poll_delay_ms"] == 250
    finally:
        supervisor.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/mounts")
def test_filesystem_type_reads_the_mount_table() -> None:
    assert filesystem_type(Path("/proc/self")) == "proc"
