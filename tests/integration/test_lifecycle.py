"""Shutdown loses nothing: real ``quicknav serve`` / ``demo`` processes, real signals, stored events counted.

Every MCP tool call is tracked automatically, so the number of calls a client got an answer to
is the number of events the database must hold once the process has exited.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
import sqlean
from mcp import Client

QUICKNAV = [sys.executable, "-m", "quicknav_mcp.cli"]
EXIT_WITHIN = 5.0  # the target is 2 s (measured ~0.3 s); a loaded test machine gets slack
WAIT = 60.0  # for answers and start-up; only reached when something is broken


@pytest.fixture
def db(sample_db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "life.db"
    shutil.copy(sample_db, target)
    return target


def server_env(db: Path, root: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"QUICKNAV_DB": str(db), "QUICKNAV_ROOTS": str(root), "QUICKNAV_LOG_LEVEL": "INFO"})
    env.pop("QUICKNAV_ANALYTICS_TRACKING", None)
    env.update(extra)
    return env


def stored(db: Path) -> tuple[int, int]:
    """(events in the log, events not yet folded into the rollups), read with a plain connection."""
    with sqlite3.connect(db) as conn:
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        pending = conn.execute(
            "SELECT coalesce(sum(json_extract(payload, '$.n')), 0) FROM bus_outbox WHERE topic = 'analytics.events' "
            "AND id > coalesce((SELECT position FROM bus_cursors WHERE subscriber = 'rollups'), 0)"
        ).fetchone()[0]
    return events, pending


def wal_bytes(db: Path) -> int:
    wal = db.with_name(db.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def wait_exit(proc: subprocess.Popen, since: float) -> tuple[int, float]:
    try:
        code = proc.wait(WAIT)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        pytest.fail(f"the server did not exit within {WAIT:.0f}s")
    return code, time.monotonic() - since


def assert_clean_exit(code: int, seconds: float, stderr: str) -> None:
    assert code == 0, stderr[-3000:]
    assert "Traceback" not in stderr, stderr[-3000:]
    assert seconds < EXIT_WITHIN, f"exit took {seconds:.2f}s"
    print(f"exited 0 after {seconds:.2f}s")  # reported for the 2 s target


# ---- stdio ----------------------------------------------------------------------------------


class StdioPeer:
    """A JSON-RPC client on the pipes of a ``quicknav serve`` process (no SDK in between)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [*QUICKNAV, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        self._lines: queue.Queue[bytes] = queue.Queue()
        self._stderr: list[bytes] = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self._lines.put), daemon=True).start()
        self._stderr_pump = threading.Thread(
            target=self._pump, args=(self.proc.stderr, self._stderr.append), daemon=True
        )
        self._stderr_pump.start()
        self._next = 0

    @staticmethod
    def _pump(stream: Any, sink: Any) -> None:
        for line in iter(stream.readline, b""):
            sink(line)

    @property
    def stderr(self) -> str:
        if self.proc.poll() is not None:
            self._stderr_pump.join(5)  # the process has exited: take its last lines
        return b"".join(self._stderr).decode("utf-8", "replace")

    def send(self, line: bytes) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def receive(self) -> dict[str, Any]:
        while True:
            try:
                message = json.loads(self._lines.get(timeout=WAIT))
            except queue.Empty:
                pytest.fail(f"no reply within {WAIT:.0f}s; stderr: {self.stderr[-2000:]}")
            if "id" in message:  # skip notifications (logging, progress)
                return message

    def request(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        self._next += 1
        body: dict[str, Any] = {"jsonrpc": "2.0", "id": self._next, "method": method}
        if params is not None:
            body["params"] = params
        self.send(json.dumps(body).encode())
        reply = self.receive()
        assert reply["id"] == self._next, reply
        return reply

    def initialize(self) -> None:
        reply = self.request(
            "initialize",
            {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "lifecycle", "version": "1"}},
        )
        assert reply["result"]["serverInfo"]["name"] == "quicknav", reply
        self.send(b'{"jsonrpc": "2.0", "method": "notifications/initialized"}')

    def call_tool(self, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        reply = self.request("tools/call", {"name": name, "arguments": arguments})
        assert "result" in reply and not reply["result"].get("isError"), reply
        return reply["result"]

    def tracked_calls(self, n: int) -> int:
        """Make ``n`` tool calls; return how many were answered (each answer is one tracked event)."""
        answered = 0
        for i in range(n):
            if i % 2:
                self.call_tool("navigate_project", {"project_number": "20865"})
            else:
                self.call_tool("find_documents", {"project_number": "20865", "doc_type": "lld"})
            answered += 1
        return answered


@pytest.mark.parametrize("how", ["stdin closes", "SIGINT", "SIGTERM"])
def test_stdio_shutdown_stores_every_acknowledged_event(db: Path, sample_root: Path, how: str) -> None:
    before, _ = stored(db)
    peer = StdioPeer(server_env(db, sample_root))
    peer.initialize()
    answered = peer.tracked_calls(100 if how == "stdin closes" else 60)
    started = time.monotonic()
    if how == "stdin closes":
        assert peer.proc.stdin is not None
        peer.proc.stdin.close()
    else:  # stdin stays open: the signal alone must end the process
        peer.proc.send_signal(signal.SIGINT if how == "SIGINT" else signal.SIGTERM)
    code, seconds = wait_exit(peer.proc, started)
    assert_clean_exit(code, seconds, peer.stderr)
    events, pending = stored(db)
    assert events - before == answered
    assert pending == 0  # the rollups folded them too
    assert wal_bytes(db) == 0  # checkpointed


def test_stdio_second_signal_during_shutdown_still_loses_nothing(db: Path, sample_root: Path) -> None:
    before, _ = stored(db)
    peer = StdioPeer(server_env(db, sample_root))
    peer.initialize()
    answered = peer.tracked_calls(40)
    started = time.monotonic()
    peer.proc.send_signal(signal.SIGINT)
    peer.proc.send_signal(signal.SIGINT)  # at once: while serving stops
    time.sleep(0.15)
    with contextlib.suppress(ProcessLookupError):
        peer.proc.send_signal(signal.SIGTERM)  # later: while closing, or after
    code, seconds = wait_exit(peer.proc, started)
    assert_clean_exit(code, seconds, peer.stderr)
    assert stored(db)[0] - before == answered


UNPARSEABLE = {
    "1,000-deep nesting": b'{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "get_project", '
    b'"arguments": {"project_number": ' + b"[" * 1000 + b"]" * 1000 + b"}}}",
    "lone surrogate escape": b'{"jsonrpc": "2.0", "id": 2, "method": "ping", "params": {"x": "\\ud800"}}',
    "lone surrogate bytes": b'{"jsonrpc": "2.0", "id": 3, "method": "ping", "params": {"x": "\xed\xa0\x80"}}',
    "truncated JSON": b'{"jsonrpc": "2.0", "id": 4, "method": "tools/ca',
    "not JSON": b"navigate 17741 please",
}


def test_unparseable_stdio_lines_get_parse_errors_and_serving_goes_on(db: Path, sample_root: Path) -> None:
    peer = StdioPeer(server_env(db, sample_root))
    peer.initialize()
    for what, line in UNPARSEABLE.items():
        peer.send(line)
        reply = peer.receive()
        assert reply["id"] is None, (what, reply)
        assert reply["error"]["code"] == -32700, (what, reply)
        assert reply["error"]["message"].startswith("Parse error"), (what, reply)
        # The next valid request is answered as usual.
        out = peer.call_tool("navigate_project", {"project_number": "20865"})
        assert out["structuredContent"]["status"] == "success", what
    # Valid JSON that is no JSON-RPC message is an invalid request, answered with its id.
    peer.send(b'{"id": 77, "hello": "world"}')
    reply = peer.receive()
    assert reply["id"] == 77 and reply["error"]["code"] == -32600, reply
    assert peer.request("ping")["result"] == {}
    assert peer.proc.stdin is not None
    peer.proc.stdin.close()
    code, _ = wait_exit(peer.proc, time.monotonic())
    assert code == 0, peer.stderr[-2000:]
    warnings = [json.loads(line) for line in peer.stderr.splitlines() if "unreadable stdin line" in line]
    assert len(warnings) == len(UNPARSEABLE) + 1


# ---- streamable HTTP ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Captured:
    """A child's stderr (or stdout) collected on a thread, so a full pipe never blocks it."""

    def __init__(self, stream: Any) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: Any) -> None:
        for line in iter(stream.readline, ""):
            self.lines.append(line)

    def text(self) -> str:
        self._thread.join(5)
        return "".join(self.lines)


