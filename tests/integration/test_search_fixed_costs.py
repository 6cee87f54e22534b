"""What every document search pays whatever it asks: the page's rows (completed from the facts
ranking read) and the change counters (read again only when the store's generation moves, which
another process's commit moves too)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from quicknav_mcp.indexers.filesystem import scan_root

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.repo import DocumentRepo
from quicknav_mcp.search.versions import Versions
from quicknav_mcp.store import Store
from tests.conftest import indexed_demo_firm


@pytest.fixture(scope="module")
def firm(tmp_path_factory: pytest.TempPathFactory):
    root, db = indexed_demo_firm(tmp_path_factory.mktemp("fixed"), projects=4, seed=5)  # with extracted text
    with App.open(load_config(db=db, roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"})) as app:
        yield app


def test_page_rows_completed_from_facts_are_the_rows_read_whole(firm) -> None:
    """``DocumentRepo.rows_of`` (a page's rows from the facts ranking read, plus the columns facts
    lack) gives what reading the rows whole gives, from the candidate table's facts and from SQL's."""
    repo = DocumentRepo(firm.store)
    with_text = [r[0] for r in firm.store.query("SELECT doc_id FROM document_content ORDER BY doc_id LIMIT 20")]
    latest = [r[0] for r in firm.store.query("SELECT id FROM documents ORDER BY id DESC LIMIT 20")]
    ids = list(dict.fromkeys(with_text + latest))
    assert with_text
    whole = repo.by_ids(ids)
    texts = dict(firm.store.query("SELECT doc_id, text FROM document_content"))
    table = firm.search.candidates
    assert table.ready(60)
    for facts in (table.read(ids), repo.facts_by_ids(ids)):
        page = [facts[i] for i in ids]
        page[0].is_current = True
        gone = dataclasses.replace(page[3], id=10**9)  # deleted since it was ranked: left out
        rows = repo.rows_of([*page[:3], gone, *page[3:]])
        assert [r.id for r, _ in rows] == ids
        for row, text in rows:
            expect = dataclasses.replace(whole[row.id], is_current=row.id == ids[0])
            assert row == expect and row.info_fields() == expect.info_fields()
            assert text == texts.get(row.id)
        page[0].is_current = False
    assert repo.rows_of([]) == []


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
        "UPDATE projects SET folder_name = 'Renamed', rel_path = rel_path || ' (old)'",  # project renamed
    ],
)
def test_a_page_row_changed_since_ranking_is_read_whole(tmp_path: Path, change: str) -> None:
    """Another process writes between ranking and the page: the hit is the row as it is now,
    never its old facts mixed with its new rest (an old path with a new size)."""
    mine = _one_document(tmp_path)
    other = Store(tmp_path / "q.db")
    try:
        repo = DocumentRepo(mine)
        (doc_id,) = mine.query_one("SELECT id FROM documents")
        facts = repo.facts_by_ids([doc_id])[doc_id]
        facts.is_current = True
        with other.transaction() as c:
            c.execute(change)
        ((row, _),) = repo.rows_of([facts])
        assert row == dataclasses.replace(repo.by_ids([doc_id])[doc_id], is_current=True)
    finally:
        other.close()
        mine.close()


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
    finally:
        store.close()
