"""The live file watcher inside a real ``quicknav serve`` process, observed through MCP tools.

Every change is made to real files in a temporary tree; each assertion polls the server until a
deadline rather than sleeping a fixed time, so a slow machine takes longer but never flakes.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client, StdioServerParameters

SD = "4. System Designs"
P1 = "21614 - POOLWERX TRAINING ROOM UPGRADES"
P2 = "20692 - DOWNER PROJECT B1012"
pytestmark = pytest.mark.anyio

DEADLINE = 20.0  # seconds; the target is ~1 s, this only bounds a stuck test


def _tree(root: Path) -> None:
    for project in (P1, P2):
        (root / project / SD).mkdir(parents=True)
    (root / P1 / SD / "21614 - POOLWERX - Rev 100.pdf").write_bytes(b"%PDF-1.4 first issue")
    (root / P2 / SD / "20692 - DOWNER - Rev 100.pdf").write_bytes(b"%PDF-1.4 downer")


def _params(db: Path, root: Path) -> StdioServerParameters:
    env = dict(os.environ)
    env.update(
        {
            "QUICKNAV_DB": str(db),
            "QUICKNAV_ROOTS": str(root),
            "QUICKNAV_LOG_LEVEL": "WARNING",
            "QUICKNAV_EMBED_MODEL": "none",  # no model load: these tests are about names and text
            "QUICKNAV_ANALYTICS_TRACKING": "0",
        }
    )
    env.pop("QUICKNAV_WATCH", None)  # on by default: that is what is tested
    return StdioServerParameters(command=sys.executable, args=["-m", "quicknav_mcp.cli", "serve"], env=env)


async def call(client: Client, tool: str, **args: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, args)
    assert not result.is_error, result.content
    assert result.structured_content is not None
    return result.structured_content


async def until(check: Callable[[], Awaitable[Any]], what: str, deadline: float = DEADLINE) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` at the deadline."""
    end = time.monotonic() + deadline
    last: Any = None
    while time.monotonic() < end:
        last = await check()
        if last:
            return last
        await anyio.sleep(0.1)
    pytest.fail(f"not seen within {deadline:.0f}s: {what} (last answer: {last!r})")


async def names(client: Client, project: str) -> set[str]:
    """The names of a project's documents (none while the project is not indexed yet)."""
    result = await client.call_tool("search_documents", {"project_number": project, "limit": 100})
    if result.is_error:
        assert "not found" in str(result.content), result.content
        return set()
    return {Path(d["path"]).name for d in result.structured_content["documents"]}


async def total(client: Client, project: str) -> int:
    # search_documents counts at most its candidate cap; the project listing counts every row.
    return (await call(client, "list_project_documents", project_number=project, limit=1))["total_count"]


async def current_lld(client: Client, project: str) -> str | None:
    out = await call(client, "find_documents", project_number=project, doc_type="lld")
    return Path(out["path"]).name if out.get("status") == "success" else None


