"""Waits for the start-up's builds, and the note of a semantic-only search, on the sample corpus tree."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo.corpus_tree import build_corpus_tree

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_paths.txt"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("firm")
    root = base / "root"
    root.mkdir()
    build_corpus_tree(SAMPLE.read_text().splitlines(), root)
    with App.open(load_config(db=base / "q.db", roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"})) as app:
        app.indexing.reindex()
    return root, base / "q.db"


def _copy(indexed: tuple[Path, Path], tmp_path: Path) -> Path:
    shutil.copy(indexed[1], tmp_path / "q.db")
    return tmp_path / "q.db"


def test_project_wait_ready_does_not_sit_out_the_start_up_timer(indexed, tmp_path: Path) -> None:
    """Right after start-up the delayed warm-up has not fired: a wait starts its builds at once rather
    than sitting out the delay (which made a short timeout answer False though the builds take ~0.1 s)."""
    db = _copy(indexed, tmp_path)
    with App.open(load_config(db=db, roots=[indexed[0]], env={"QUICKNAV_EMBED_MODEL": "none"})) as app:
        t0 = time.monotonic()
        ok = app.search.project_search.wait_ready(0.5)
        took = time.monotonic() - t0
    assert ok, f"wait_ready(0.5) answered False after {took:.2f}s"


def test_semantic_search_with_nothing_to_embed_says_no_embedding_failure(indexed, tmp_path: Path) -> None:
    """An empty query in one project, mode semantic, model and vectors ready: nothing was to be embedded,
    so the answer carries no note about an embedding that failed."""
    from quicknav_mcp.indexers.embed import EmbedWorker

    db = _copy(indexed, tmp_path)
    with App.open(load_config(db=db, roots=[indexed[0]], env={"QUICKNAV_SEARCH_BACKGROUND": "0"})) as app:
        EmbedWorker(app.store, app.search.embedder).run(identity_only=True)
        code = app.store.query_one("SELECT code FROM projects ORDER BY code LIMIT 1")[0]
        out = app.search.search_documents("", project_number=code, mode="semantic")
    assert not [s for s in out.suggestions if "not answered by meaning" in s], out.suggestions