async def connect(url: str, proc: subprocess.Popen) -> None:
    """Wait until the server answers (it may need a moment after the process starts)."""
    deadline = time.monotonic() + WAIT
    while True:
        try:
            async with Client(url) as client:
                await client.list_tools()
                return
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise
            await anyio.sleep(0.2)


async def http_calls(url: str, n: int, tool: str, arguments: dict[str, Any]) -> int:
    answered = 0
    async with Client(url) as client:
        for _ in range(n):
            result = await client.call_tool(tool, arguments)
            assert not result.is_error, result.content
            answered += 1
    return answered


@pytest.mark.anyio
@pytest.mark.parametrize("signals", [[signal.SIGINT], [signal.SIGTERM], [signal.SIGINT, signal.SIGINT]])
async def test_http_shutdown_stores_every_acknowledged_event_and_logs_only_json(
    db: Path, sample_root: Path, signals: list[int]
) -> None:
    before, _ = stored(db)
    port = free_port()
    proc = subprocess.Popen(
        [*QUICKNAV, "serve", "--http", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=server_env(db, sample_root),
    )
    err = Captured(proc.stderr)
    try:
        url = f"http://127.0.0.1:{port}/mcp"
        await connect(url, proc)
        answered = await http_calls(url, 60, "navigate_project", {"project_number": "20865"})
    except BaseException:
        proc.kill()
        raise
    started = time.monotonic()
    for i, sig in enumerate(signals):  # a second Ctrl+C, during or just after the shutdown, changes nothing
        if i:
            time.sleep(0.15)
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
    code, seconds = wait_exit(proc, started)
    stderr = err.text()
    assert_clean_exit(code, seconds, stderr)
    events, pending = stored(db)
    assert events - before == answered
    if len(signals) == 1:
        assert pending == 0
    assert wal_bytes(db) == 0
    records = [json.loads(line) for line in stderr.splitlines() if line.strip()]  # every line is one JSON object
    for record in records:
        assert {"ts", "level", "logger", "msg"} <= record.keys(), record
    access = [r for r in records if r["logger"] == "uvicorn.access"]
    assert access and {(r["method"], r["path"], r["status"]) for r in access} >= {("POST", "/mcp", 200)}
    assert any(r["logger"] == "uvicorn.error" and "Shutting down" in r["msg"] for r in records)


@pytest.mark.anyio
async def test_demo_serving_stops_on_sigint_without_losing_events(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "demo.db"
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), QUICKNAV_LOG_LEVEL="WARNING")
    args = ["demo", "--no-content", "--projects", "20", "--port", str(port), "--dir", str(tmp_path / "firm")]
    proc = subprocess.Popen(
        [*QUICKNAV, *args, "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    err = Captured(proc.stderr)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 180
        for line in iter(proc.stdout.readline, ""):
            if "Serving MCP" in line or time.monotonic() > deadline:
                break
        out = Captured(proc.stdout)
        url = f"http://127.0.0.1:{port}/mcp"
        await connect(url, proc)
        before, _ = stored(db)
        answered = await http_calls(url, 25, "index_status", {})
    except BaseException:
        proc.kill()
        raise
    started = time.monotonic()
    proc.send_signal(signal.SIGINT)
    code, seconds = wait_exit(proc, started)
    assert_clean_exit(code, seconds, err.text() + out.text())
    events, pending = stored(db)
    assert events - before == answered
    assert pending == 0
    assert wal_bytes(db) == 0


# ---- the store's checkpoint -----------------------------------------------------------------


def test_store_close_checkpoints_while_another_connection_stays_open(tmp_path: Path) -> None:
    from quicknav_mcp.store import Store

    path = tmp_path / "c.db"
    store = Store(path)
    # Another connection keeps SQLite from removing the WAL at close. It must use the same SQLite
    # library as the store: POSIX locks do not see each other within one process otherwise.
    other = sqlean.connect(str(path))
    try:
        other.execute("SELECT count(*) FROM sqlite_master").fetchone()
        with store.transaction() as conn:
            conn.execute("CREATE TABLE t(x)")
            conn.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(5000)])
        assert wal_bytes(path) > 0
        store.close()
        assert wal_bytes(path) == 0
        assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 5000
        store.close()  # closing twice is harmless
    finally:
        other.close()


