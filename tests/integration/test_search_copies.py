"""Identical copies of one file: the copy the domain's rule calls current comes first, over the real
catalogue, where one project files one rollout schedule in six room folders (skipped without it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config

pytestmark = pytest.mark.corpus

SCHEDULE = "17741 - QPS ROLLOUT - Schedule draft V1.pdf"


def test_the_current_copy_of_identical_files_ranks_first(real_paths: list[str], tmp_path: Path) -> None:
    from quicknav_mcp.demo.corpus_tree import build_corpus_tree

    lines = [ln for ln in real_paths if ln.strip()]
    assert sum(ln.endswith("/" + SCHEDULE) for ln in lines) > 1  # the copies this test is about
    root = tmp_path / "root"
    root.mkdir()
    build_corpus_tree(lines, root)
    config = load_config(db=tmp_path / "q.db", roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"})
    with App.open(config) as app:
        app.indexing.reindex()
        app.search.index_content(extract=True, embed=False, workers=1)
        out = app.search.search_documents("the MR upgrades rollout schedule for QPS", limit=5, mode="lexical")
        top = out.documents[0]
        assert top.name == SCHEDULE, [d.path for d in out.documents]
        assert "current" in top.why
