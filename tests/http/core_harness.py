"""``quicknav serve --http`` in a real child process on 127.0.0.1 (random port), for the gateway's route tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

QUICKNAV = [sys.executable, "-m", "quicknav_mcp.cli"]
SECRET = "first-secret-" + "a" * 32
OLD_SECRET = "older-secret-" + "b" * 32
WAIT = 60.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """A running gateway: its base URL, the child, and its stderr lines (collected on a thread)."""

    def __init__(self, proc: subprocess.Popen[str], base: str) -> None:
        self.proc = proc
        self.base = base
        self.lines: list[str] = []
        self._pump = threading.Thread(target=self._read, daemon=True)
        self._pump.start()

    def _read(self) -> None:
        assert self.proc.stderr is not None
        for line in iter(self.proc.stderr.readline, ""):
            self.lines.append(line)

    def client(self, token: str | None = None, **kwargs: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.base, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]


def copy_db(sample_db: Path, tmp: Path) -> Path:
    target = tmp / "gateway.db"
    shutil.copy(sample_db, target)
    return target


@contextmanager
def serve(db: Path, root: Path, *args: str, scheme: str = "http", **env_extra: str) -> Iterator[Served]:
    """Start ``quicknav serve --http`` and wait until it answers; stop it with SIGTERM afterwards."""
    port = free_port()
    env = dict(os.environ)
    for name in ("QUICKNAV_JWT_SECRET", "QUICKNAV_ALLOWED_HOSTS", "QUICKNAV_CORS_ORIGINS", "QUICKNAV_RATE_LIMIT"):
        env.pop(name, None)
    env.update(
        {
            "QUICKNAV_DB": str(db),
            "QUICKNAV_ROOTS": str(root),
            "QUICKNAV_USER": "dana",
            "QUICKNAV_SEARCH_BACKGROUND": "0",
            "QUICKNAV_EMBED_MODEL": "none",
            "QUICKNAV_TIMEZONE": "Australia/Adelaide",
        }
    )
    env.update(env_extra)
    proc = subprocess.Popen(
        [*QUICKNAV, "serve", "--http", "--port", str(port), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    served = Served(proc, f"{scheme}://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + WAIT
        while True:
            try:
                if httpx.get(served.base + "/openapi.json", timeout=5, verify=False).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("gateway did not start:\n" + "".join(served.lines)[-3000:])
            time.sleep(0.2)
        yield served
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
