"""Cloud-only OneDrive documents downloaded (size cap, supported types, resumable) so their text is searched."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import docx
import pytest
from quicknav_mcp.indexers import onedrive as od
from quicknav_mcp.indexers.onedrive_download import cache_dir_for
from quicknav_mcp.indexers.onedrive_poll import sync_sources

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo.plan import plan_firm

from ._graph import BASE, FakeCredential, FakeDrive, client_for, drive_from_plan

FOLDER = "Project Folders"
CAP = 50_000


def docx_bytes(text: str) -> bytes:
    doc = docx.Document()
    doc.add_paragraph(text)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


@pytest.fixture(scope="module")
def firm() -> Any:
    return plan_firm(projects=3, seed=7)


def found(app: App, phrase: str) -> list[str]:
    """Names of the documents search_documents finds for ``phrase``."""
    return [d.name for d in app.search.search_documents(phrase, limit=10, mode="lexical").documents]


def test_cloud_only_documents_are_downloaded_extracted_and_found(tmp_path: Path, firm: Any) -> None:
    from quicknav_mcp.demo.firm import write_plan

    local = tmp_path / "OneDrive - Firm"
    write_plan(local, firm, content=False)
    drive = drive_from_plan(firm.files, page_size=50)
    folder = f"{FOLDER}/{firm.files[0].rel.split('/', 1)[1].rsplit('/', 1)[0]}"
    txt = drive.file(f"{folder}/Site Notes.txt", data=b"the wombat commissioning checklist was signed off")
    word = drive.file(f"{folder}/Client Memo.docx", data=docx_bytes("platypus switchboard relocation agreed"))
    big = drive.file(f"{folder}/Huge Notes.txt", data=b"echidna " * (CAP // 8 + 10))
    drawing = drive.file(f"{folder}/Layout.dwg", data=b"numbat drawing bytes")
    linked = next(
        drive.find(f.rel) for f in firm.files if f.rel.startswith(FOLDER) and f.rel.lower().endswith((".pdf", ".docx"))
    )
    drive.content[linked] = b"%PDF-1.4 never fetched: the local copy is the one extracted"

    env = {"QUICKNAV_ONEDRIVE_DOWNLOAD_MAX_BYTES": str(CAP), "QUICKNAV_ONEDRIVE_GRAPH_URL": BASE}
    config = load_config(db=tmp_path / "q.db", roots=[local / FOLDER], env=env)
    assert config.onedrive_download_max_bytes == CAP
    with App.open(config) as app:
        app.indexing.reindex()
        source = od.add_source(app.store, "b!drive1", FOLDER)

        def sync() -> od.SyncReport:
            reports = sync_sources(
                app.store, config, [source], credential=lambda s: FakeCredential(), transport=drive.transport()
            )
            return reports[0]

        assert sync().status == "done"
        assert sorted(drive.downloads) == sorted([txt, word])  # not too big, not unsupported, not linked
        assert big not in drive.downloads and drawing not in drive.downloads and linked not in drive.downloads
        assert "Site Notes.txt" in found(app, "wombat commissioning")
        assert "Client Memo.docx" in found(app, "platypus switchboard")
        assert not list(cache_dir_for(app.store).rglob("*.part"))

        # Nothing changed: nothing is fetched again.
        assert sync().status == "done" and sorted(drive.downloads) == sorted([txt, word])

        # An interrupted run (text not stored yet) continues from the cache without fetching again.
        doc_id = app.store.query_one("SELECT doc_id FROM onedrive_items WHERE item_id = ?", (word,))[0]
        with app.store.transaction() as conn:
            conn.execute("DELETE FROM document_content WHERE doc_id = ?", (doc_id,))
        assert sync().status == "done" and drive.downloads.count(word) == 1
        row = app.store.query_one("SELECT status, text FROM document_content WHERE doc_id = ?", (doc_id,))
        assert row["status"] == "ok" and "platypus switchboard" in row["text"]
        assert "Client Memo.docx" in found(app, "platypus switchboard")


def test_off_by_default(tmp_path: Path, firm: Any) -> None:
    drive = drive_from_plan(firm.files, page_size=50)
    folder = f"{FOLDER}/{firm.files[0].rel.split('/', 1)[1].rsplit('/', 1)[0]}"
    drive.file(f"{folder}/Site Notes.txt", data=b"the wombat commissioning checklist")
    config = load_config(db=tmp_path / "q.db", env={"QUICKNAV_ONEDRIVE_GRAPH_URL": BASE})
    assert config.onedrive_download_max_bytes == 0
    with App.open(config) as app:
        source = od.add_source(app.store, "b!drive1", FOLDER)
        sync_sources(app.store, config, [source], credential=lambda s: FakeCredential(), transport=drive.transport())
        assert drive.downloads == []


def test_downloads_stop_when_the_breaker_opens(tmp_path: Path, firm: Any) -> None:
    from quicknav_mcp.indexers.onedrive_download import download_content

    from quicknav_mcp.breaker import OPEN, CircuitBreaker

    drive = FakeDrive()
    ids = [drive.file(f"{FOLDER}/20000 - 20999/20001 - ACME Test Site/Note {i}.txt", data=b"quoll") for i in range(3)]
    with App.open(load_config(db=tmp_path / "q.db", env={})) as app:
        source = od.add_source(app.store, "b!drive1", FOLDER)
        breaker = CircuitBreaker("onedrive", failure_threshold=1, reset_timeout=60)
        with client_for(drive, breaker=breaker) as client:
            assert od.sync_source(app.store, source.id, client).status == "done"
            drive.faults = ["drop"]
            report = download_content(app.store, source, client, tmp_path / "cache", CAP)
        assert breaker.state == OPEN
        assert report.failed == 1 and report.downloaded == 0 and "open" in report.errors[-1]
        assert drive.downloads == [] and len(ids) == 3
        pending = app.store.query_one("SELECT count(*) FROM document_content WHERE status = 'ok'")[0]
        assert pending == 0  # nothing stored: the next sync tries them all again
