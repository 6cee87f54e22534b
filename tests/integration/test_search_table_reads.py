"""What the candidate table answers in place of SQL gives what SQL gives: a page's rows (the table's
columns with those it lacks, only while it provably matches the store) and one project's fact lists."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo import generate_firm


@pytest.fixture()
def app(tmp_path: Path):
    root = tmp_path / "firm"
    generate_firm(root, projects=12, seed=3, content=False)
    app = App.open(load_config(db=tmp_path / "q.db", roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"}))
    app.indexing.reindex()
    yield app
    app.close()


def _ids(app: App) -> list[int]:
    return [r[0] for r in app.store.query("SELECT id FROM documents ORDER BY id")]


def _same(found: list, whole: list) -> None:
    """Equal rows and texts (``is_current`` apart: rows read whole are not marked; the page's facts are)."""
    found = [(dataclasses.replace(r, is_current=False), text) for r, text in found]
    assert [(dataclasses.asdict(r), text) for r, text in found] == [(dataclasses.asdict(r), text) for r, text in whole]


def test_page_rows_from_the_table_are_the_rows_read_whole(app: App) -> None:
    table, rows, current = app.search.candidates, app.search.document_search.rows, app.search.current
    assert table.ready(30)
    ids = _ids(app)
    with app.store.transaction() as conn:  # some extracted text (its counter is not the table's)
        conn.execute(
            "INSERT INTO document_content (doc_id, size, mtime, status, text, chars, truncated, extracted_at) "
            "VALUES (?, 1, 1, 'ok', 'hearing loop commissioning', 26, 0, 'x')",
            (ids[2],),
        )
    page = list(table.read(ids).values())
    current.mark({d.id: d for d in page})
    found = table.rows_with_content(page)
    assert found is not None and len(found) == len(ids)
    _same(found, rows.with_content(ids))
    assert dict((r.id, text) for r, text in found)[ids[2]] == "hearing loop commissioning"
    assert any(r.is_current for r, _ in found) and [r.is_current for r, _ in found] == [d.is_current for d in page]
    # Facts of another build (or read with SQL) are completed from this build's.
    stale = [dataclasses.replace(d, name="old name", mtime=1.0) for d in page[:5]]
    found = table.rows_with_content(stale)
    assert found is not None
    _same(found, rows.with_content(ids[:5]))


def test_a_page_is_read_whole_unless_the_table_matches_the_store_at_that_read(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, rows = app.search.candidates, app.search.document_search.rows
    assert table.ready(30)
    ids = _ids(app)
    page = list(table.read(ids[:10]).values())
    with app.store.transaction() as conn:  # a document changes after the table was built
        conn.execute("UPDATE documents SET revision_raw = 'Rev Z', revision = 999 WHERE id = ?", (ids[0],))
    assert table.rows_with_content(page) is None  # (its counter moved: rows are read whole)
    assert table.ready(30)
    page = list(table.read(ids[:10]).values())
    with app.store.transaction() as conn:  # a document is deleted
        conn.execute("DELETE FROM documents WHERE id = ?", (ids[1],))
    assert table.rows_with_content(page) is None
    assert table.ready(30)
    found = table.rows_with_content(list(table.read(ids[:10]).values()))
    assert found is not None and ids[1] not in {r.id for r, _ in found}
    _same(found, rows.with_content(ids[:10]))
    assert dict((r.id, r.revision_raw) for r, _ in found)[ids[0]] == "Rev Z"
    # A change committed while a search runs (its counters pinned before it): still read whole.
    with app.search.versions.pinned():
        with app.store.transaction() as conn:
            conn.execute("UPDATE documents SET sheet = 'S9' WHERE id = ?", (ids[2],))
        assert table.rows_with_content(list(table.read(ids[:10]).values())) is None
    # Without the counters (an old schema) nothing is taken from the table.
    monkeypatch.setattr(app.search.versions, "columns", lambda *names: None)
    assert table.ready(30)
    assert table.rows_with_content(list(table.read(ids[:10]).values())) is None
