"""The navigation cache of project folders sees every change of a project row, whatever its stamp:
real files, a real store, the real scanner."""

from __future__ import annotations

import os
from pathlib import Path

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo import generate_firm


def test_a_project_renamed_while_another_is_stamped_ahead_of_the_clock_is_found_at_its_new_path(
    tmp_path: Path,
) -> None:
    """Another project's stamp ahead of the clock (written while it ran ahead, then set back): the
    rename leaves the stamps' maximum where it was; navigation answers the new folder, not the gone one."""
    root = tmp_path / "firm"
    generate_firm(root, projects=2, seed=5, content=False)
    with App.open(load_config(db=tmp_path / "q.db", roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"})) as app:
        app.indexing.reindex()
        (code, rel), (other,) = (
            tuple(app.store.query_one("SELECT code, rel_path FROM projects ORDER BY id")),
            tuple(app.store.query_one("SELECT id FROM projects ORDER BY id DESC")),
        )
        with app.store.transaction() as conn:
            conn.execute(
                "UPDATE projects SET indexed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 hour') WHERE id = ?",
                (other,),
            )
        assert Path(app.navigation.navigate(code).path or "").name == Path(rel).name  # cached
        renamed = (root / rel).with_name(f"{code} - Renamed Council Chamber Upgrade")
        os.rename(root / rel, renamed)
        app.indexing.reindex()
        found = app.navigation.navigate(code)
        assert found.path is not None and Path(found.path) == renamed and renamed.is_dir()