def test_store_close_does_not_wait_long_for_a_reader(tmp_path: Path) -> None:
    from quicknav_mcp.store import Store

    path = tmp_path / "r.db"
    store = Store(path)
    with store.transaction() as conn:
        conn.execute("CREATE TABLE t(x)")
    reader = sqlean.connect(str(path), isolation_level=None)
    try:
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM t").fetchone()  # holds a read snapshot
        with store.transaction() as conn:
            conn.execute("INSERT INTO t VALUES (1)")
        started = time.monotonic()
        assert store.checkpoint() is False  # the reader still needs the log
        store.close()
        assert time.monotonic() - started < 3.0
        reader.execute("COMMIT")
    finally:
        reader.close()
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT count(*) FROM t").fetchone()[0] == 1


def test_stdio_serve_without_stdin_is_a_clear_error(db: Path, sample_root: Path) -> None:
    out = subprocess.run(
        [*QUICKNAV, "serve"],
        capture_output=True,
        text=True,
        env=server_env(db, sample_root),
        preexec_fn=lambda: os.close(0),  # started with no stdin at all
        timeout=WAIT,
    )
    assert out.returncode == 2, out.stderr
    assert "stdin is not open" in out.stderr and "--http" in out.stderr
    assert "Traceback" not in out.stderr


