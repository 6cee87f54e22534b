"""Identical copies of one file: the copy the domain's rule calls current comes first, over the real
catalogue, where one project files one rollout schedule in six room folders (skipped without it);
different files that only share a name keep their own ranks."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config

SCHEDULE = "17741 - QPS ROLLOUT - Schedule draft V1.pdf"


@pytest.mark.corpus
def test_the_current_copy_of_identical_files_ranks_first(
    real_paths: list[str], corpus_text_db: tuple[Path, Path], tmp_path: Path
) -> None:
    lines = [ln for ln in real_paths if ln.strip()]
    assert sum(ln.endswith("/" + SCHEDULE) for ln in lines) > 1  # the copies this test is about
    root, built = corpus_text_db  # the catalogue's tree, indexed and extracted once per session
    shutil.copy(built, tmp_path / "q.db")
    config = load_config(db=tmp_path / "q.db", roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"})
    with App.open(config) as app:
        app.indexing.reindex()
        app.search.index_content(extract=True, embed=False, workers=1)
        out = app.search.search_documents("the MR upgrades rollout schedule for QPS", limit=5, mode="lexical")
        top = out.documents[0]
        assert top.name == SCHEDULE, [d.path for d in out.documents]
        assert "current" in top.why


def test_files_that_only_share_a_name_are_not_grouped(tmp_path: Path) -> None:
    """Every room's ``Notes.pdf`` is its own file: the kitchen's notes stay first for "kitchen notes"
    although a newer ``Notes.pdf`` elsewhere would win a group's current-copy rule."""
    project = tmp_path / "root" / "17741 - QPS Fitout"
    now = time.time()
    for rel, age_days, data in [
        ("Level 3 Kitchen/Notes.pdf", 30, b"level three notes"),
        ("Level 3 Kitchen/Handover Checklist.pdf", 30, b"checklist"),
        ("Level 1 Reception/Notes.pdf", 0, b"level one notes, a different file"),
        ("Level 2 Foyer/Notes.pdf", 1, b"level two"),
    ]:
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (now - age_days * 86400, now - age_days * 86400))
    config = load_config(db=tmp_path / "q.db", roots=[tmp_path / "root"], env={"QUICKNAV_EMBED_MODEL": "none"})
    with App.open(config) as app:
        app.indexing.reindex()
        for query in ("kitchen notes", "level 3 kitchen handover notes"):
            first = app.search.search_documents(query, limit=5, mode="lexical").documents[0]
            assert first.path.endswith("Level 3 Kitchen/Notes.pdf"), (query, first.path)