async def test_changes_are_found_through_mcp_while_serving(tmp_path: Path) -> None:
    root = tmp_path / "Projects"
    _tree(root)
    d1, d2 = root / P1 / SD, root / P2 / SD
    async with Client(_params(tmp_path / "q.db", root)) as client:
        # The start-up reconcile indexed what was there.
        await until(lambda: _has(client, "21614", "21614 - POOLWERX - Rev 100.pdf"), "the reconciled tree")

        # Create: a new revision becomes the current design.
        (d1 / "21614 - POOLWERX - Rev 101.pdf").write_bytes(b"%PDF-1.4 second issue")
        await until(lambda: _is_current(client, "21614", "21614 - POOLWERX - Rev 101.pdf"), "a created revision")

        # Modify: new text in a file is searchable (extraction of the changed file, ahead of any backlog).
        notes = d1 / "Site notes.txt"
        notes.write_text("first visit alphaword", encoding="utf-8")
        await until(lambda: _text_hit(client, "alphaword", "Site notes.txt"), "text of a created file")
        notes.write_text("second visit zebraword", encoding="utf-8")
        await until(lambda: _text_hit(client, "zebraword", "Site notes.txt"), "text of a modified file")

        # Rename: the old name is gone, the new one is current.
        (d1 / "21614 - POOLWERX - Rev 101.pdf").rename(d1 / "21614 - POOLWERX - Rev 102.pdf")
        await until(lambda: _is_current(client, "21614", "21614 - POOLWERX - Rev 102.pdf"), "a renamed file")
        assert "21614 - POOLWERX - Rev 101.pdf" not in await names(client, "21614")

        # Move between projects.
        (d1 / "Site Survey.docx").write_bytes(b"survey")
        await until(lambda: _has(client, "21614", "Site Survey.docx"), "a file before its move")
        (d1 / "Site Survey.docx").rename(d2 / "Site Survey.docx")
        await until(lambda: _has(client, "20692", "Site Survey.docx"), "a file moved to another project")
        assert "Site Survey.docx" not in await names(client, "21614")

        # Delete.
        (d2 / "Site Survey.docx").unlink()
        await until(lambda: _lacks(client, "20692", "Site Survey.docx"), "a deleted file disappearing")

        # A new project folder with a document.
        new = root / "22001 - HARBOUR FITOUT" / SD
        new.mkdir(parents=True)
        (new / "22001 - HARBOUR - Rev 100.pdf").write_bytes(b"%PDF-1.4 harbour")
        await until(lambda: _is_current(client, "22001", "22001 - HARBOUR - Rev 100.pdf"), "a new project folder")

        # Lock, temp and partial files are never indexed; a real file written after them proves they were seen.
        litter = ["~$Design.docx", ".~lock.Design.docx#", "Thumbs.db", "desktop.ini", "~WRL0001.tmp", "x.crdownload"]
        for name in litter:
            (d1 / name).write_bytes(b"lock")
        (d1 / "Handover checklist.xlsx").write_bytes(b"xlsx")
        found = await until(lambda: _has(client, "21614", "Handover checklist.xlsx"), "a file after lock files")
        assert not set(litter) & found

        # A sync client's conflict copy, saved later, is in the series but never its current revision.
        (d1 / "21614 - POOLWERX - Rev 102-DESKTOP-ABC1234.pdf").write_bytes(b"%PDF-1.4 conflicting edit")
        await until(lambda: _has(client, "21614", "21614 - POOLWERX - Rev 102-DESKTOP-ABC1234.pdf"), "a conflict copy")
        assert await current_lld(client, "21614") == "21614 - POOLWERX - Rev 102.pdf"

        # A burst of a few hundred files, none lost.
        burst = root / P2 / "Photos"
        burst.mkdir()
        before = await total(client, "20692")
        for i in range(300):
            (burst / f"IMG_{i:04d}.jpg").write_bytes(b"jpg")
        await until(lambda: _total_is(client, "20692", before + 300), "a burst of 300 files")
        assert await _text_hit(client, "IMG_0299", "IMG_0299.jpg")

        # The watcher counts a batch's changes once its scan has committed them: the rows can be seen first.
        watcher = await until(lambda: _counted(client, 300), "the burst counted by the watcher")
        assert watcher["state"] == "watching" and watcher["mode"] == "inotify" and watcher["alive"]
        assert watcher["heartbeat"] and watcher["last_change"]
        assert watcher["restarts"] == 0


async def test_a_vanished_root_pauses_and_resumes_without_deleting(tmp_path: Path) -> None:
    root = tmp_path / "Projects"
    away = tmp_path / "Projects (unmounted)"
    _tree(root)
    async with Client(_params(tmp_path / "q.db", root)) as client:
        await until(lambda: _has(client, "20692", "20692 - DOWNER - Rev 100.pdf"), "the reconciled tree")
        root.rename(away)
        await until(lambda: _paused(client, root), "the watcher pausing the vanished root")
        assert "20692 - DOWNER - Rev 100.pdf" in await names(client, "20692")  # nothing deleted
        # Changed while away: the reconcile on return picks it up.
        (away / P2 / SD / "20692 - DOWNER - Rev 101.pdf").write_bytes(b"%PDF-1.4 while away")
        away.rename(root)
        await until(lambda: _is_current(client, "20692", "20692 - DOWNER - Rev 101.pdf"), "the change made while away")
        assert "20692 - DOWNER - Rev 100.pdf" in await names(client, "20692")
        # And it follows changes again.
        (root / P2 / SD / "20692 - DOWNER - Rev 102.pdf").write_bytes(b"%PDF-1.4 after return")
        await until(lambda: _is_current(client, "20692", "20692 - DOWNER - Rev 102.pdf"), "a change after resuming")
        watcher = (await call(client, "index_status"))["watcher"]
        assert watcher["paused_roots"] == [] and watcher["state"] == "watching"