# ---- background work stops promptly ---------------------------------------------------------


def test_extraction_stops_within_a_batch_and_leaves_the_rest_pending(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from quicknav_mcp.indexers.extract import ContentWorker

    from quicknav_mcp.store import Store

    store = Store(db)
    try:
        worker = ContentWorker(store)
        total = worker.pending()
        assert total > 40  # more than one batch of 32
        cancel = threading.Event()
        seen = 0
        real = ContentWorker._one

        def counting(self: ContentWorker, pool: Any, row: Any) -> Any:
            nonlocal seen
            seen += 1
            if seen == 3:
                cancel.set()  # shutdown begins while the third file is being parsed
            return real(self, pool, row)

        monkeypatch.setattr(ContentWorker, "_one", counting)
        started = time.monotonic()
        report = worker.run(cancel=cancel)
        assert time.monotonic() - started < 30
        assert report.status == "cancelled"
        assert report.processed <= 3 and seen == 3  # stopped inside the first batch of 32
        assert worker.pending() == total - report.processed  # nothing cancelled was recorded as done
        monkeypatch.undo()
        assert ContentWorker(store).run().processed == total - report.processed
    finally:
        store.close()


def test_a_cancelled_embedding_pass_does_not_start_a_model_load(db: Path) -> None:
    from quicknav_mcp.indexers.embed import EmbedWorker

    from quicknav_mcp.store import Store

    class Model:
        loads = 0

        def load(self) -> bool:  # the slow, uninterruptible step (torch import, weights)
            self.loads += 1
            return False

        def status(self) -> str:
            return "unavailable: test"

    store = Store(db)
    try:
        cancel = threading.Event()
        cancel.set()
        model = Model()
        report = EmbedWorker(store, model).run(cancel=cancel)  # type: ignore[arg-type]
        assert report.status == "cancelled" and model.loads == 0
        assert EmbedWorker(store, model).run().status != "cancelled"  # type: ignore[arg-type]
        assert model.loads == 1 or not store.vec_available
    finally:
        store.close()
