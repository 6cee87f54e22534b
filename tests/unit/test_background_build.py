"""The background builder the in-memory copies share: one build at a time, waited for, spaced, run again
when asked during a build, failures logged and retried, stopped at close."""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path

import pytest

from quicknav_mcp import heap
from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo import generate_firm
from quicknav_mcp.search import background_build
from quicknav_mcp.search.background_build import FOREGROUND, BackgroundBuild, Foreground

BUILDER_THREADS = ("quicknav-candidates", "doc-postings", "project-about", "vectors-", "digit-parts")


def test_a_build_runs_on_a_thread_and_is_waited_for_with_a_timeout() -> None:
    builds = BackgroundBuild("test-build", "test copy")
    release = threading.Event()
    threads: list[str] = []

    def work() -> None:
        threads.append(threading.current_thread().name)
        release.wait(10)

    assert builds.start(work) == "claimed"
    assert builds.running
    assert builds.start(work) == "running"  # one at a time
    assert builds.wait(0.05) is False  # still building: the timeout says so
    release.set()
    assert builds.wait(10) is True
    assert not builds.running and threads == ["test-build"]
    assert builds.seconds >= 0 and builds.ended >= builds.began


def test_builds_are_spaced_by_the_time_the_owner_gives() -> None:
    builds = BackgroundBuild("test-build", "test copy")
    ran: list[int] = []
    assert builds.start(lambda: ran.append(1), after=time.monotonic() + 60) == "refused"
    assert builds.start(lambda: ran.append(2), after=time.monotonic() - 1) == "claimed"
    assert builds.wait(10) and ran == [2]
    assert builds.claim(after=builds.began + 60) == "refused"
    builds.allow_now()
    assert builds.claim(after=builds.began + 60) == "claimed"
    builds.run(lambda: ran.append(3))  # a claimed build run inline (a small firm's)
    assert ran == [2, 3] and not builds.running


def test_a_change_during_a_build_builds_again_from_the_new_version() -> None:
    builds = BackgroundBuild("test-build", "test copy")
    version = [1]
    built: list[int] = []
    reading = threading.Event()
    go_on = threading.Event()

    def work() -> None:
        seen = version[0]
        reading.set()
        go_on.wait(10)
        built.append(seen)

    assert builds.start(work, again=True) == "claimed"
    assert reading.wait(10)
    version[0] = 2  # the store moved while the copy was read: that copy is already stale
    assert builds.start(work, again=True) == "running"
    go_on.set()
    assert builds.wait(10)
    assert built == [1, 2]


def test_a_failing_build_is_logged_not_fatal_and_the_next_ask_builds_again(caplog: pytest.LogCaptureFixture) -> None:
    builds = BackgroundBuild("test-build", "test copy")
    results: list[str] = []

    def broken() -> None:
        raise RuntimeError("disk went away")

    with caplog.at_level(logging.WARNING, logger="quicknav_mcp.search.background_build"):
        assert builds.start(broken) == "claimed"
        assert builds.wait(10)
    assert builds.failures == 1 and not builds.running
    assert any("test copy not built: disk went away" in r.getMessage() for r in caplog.records)
    assert builds.start(lambda: results.append("built")) == "claimed"  # retried, not stuck
    assert builds.wait(10) and results == ["built"]


def test_close_stops_the_running_build_and_starts_no_other() -> None:
    builds = BackgroundBuild("test-build", "test copy")
    chunks: list[int] = []

    def work() -> None:
        for n in range(10_000):  # a whole-table read, checking between chunks
            builds.check()
            chunks.append(n)
            time.sleep(0.005)

    assert builds.start(work) == "claimed"
    while not chunks:
        time.sleep(0.005)
    t0 = time.monotonic()
    assert builds.close(timeout=10) is True
    assert time.monotonic() - t0 < 5 and len(chunks) < 10_000
    assert not builds.running and builds.failures == 0  # stopped, not failed
    assert builds.start(work) == "refused"


