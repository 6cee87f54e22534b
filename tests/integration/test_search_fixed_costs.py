"""What every document search pays whatever it asks: the page's rows (read whole as stored, even
when another process wrote since ranking) and the change counters (read again only when the
store's generation moves, which another process's commit moves too)."""

from __future__ import annotations

from pathlib import Path

import pytest
from quicknav_mcp.indexers.filesystem import scan_root

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.repo import DocumentRepo
from quicknav_mcp.search.query import parse_query
from quicknav_mcp.search.versions import Versions
from quicknav_mcp.store import Store
from tests.conftest import indexed_demo_firm


@pytest.fixture(scope="module")
def firm(tmp_path_factory: pytest.TempPathFactory):
    root, db, _ = indexed_demo_firm(tmp_path_factory.mktemp("fixed"), projects=4, seed=5)  # with extracted text
    with App.open(load_config(db=db, roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"})) as app:
        yield app


def test_counters_and_generation_see_another_store_on_the_file(tmp_path: Path) -> None:
    """The counters are read again only when the store's generation moves: it does for a commit by
    another connection (another process), for this store's own, and not for a pinned search until
    it ends; uncommitted counters are never kept."""
    root = tmp_path / "root"
    notes = root / "Project Folders/21000 - 21999/21614 - PLWRX  TR L1 Upgrades/3. PMO/Site notes.txt"
    notes.parent.mkdir(parents=True)
    notes.write_text("Loading dock access", encoding="utf-8")
    mine, other = Store(tmp_path / "q.db"), None
    try:
        scan_root(mine, root)
        other = Store(tmp_path / "q.db")
        versions = Versions(mine)
        (n0,) = versions.get("documents")
        bump = "UPDATE search_versions SET n = n + 1 WHERE name = 'documents'"
        with versions.pinned():
            g0 = mine.generation()
            with other.transaction() as conn:
                conn.execute(bump)
            assert versions.get("documents") == (n0,) and mine.generation() == g0  # one snapshot a search
        assert versions.get("documents") == (n0 + 1,) and mine.generation() != g0
        with mine.pinned():
            g1 = mine.generation()
            with mine.transaction() as conn:
                conn.execute(bump)
            assert mine.generation() != g1  # this store's own commit: at once
            assert versions.get("documents") == (n0 + 2,)
        with pytest.raises(RuntimeError), mine.transaction() as conn:
            conn.execute(bump)
            assert versions.get("documents") == (n0 + 3,)  # inside the transaction: its own writes
            raise RuntimeError("roll back")
        assert versions.get("documents") == (n0 + 2,)
        assert Versions(other).get("documents") == (n0 + 2,)
    finally:
        mine.close()
        if other is not None:
            other.close()


def _one_document(tmp_path: Path) -> Store:
    f = tmp_path / "root/Project Folders/21000 - 21999/21614 - PLWRX  TR L1 Upgrades/3. PMO/21614 - SWMS.pdf"
    f.parent.mkdir(parents=True)
    f.write_bytes(b"x" * 10)
    store = Store(tmp_path / "q.db")
    scan_root(store, tmp_path / "root")
    return store


@pytest.mark.parametrize(
    "change",
    [
        # moved (the id is kept) and grown
        "UPDATE documents SET project_rel_path = 'Moved/' || project_rel_path, name_at = name_at + 6, size = 4242",
        "UPDATE documents SET mtime = mtime + 60, size = 4242",  # edited in place
        "UPDATE documents SET revision = 3, revision_raw = 'C', series_key = 'new key', sheet = 'S1'",  # re-parsed
        "UPDATE projects SET folder_name = 'Renamed', rel_path = rel_path || ' (old)'",  # project renamed
    ],
)
def test_a_hit_changed_since_ranking_is_the_row_as_stored(tmp_path: Path, change: str) -> None:
    """Another process writes between ranking and the page: the hit is the row as it is now,
    never its ranked facts mixed with newer columns (an old path beside a new size)."""
    _one_document(tmp_path).close()
    app = App.open(load_config(db=tmp_path / "q.db", roots=[tmp_path / "root"], env={"QUICKNAV_EMBED_MODEL": "none"}))
    mine = app.store
    other = Store(tmp_path / "q.db")
    try:
        search = app.search.document_search
        repo = DocumentRepo(mine)
        (doc_id,) = mine.query_one("SELECT id FROM documents")
        facts = repo.facts_by_ids([doc_id])[doc_id]  # ranked
        facts.is_current = True
        with other.transaction() as c:
            c.execute(change)
        (hit,) = search.hits([(facts, 1.0, ["name"])], parse_query("swms"), {})
        stored = repo.by_ids([doc_id])[doc_id]
        stored.is_current = True
        assert {k: hit[k] for k in stored.info_fields()} == stored.info_fields()
    finally:
        other.close()
        app.close()


def test_generation_moves_after_a_rollback(tmp_path: Path) -> None:
    """Rows changed inside a rolled-back transaction move ``total_changes`` but are gone: the
    generation moves again, so a cache filled inside the transaction is not kept."""
    store = _one_document(tmp_path)
    try:
        inside = None
        with pytest.raises(RuntimeError), store.transaction() as c:
            c.execute("UPDATE projects SET folder_name = 'GONE'")
            inside = store.generation()
            raise RuntimeError
        assert store.generation() != inside
        before = store.generation()
        with pytest.raises(RuntimeError), store.transaction():
            raise RuntimeError  # nothing changed: the caches stay current
        assert store.generation() == before
    finally:
        store.close()
