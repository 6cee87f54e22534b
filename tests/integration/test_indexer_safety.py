"""A root that suddenly looks empty (an unmounted share) must not wipe the index."""

from __future__ import annotations

import shutil
from pathlib import Path

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo.firm import generate_firm


def _app(root: Path, db: Path) -> App:
    return App.open(load_config(db=db, roots=[root], env={}))


def test_vanished_project_folders_tree_keeps_everything(sample_root: Path, tmp_path: Path) -> None:
    root = tmp_path / "share"
    shutil.copytree(sample_root, root)
    with _app(root, tmp_path / "q.db") as app:
        first = app.indexing.reindex()[0]
        ids = {r[0] for r in app.store.query("SELECT id FROM documents")}
        (root / "Project Folders").rename(tmp_path / "unmounted")
        report = app.indexing.reindex()[0]
        assert report["deleted"] == 0 and report["projects_deleted"] == 0
        assert any(p["kind"] == "suspect" for p in report["problem_samples"])
        assert {r[0] for r in app.store.query("SELECT id FROM documents")} == ids
        assert app.navigation.navigate("21614").status == "success"
        # The share comes back: same ids, nothing re-added.
        (tmp_path / "unmounted").rename(root / "Project Folders")
        back = app.indexing.reindex()[0]
        assert back["added"] == 0 and back["unchanged"] == first["added"]
        # A real removal of the whole tree is accepted only with force.
        shutil.rmtree(root / "Project Folders")
        forced = app.indexing.reindex(force=True)[0]
        assert forced["projects_deleted"] == 4
        assert app.store.query_one("SELECT count(*) FROM documents")[0] == 0


def test_most_projects_vanishing_at_once_is_suspect_but_a_few_are_not(tmp_path: Path) -> None:
    root = tmp_path / "firm"
    generate_firm(root, projects=30, seed=5, content=False)
    with _app(root, tmp_path / "f.db") as app:
        app.indexing.reindex()
        folders = sorted(p for p in (root / "Project Folders").glob("*/*") if p.is_dir())
        assert len(folders) == 30
        for folder in folders[:2]:  # ordinary housekeeping: two projects archived off the share
            shutil.rmtree(folder)
        assert app.indexing.reindex()[0]["projects_deleted"] == 2
        for folder in folders[2:24]:  # 22 of the remaining 28 at once: suspicious
            shutil.rmtree(folder)
        report = app.indexing.reindex()[0]
        assert report["projects_deleted"] == 0 and report["deleted"] == 0
        assert app.store.query_one("SELECT count(*) FROM projects")[0] == 28