async def test_polling_mode_finds_changes_too(tmp_path: Path) -> None:
    root = tmp_path / "Projects"
    _tree(root)
    params = _params(tmp_path / "q.db", root)
    assert params.env is not None
    params.env |= {"QUICKNAV_WATCH_POLL": "1", "QUICKNAV_WATCH_POLL_MS": "200"}
    async with Client(params) as client:
        await until(lambda: _has(client, "20692", "20692 - DOWNER - Rev 100.pdf"), "the reconciled tree")
        (root / P2 / SD / "20692 - DOWNER - Rev 101.pdf").write_bytes(b"%PDF-1.4 polled")
        await until(lambda: _is_current(client, "20692", "20692 - DOWNER - Rev 101.pdf"), "a change seen by polling")
        watcher = (await call(client, "index_status"))["watcher"]
        assert watcher["mode"] == "polling" and watcher["mode_reason"] == "QUICKNAV_WATCH_POLL"


async def test_no_watch_turns_it_off(tmp_path: Path) -> None:
    root = tmp_path / "Projects"
    _tree(root)
    params = _params(tmp_path / "q.db", root)
    params.args.append("--no-watch")
    async with Client(params) as client:
        status = await call(client, "index_status")
        assert status["watcher"] is None


def _serve_pid(db: Path) -> int:
    """The pid of the serving process, from the owner of its latest ``scans`` row (``host:pid:start``)."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        owner = conn.execute("SELECT owner FROM scans WHERE owner IS NOT NULL ORDER BY id DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    assert owner, "no scans row written by the server"
    return int(owner[0].split(":")[1])


def _rows(db: Path, pid: int) -> list[tuple[str, str]]:
    """``(kind, status)`` of the ``scans`` rows written by process ``pid``."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT kind, status FROM scans WHERE owner LIKE ? ORDER BY id", (f"%:{pid}:%",)).fetchall()
    finally:
        conn.close()


async def test_a_killed_server_catches_up_on_restart(tmp_path: Path) -> None:
    """``serve`` SIGKILLed in the middle of a burst, files changed while it is down: the restarted
    server's start-up reconcile finds everything, and the dead server's rows say ``interrupted``."""
    root = tmp_path / "Projects"
    _tree(root)
    db = tmp_path / "q.db"
    d1, d2 = root / P1 / SD, root / P2 / SD
    burst = root / P2 / "Photos"
    burst.mkdir()
    with contextlib.suppress(Exception):  # the client's session ends abruptly with its server
        async with Client(_params(db, root)) as client:
            await until(lambda: _has(client, "21614", "21614 - POOLWERX - Rev 100.pdf"), "the reconciled tree")
            (d1 / "21614 - POOLWERX - Rev 101.pdf").write_bytes(b"%PDF-1.4 before the kill")
            await until(lambda: _is_current(client, "21614", "21614 - POOLWERX - Rev 101.pdf"), "a watched change")
            before = await total(client, "20692")
            for i in range(400):
                (burst / f"IMG_{i:04d}.jpg").write_bytes(b"jpg")
            pid = _serve_pid(db)
            await until(lambda: _more_than(client, "20692", before), "the burst starting to arrive")
            os.kill(pid, signal.SIGKILL)
            # While it is down: more of the burst, a new revision, a deletion and a rename.
            for i in range(400, 500):
                (burst / f"IMG_{i:04d}.jpg").write_bytes(b"jpg")
            (d2 / "20692 - DOWNER - Rev 101.pdf").write_bytes(b"%PDF-1.4 while down")
            (d1 / "21614 - POOLWERX - Rev 101.pdf").unlink()
            (d1 / "21614 - POOLWERX - Rev 100.pdf").rename(d1 / "21614 - POOLWERX - Rev 100 (issued).pdf")
    assert dict(_rows(db, pid)).get("watch") == "running"  # nobody could close it

    async with Client(_params(db, root)) as client:
        # The 500 photos and the revision added while it was down.
        await until(lambda: _total_is(client, "20692", before + 501), "the whole burst after the restart")
        await until(lambda: _is_current(client, "20692", "20692 - DOWNER - Rev 101.pdf"), "a file added while down")
        found = await until(
            lambda: _has(client, "21614", "21614 - POOLWERX - Rev 100 (issued).pdf"), "a file renamed while down"
        )
        assert "21614 - POOLWERX - Rev 101.pdf" not in found and "21614 - POOLWERX - Rev 100.pdf" not in found
        # The killed server's watch session is marked as such, not left running.
        assert ("watch", "interrupted") in _rows(db, pid)
        assert all(status != "running" for _, status in _rows(db, pid))
        watcher = (await call(client, "index_status"))["watcher"]
        assert watcher["state"] == "watching" and watcher["restarts"] == 0


