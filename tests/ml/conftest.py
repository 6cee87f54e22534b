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
