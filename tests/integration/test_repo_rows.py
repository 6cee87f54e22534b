"""The repository layer: one description of the document and project rows, read and written."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from quicknav_mcp.domain import DocFacts, current_by_series
from quicknav_mcp.models import DocumentInfo, DocumentPage, Page
from quicknav_mcp.repo import DocumentRepo, DocumentRow, ProjectRepo
from quicknav_mcp.repo import documents as documents_repo
from quicknav_mcp.repo import projects as projects_repo
from quicknav_mcp.search.models import DocumentHit
from quicknav_mcp.store import Store


@pytest.fixture(scope="module")
def store(sample_db: Path):
    store = Store(sample_db, readonly=True)
    yield store
    store.close()


def _table_columns(store: Store, table: str) -> list[str]:
    return [r[1] for r in store.query(f"PRAGMA table_info({table})")]


def test_the_column_lists_are_the_tables(store: Store) -> None:
    docs = _table_columns(store, "documents")
    assert [c for c in docs if c not in ("id", "root_id", "indexed_at")] == list(documents_repo.WRITE_COLUMNS)
    # Read: every stored or generated column, and the root-relative path computed from the project's.
    readable = {r[1] for r in store.query("PRAGMA table_xinfo(documents)")}
    assert set(documents_repo.COLUMNS) - readable == {"rel_path"}
    projects = _table_columns(store, "projects")
    assert set(projects_repo.COLUMNS) <= set(projects)
    assert set(projects_repo.WRITE_COLUMNS) <= set(projects)


def test_document_rows_satisfy_the_domain_protocol(store: Store) -> None:
    fields = {f.name for f in dataclasses.fields(DocumentRow)}
    assert set(DocFacts.__annotations__) <= fields
    projects = ProjectRepo(store).all()
    rows = DocumentRepo(store).for_projects([p.id for p in projects])
    assert len(rows) == store.query_one("SELECT count(*) FROM documents")[0]
    by_id = {d.id: d for d in rows}
    sample = next(d for d in rows if d.status_tags)
    assert isinstance(sample.status_tags, tuple) and all(isinstance(t, str) for t in sample.status_tags)
    assert all(isinstance(d.is_archive, bool) and isinstance(d.is_as_built, bool) for d in rows)
    assert sample.path.endswith(sample.rel_path) and sample.project_rel_path.endswith(sample.name)
    # The current-revision rule runs on the rows themselves.
    first = projects[0]
    mine = [d for d in rows if d.project_id == first.id]
    assert current_by_series(mine)
    # Reads by id and by series give the same rows as the project listing.
    again = DocumentRepo(store).by_ids(list(by_id)[:50])
    assert all(again[i] == by_id[i] for i in again) and len(again) == 50
    pairs = sorted({(d.project_id, d.series_key) for d in mine})
    peers = DocumentRepo(store).series_peers(pairs)
    assert sorted(d.id for d in peers) == sorted(d.id for d in mine)


def test_result_models_build_on_the_document_info(store: Store) -> None:
    row = DocumentRepo(store).for_projects([ProjectRepo(store).all()[0].id], page=(1, 0))[0]
    row.is_current = True
    info = row.info()
    hit = DocumentHit(**row.info_fields(), project_name=row.project_name, ext=row.ext, score=1.0)
    assert isinstance(hit, DocumentInfo)
    assert hit.model_dump(include=set(DocumentInfo.model_fields)) == info.model_dump()
    assert info.is_current and info.rel_path == row.project_rel_path and info.project_number == row.code


@pytest.mark.parametrize(
    ("offset", "limit", "total", "want"),
    [(0, 20, 50, 20), (40, 20, 50, None), (30, 20, 50, None), (0, 20, 0, None), (10, 5, 16, 15)],
)
def test_one_page_model_derives_next_offset(offset: int, limit: int, total: int, want: int | None) -> None:
    page = Page(total_count=total, offset=offset, limit=limit)
    assert page.next_offset == want
    # Whatever a caller (or a client re-reading the JSON) passes, it is derived again.
    assert Page(total_count=total, offset=offset, limit=limit, next_offset=999).next_offset == want
    docs = DocumentPage(project_number="21614", documents=[], total_count=total, offset=offset, limit=limit)
    assert DocumentPage.model_validate_json(docs.model_dump_json()).next_offset == want
