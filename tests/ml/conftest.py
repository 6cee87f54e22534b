"""A small generated firm, indexed once per session, for the model service's tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def firm_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(database, root) of a 40-project generated firm; copy the database before writing."""
    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config
    from quicknav_mcp.demo.firm import generate_firm

    base = tmp_path_factory.mktemp("firm")
    generate_firm(base, projects=40, seed=5, content=False)
    db = base / "firm.db"
    with App.open(load_config(db=db, roots=[base], env={})) as app:
        app.indexing.reindex()
    return db, base


@pytest.fixture
def firm_copy(firm_db: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    db, root = firm_db
    target = tmp_path / "firm.db"
    shutil.copy(db, target)
    return target, root


@pytest.fixture
def firm_clock(monkeypatch: pytest.MonkeyPatch) -> float:
    """Searches rank at a fixed instant, 240 days after the generated firm's snapshot: its files do
    not age with the calendar, so a ranking test asks the same of the firm whatever day it runs (the
    promotion test held at every instant tried from 120 to 640 days; at 885, the real clock a year
    from its writing, the honest model no longer beat the hand order). Seconds since the epoch."""
    from quicknav_mcp.demo.plan_parts import NOW, epoch
    from quicknav_mcp.search import clock

    at = float(epoch(NOW) + 240 * 86_400)
    monkeypatch.setattr(clock, "now", lambda: at)
    return at
