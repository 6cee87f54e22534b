"""``quicknav tui`` in a real pseudo-terminal: it draws Home, answers keys, and ``q`` exits with 0."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


def _read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
    return seen


def test_quicknav_tui_runs_in_a_terminal_and_q_exits_zero(demo_db: Path) -> None:
    main, child = os.openpty()
    fcntl.ioctl(child, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if not k.startswith("QUICKNAV_")}
    env |= {"TERM": "xterm-256color", "QUICKNAV_EMBED_MODEL": "none"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "quicknav_mcp.cli", "tui", "--db", str(demo_db), "--user", "user003"],
        stdin=child,
        stdout=child,
        stderr=child,
        env=env,
        start_new_session=True,
    )
    os.close(child)
    try:
        screen = _read_until(main, b"events per minute", 90)
        assert b"events per minute" in screen, screen[-2000:]
        os.write(main, b"3")
        assert b"Recommended for user003" in _read_until(main, b"Recommended for user003", 60)
        os.write(main, b"q")
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)