async def test_a_failing_watcher_is_restarted_inside_serve(tmp_path: Path) -> None:
    """Another process holds the database's write lock past the busy timeout (a backup tool, a
    database browser with a transaction open): the watcher's write fails, the supervisor restarts it
    with backoff (visible in index_status), and once the lock is gone it reconciles what it missed."""
    root = tmp_path / "Projects"
    _tree(root)
    db = tmp_path / "q.db"
    async with Client(_params(db, root)) as client:
        await until(lambda: _has(client, "20692", "20692 - DOWNER - Rev 100.pdf"), "the reconciled tree")
        locker = subprocess.Popen(
            [sys.executable, "-c", _HOLD_LOCK, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        try:
            assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
            (root / P2 / SD / "20692 - DOWNER - Rev 101.pdf").write_bytes(b"%PDF-1.4 written under the lock")
            watcher = await until(lambda: _restarted(client), "the watcher failing and restarting", deadline=120)
            assert "locked" in watcher["last_error"] and watcher["alive"]
        finally:
            locker.communicate("", timeout=DEADLINE)  # closing its stdin ends it, releasing the lock
        await until(
            lambda: _is_current(client, "20692", "20692 - DOWNER - Rev 101.pdf"), "the missed change", deadline=120
        )
        watcher = (await call(client, "index_status"))["watcher"]
        assert watcher["state"] == "watching" and watcher["restarts"] >= 1
        # It follows changes again.
        (root / P2 / SD / "20692 - DOWNER - Rev 102.pdf").write_bytes(b"%PDF-1.4 after the restart")
        await until(lambda: _is_current(client, "20692", "20692 - DOWNER - Rev 102.pdf"), "a change after restarting")


_HOLD_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()
conn.execute("ROLLBACK")
"""


# ---------------------------------------------------------------------------- checks


async def _has(client: Client, project: str, name: str) -> set[str] | None:
    found = await names(client, project)
    return found if name in found else None


async def _lacks(client: Client, project: str, name: str) -> bool:
    return name not in await names(client, project)


async def _is_current(client: Client, project: str, name: str) -> bool:
    return await current_lld(client, project) == name


async def _text_hit(client: Client, word: str, name: str) -> bool:
    out = await call(client, "search_documents", query=word, limit=5)
    return any(Path(d["path"]).name == name for d in out["documents"])


async def _total_is(client: Client, project: str, expected: int) -> bool:
    return await total(client, project) == expected


async def _more_than(client: Client, project: str, count: int) -> bool:
    return await total(client, project) > count


async def _restarted(client: Client) -> dict[str, Any] | None:
    watcher = (await call(client, "index_status"))["watcher"]
    return watcher if watcher["restarts"] >= 1 else None


async def _counted(client: Client, changes: int) -> dict[str, Any] | None:
    watcher = (await call(client, "index_status"))["watcher"]
    return watcher if watcher["changes"] >= changes else None


async def _paused(client: Client, root: Path) -> bool:
    watcher = (await call(client, "index_status"))["watcher"]
    return bool(watcher) and str(root) in watcher["paused_roots"]


def test_quicknav_watch_prints_a_json_line_per_change_and_stops_on_sigterm(tmp_path: Path) -> None:
    root = tmp_path / "Projects"
    _tree(root)
    db = tmp_path / "q.db"
    env = _params(db, root).env
    assert env is not None
    subprocess.run([sys.executable, "-m", "quicknav_mcp.cli", "index"], env=env, check=True, capture_output=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "quicknav_mcp.cli", "watch"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines: list[dict[str, Any]] = []
        new = root / P1 / SD / "21614 - POOLWERX - Rev 101.pdf"
        end = time.monotonic() + DEADLINE
        while not lines and time.monotonic() < end:
            new.write_bytes(b"%PDF-1.4 " + str(time.monotonic()).encode())  # until the watcher has started
            ready, _, _ = select.select([proc.stdout], [], [], 0.5)
            if ready:
                lines.append(json.loads(proc.stdout.readline()))  # type: ignore[union-attr]
        assert lines, "no change line within the deadline"
        assert lines[0]["path"] == str(new) and lines[0]["change"] in {"added", "modified"}
        assert lines[0]["root"] == str(root)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=DEADLINE) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
