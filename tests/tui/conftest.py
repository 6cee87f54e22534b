"""A demo firm with a usage history and trained models, and dashboards over it with a frozen clock."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from quicknav_mcp.tui.shots import DEMO_NOW, build_demo

NOW_MS = int(datetime.fromisoformat(DEMO_NOW).timestamp() * 1000)
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def demo_db() -> Iterator[Path]:
    """The demo firm indexed with usage ending at DEMO_NOW (read it; copy it before writing).

    Built at a fixed-length path per checkout so screens that show paths wrap the same way each run; each
    pytest-xdist worker has its own (the worker's name is in the hash), so parallel workers never share it.
    """
    owner = f"{REPO}:{os.environ.get('PYTEST_XDIST_WORKER', '')}"
    base = Path(tempfile.gettempdir()) / f"quicknav-tui-{hashlib.sha1(owner.encode()).hexdigest()[:8]}"
    shutil.rmtree(base, ignore_errors=True)
    db = build_demo(base / "demo.db", base / "firm", projects=30)
    yield db
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database, for tests that write to it."""
    target = tmp_path / "demo.db"
    shutil.copy(demo_db, target)
    return target
