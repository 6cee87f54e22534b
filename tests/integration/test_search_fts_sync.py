"""The full-text index follows the filesystem indexer through triggers: insert, update, delete,
rename (file and project folder), and extracted content."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from quicknav_mcp.indexers.extract import ContentWorker
from quicknav_mcp.indexers.filesystem import scan_root

from quicknav_mcp.store import Store

PROJECT = "Project Folders/21000 - 21999/21614 - PLWRX  TR L1 Upgrades"


def _write(root: Path, rel: str, text: str = "x") -> Path:
    path = root / PROJECT / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _docs(store: Store, words: str) -> set[str]:
    rows = store.query(
        "SELECT d.name FROM search_docs f JOIN documents d ON d.id = f.rowid WHERE search_docs MATCH ?", (words,)
    )
    return {r[0] for r in rows}


def _projects(store: Store, words: str) -> set[str]:
    rows = store.query(
        "SELECT p.code FROM search_projects f JOIN projects p ON p.id = f.rowid WHERE search_projects MATCH ?",
        (words,),
    )
    return {r[0] for r in rows}


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Store]:
    root = tmp_path / "root"
    _write(root, "4. System Designs/21614 - POOLWERX TRAINING ROOM - Rev 101.pdf")
    _write(root, "3. PMO/Site notes.txt", "Loading dock access before 7am near the Tesira rack")
    store = Store(tmp_path / "q.db")
    scan_root(store, root)
    yield root, store
    store.close()


def test_insert_indexes_names_folders_family_and_project(tree) -> None:
    _, store = tree
    assert _docs(store, "poolwerx") == {"21614 - POOLWERX TRAINING ROOM - Rev 101.pdf"}
    assert "21614 - POOLWERX TRAINING ROOM - Rev 101.pdf" in _docs(store, '"system" "designs"')  # folder
    assert "21614 - POOLWERX TRAINING ROOM - Rev 101.pdf" in _docs(store, "drawing")  # family words
    assert _docs(store, "plwrx") >= {"Site notes.txt"}  # the project folder name
    assert _projects(store, "plwrx") == {"21614"}
    tri = store.query("SELECT rowid FROM search_docs_tri WHERE search_docs_tri MATCH '\"OOLWE\"'")
    assert len(tri) == 1


def test_update_move_and_delete(tree) -> None:
    root, store = tree
    old = root / PROJECT / "4. System Designs/21614 - POOLWERX TRAINING ROOM - Rev 101.pdf"
    new = root / PROJECT / "4. System Designs/ARCHIVE/21614 - POOLWERX BOARDROOM - Rev 101.pdf"
    new.parent.mkdir()
    os.rename(old, new)
    (root / PROJECT / "3. PMO/Site notes.txt").unlink()
    scan_root(store, root)
    assert _docs(store, "training") == set()
    assert _docs(store, "boardroom") == {"21614 - POOLWERX BOARDROOM - Rev 101.pdf"}
    assert _docs(store, "archive") == {"21614 - POOLWERX BOARDROOM - Rev 101.pdf"}
    assert _docs(store, "notes") == set()
    count = store.query_one("SELECT count(*) FROM documents")[0]
    assert store.query_one("SELECT count(*) FROM search_docs_tri")[0] == count


def test_project_rename_rewrites_document_rows(tree) -> None:
    root, store = tree
    src = root / PROJECT
    dst = src.with_name("21614 - POOLWERX Training Room Upgrades")
    os.rename(src, dst)
    scan_root(store, root)
    assert _projects(store, "plwrx") == set()
    assert _projects(store, "upgrades") == {"21614"}
    assert "Site notes.txt" in _docs(store, "upgrades")  # the project column moved with the folder
    assert _docs(store, "plwrx") == set()


def test_project_delete_cascades(tree) -> None:
    root, store = tree
    import shutil

    shutil.rmtree(root / PROJECT)
    # The root's only project is gone: an emptied root is refused as suspect unless forced.
    scan_root(store, root, force=True)
    assert _projects(store, "plwrx") == set()
    assert _docs(store, "poolwerx") == set()
    assert store.query_one("SELECT count(*) FROM search_docs_tri")[0] == 0


def test_content_is_indexed_and_follows_file_changes(tree) -> None:
    root, store = tree
    report = ContentWorker(store).run()
    assert report.by_status.get("ok") == 1  # the .txt; the .pdf is not a real PDF
    assert report.by_status.get("failed") == 1
    assert _docs(store, "tesira") == {"Site notes.txt"}
    # Unchanged files are not read again.
    assert ContentWorker(store).run().processed == 0
    notes = root / PROJECT / "3. PMO/Site notes.txt"
    notes.write_text("The Crestron processor lives in the comms room", encoding="utf-8")
    future = time.time() + 10
    os.utime(notes, (future, future))
    scan_root(store, root)
    assert ContentWorker(store).run().processed == 1
    assert _docs(store, "tesira") == set()
    assert _docs(store, "crestron") == {"Site notes.txt"}
    failure = store.query_one("SELECT status, error FROM document_content WHERE status = 'failed'")
    assert failure is not None and failure["error"]