def test_closing_the_app_stops_every_in_memory_build(tmp_path: Path) -> None:
    root = tmp_path / "firm"
    generate_firm(root, projects=6, seed=5, content=False)
    app = App.open(load_config(db=tmp_path / "q.db", roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"}))
    app.indexing.reindex()
    search = app.search
    assert search.candidates.ready(10) and search.project_search.wait_ready(10)
    app.close()
    builders = [
        search.candidates._builds,
        search.project_search.postings._builds,
        search.project_search.project_postings._builds,
        search.document_search.digits._builds,
        search.doc_vectors._builds,
        search.semantic.content_vectors._builds,
        search.project_vectors._builds,
    ]
    if search.project_search.about is not None:
        builders.append(search.project_search.about._builds)
    assert all(b.closed and not b.running for b in builders)
    alive = [t.name for t in threading.enumerate() if t.name.startswith(BUILDER_THREADS)]
    assert alive == []


def test_the_c_heap_helpers_act_on_glibc_and_say_so_elsewhere() -> None:
    # glibc on Linux: they act (True); elsewhere they say they could not (False), never raise.
    # limit_arenas is not called here: it would change this whole test process's allocator.
    assert heap.release_free_memory() is (heap._libc() is not None)


def test_a_thread_that_cannot_start_releases_its_claim(monkeypatch: pytest.MonkeyPatch) -> None:
    builds = BackgroundBuild("test-build", "test copy")

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    with pytest.raises(RuntimeError):
        builds.start(lambda: None)
    monkeypatch.undo()
    assert not builds.running and builds.wait(0)
    done = threading.Event()
    assert builds.start(done.set) == "claimed"  # the next ask builds
    assert done.wait(5)


def test_close_waits_for_a_build_claimed_but_not_yet_on_its_thread() -> None:
    builds = BackgroundBuild("test-build", "test copy")
    assert builds.claim() == "claimed"
    releaser = threading.Timer(0.3, lambda: builds.run(lambda: None))
    releaser.start()
    assert builds.close(timeout=5) is True  # waited for the inline build, not for a thread it never had
    releaser.join()


def test_the_foreground_counts_overlapping_calls_and_is_idle_after_the_last() -> None:
    gate = Foreground()
    assert not gate.busy and gate.give_way(0) is True
    with gate.call():
        with gate.call():
            assert gate.busy
        assert gate.busy and gate.give_way(0.01) is False  # one call still under way
    assert not gate.busy and gate.give_way(0) is True
    with pytest.raises(RuntimeError), gate.call():  # a call that fails still ends
        raise RuntimeError("boom")
    assert not gate.busy
    with gate.call():  # a long call (a first search loading a structure) is no longer waited for
        time.sleep(background_build.LONG_CALL_S + 0.05)
        assert not gate.busy


def _checking_build(builds: BackgroundBuild, stop: threading.Event, passes: list[float]) -> None:
    while not stop.is_set():
        builds.check()
        passes.append(time.monotonic())
        time.sleep(0.001)


def test_a_build_on_a_thread_waits_at_its_checkpoints_while_a_call_is_under_way() -> None:
    builds = BackgroundBuild("test-build", "test copy")
    stop, passes = threading.Event(), []
    builds.start(lambda: _checking_build(builds, stop, passes))
    try:
        time.sleep(0.05)
        began = len(passes)
        time.sleep(0.5)
        free = len(passes) - began
        assert free  # runs freely while nothing is in the foreground
        with FOREGROUND.call():
            time.sleep(0.05)  # (the build reaches its next checkpoint)
            began = len(passes)
            time.sleep(0.4)  # (within LONG_CALL_S of the call's start)
            during = len(passes) - began
        # Parked PARK_MAX_S at a time, then free for RUN_QUANTUM_S: about a tenth of its passes.
        assert during < 0.8 * free / 3
        time.sleep(0.05)
        began = len(passes)
        time.sleep(0.5)
        assert len(passes) - began > free / 2  # runs freely again once the call ended
    finally:
        stop.set()
        assert builds.wait(10)


def test_a_build_a_caller_waits_for_or_runs_inline_does_not_wait_for_the_foreground() -> None:
    builds = BackgroundBuild("test-build", "test copy")
    checked: list[float] = []

    def work() -> None:
        t0 = time.monotonic()
        for _ in range(20):
            time.sleep(0.002)  # work between checkpoints: longer than a free run covers
            builds.check()
        checked.append(time.monotonic() - t0)

    with FOREGROUND.call():  # a call that runs a small firm's build inline ...
        assert builds.claim() == "claimed"
        builds.run(work)
        started = threading.Event()

        def waited() -> None:  # ... or waits for the one on a thread
            started.wait(10)
            work()

        builds.start(waited)
        waiter = threading.Thread(target=lambda: builds.wait(10))
        waiter.start()
        time.sleep(0.05)
        started.set()
        waiter.join(10)
    # Parking at these checkpoints would take ~7 parks of PARK_MAX_S; without it, ~20 short sleeps.
    assert len(checked) == 2 and max(checked) < 4 * background_build.PARK_MAX_S


def test_the_switch_interval_is_lowered_while_a_build_runs_on_a_thread_and_put_back() -> None:
    before = sys.getswitchinterval()
    builds = BackgroundBuild("test-build", "test copy")
    seen: list[float] = []
    builds.start(lambda: seen.append(sys.getswitchinterval()))
    assert builds.wait(10)
    assert seen == [min(before, background_build.SWITCH_INTERVAL_S)]
    assert sys.getswitchinterval() == before


def test_close_stops_a_build_waiting_for_the_foreground() -> None:
    builds = BackgroundBuild("test-build", "test copy")
    stop, passes = threading.Event(), []
    with FOREGROUND.call():
        builds.start(lambda: _checking_build(builds, stop, passes))
        time.sleep(0.05)
        t0 = time.monotonic()
        assert builds.close(timeout=5)
        assert time.monotonic() - t0 < 1
    stop.set()


def test_a_long_call_does_not_hide_the_quick_calls_beside_it() -> None:
    fg = background_build.Foreground()
    with fg.call():  # a reindex that runs for seconds
        fg._started[next(iter(fg._started))] -= 2 * background_build.LONG_CALL_S  # began long ago
        assert not fg.busy
        with fg.call():  # a navigate_project made meanwhile
            assert fg.busy
        assert not fg.busy
    assert not fg.busy
