"""Filesystem indexer on a tree rebuilt from the real catalogue of 1,792 document paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from quicknav_mcp.indexers.filesystem import scan_root

from quicknav_mcp.repo.documents import REL_PATH
from quicknav_mcp.store import Store

pytestmark = pytest.mark.corpus


def build_tree(lines: list[str], root: Path) -> None:
    try:
        from quicknav_mcp.demo.corpus_tree import build_corpus_tree
    except ImportError:
        for line in lines:
            path = root / line
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch()
    else:
        build_corpus_tree(lines, root)


def test_real_catalogue_indexes_completely(real_paths: list[str], tmp_path: Path) -> None:
    root = tmp_path / "Project Files"
    build_tree(real_paths, root)
    store = Store(tmp_path / "quicknav.db")
    try:
        report = scan_root(store, root)
        assert report.status == "done"
        assert report.problems == 0
        assert report.projects_seen == 14
        assert report.added == report.files_seen == 1792
        assert store.query_one("SELECT count(*) FROM projects")[0] == 14
        assert store.query_one("SELECT count(*) FROM documents")[0] == 1792
        assert store.query_one("SELECT sum(doc_count) FROM projects")[0] == 1792
        assert {
            r[0] for r in store.query(f"SELECT {REL_PATH} FROM documents d JOIN projects p ON p.id = d.project_id")
        } == set(real_paths)
        ranges = {r[0] for r in store.query("SELECT DISTINCT range_folder FROM projects")}
        assert ranges == {"17000 - 17999", "18000 - 18999", "20000 - 20999", "21000 - 21999"}
        clients = {r["code"]: json.loads(r["client_names"]) for r in store.query("SELECT * FROM projects")}
        # Documents use fuller client names than folders (PLWRX -> Poolwerx, DWNR -> Downer).
        assert "Poolwerx" in clients["21614"]
        assert "Downer" in clients["20692"]
        # The system designs the firm calls LLDs are found and carry design revisions.
        lld = store.query(
            "SELECT revision, revision_scheme FROM documents WHERE doc_type = 'lld' AND revision IS NOT NULL"
        )
        assert len(lld) > 50
        assert all(r["revision_scheme"] == "design" for r in lld)

        again = scan_root(store, root)
        assert again.unchanged == 1792
        assert (again.added, again.updated, again.moved, again.deleted) == (0, 0, 0, 0)
    finally:
        store.close()
