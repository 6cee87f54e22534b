"""Cloud-only OneDrive documents downloaded (size cap, supported types, resumable) so their text is searched."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import docx
import pytest
from quicknav_mcp.indexers import onedrive as od
from quicknav_mcp.indexers.onedrive_download import cache_dir_for, prune_cache
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


# ---------------------------------------------------------------------------- resume, versions, cache

NOTES = f"{FOLDER}/20000 - 20999/20001 - ACME Test Site/Site Notes.txt"


def notes(word: str) -> bytes:
    """~20 KB of text whose one searchable word is at the very end (so only a whole file finds it)."""
    return b"filler line of site notes\n" * 800 + word.encode() + b"\n"


def _sync(app: App, config: Any, drive: FakeDrive) -> od.SyncReport:
    source = od.list_sources(app.store)[0]
    report = sync_sources(
        app.store, config, [source], credential=lambda s: FakeCredential(), transport=drive.transport()
    )
    return report[0]


def _setup(tmp_path: Path, drive: FakeDrive, **env: str) -> tuple[App, Any]:
    config = load_config(
        db=tmp_path / "q.db",
        env={"QUICKNAV_ONEDRIVE_DOWNLOAD_MAX_BYTES": str(CAP), "QUICKNAV_ONEDRIVE_GRAPH_URL": BASE, **env},
    )
    app = App.open(config)
    od.add_source(app.store, "b!drive1", FOLDER)
    return app, config


def _cache_files(app: App) -> list[Path]:
    return sorted(p for p in cache_dir_for(app.store).rglob("*") if p.is_file())


def test_a_dropped_download_resumes_from_where_it_stopped(tmp_path: Path) -> None:
    drive = FakeDrive()
    item = drive.file(NOTES, data=notes("bandicoot"))
    size = len(drive.content[item])
    drive.cuts = [8_000]
    app, config = _setup(tmp_path, drive)
    with app:
        first = _sync(app, config, drive)
        assert first.status == "done" and first.download is not None
        assert first.download["failed"] == 1 and "ReadError" in first.download["errors"][0]
        [part] = _cache_files(app)
        assert part.name.endswith(".part") and part.stat().st_size == 8_000
        assert "Site Notes.txt" not in found(app, "bandicoot")

        second = _sync(app, config, drive)
        assert second.download is not None
        assert (second.download["downloaded"], second.download["resumed"]) == (1, 1)
        assert second.download["bytes"] == size - 8_000  # only the rest was fetched
        assert drive.served == [(item, 0, 8_000), (item, 8_000, size - 8_000)]
        [whole] = _cache_files(app)
        assert whole.read_bytes() == drive.content[item]
        assert "Site Notes.txt" in found(app, "bandicoot")


def test_a_file_changed_between_attempts_is_fetched_whole(tmp_path: Path) -> None:
    drive = FakeDrive()
    item = drive.file(NOTES, data=notes("bandicoot"))
    drive.cuts = [8_000]
    app, config = _setup(tmp_path, drive)
    with app:
        assert _sync(app, config, drive).download["failed"] == 1  # type: ignore[index]
        [old_part] = _cache_files(app)

        # Saved again in the cloud: a new cTag, so the delta brings a new version of the item.
        drive.rewrite(item, notes("wallaby"))
        report = _sync(app, config, drive)
        assert report.download is not None
        assert (report.download["downloaded"], report.download["resumed"]) == (1, 0)
        assert drive.served[-1] == (item, 0, len(drive.content[item]))  # from the first byte
        [whole] = _cache_files(app)
        assert whole.name != old_part.name.removesuffix(".part") and not old_part.exists()
        assert "Site Notes.txt" in found(app, "wallaby")
        assert found(app, "bandicoot") == []


def test_a_part_of_an_older_version_is_refused_by_its_etag(tmp_path: Path) -> None:
    from quicknav_mcp.indexers.onedrive_download import download_content

    drive = FakeDrive()
    item = drive.file(NOTES, data=notes("bandicoot"))
    drive.cuts = [8_000]
    app, config = _setup(tmp_path, drive)
    with app:
        assert _sync(app, config, drive).download["failed"] == 1  # type: ignore[index]
        # Changed on the server after the delta was read: the stored eTag is the old one, so the
        # server ignores the range (If-Range) and sends the whole new file, which replaces the part.
        drive.rewrite(item, notes("wombat"))
        source = od.list_sources(app.store)[0]
        with client_for(drive) as client:
            report = download_content(app.store, source, client, cache_dir_for(app.store), CAP)
        assert (report.downloaded, report.resumed, report.failed) == (1, 0, 0)
        assert drive.served[-1] == (item, 0, len(drive.content[item]))
        [whole] = _cache_files(app)
        assert whole.read_bytes() == drive.content[item]


def test_the_cache_follows_content_versions_and_is_pruned(tmp_path: Path) -> None:
    drive = FakeDrive()
    base = f"{FOLDER}/20000 - 20999/20001 - ACME Test Site"
    ids = [drive.file(f"{base}/Note {i}.txt", data=notes(f"quokka{i}")) for i in range(4)]
    app, config = _setup(tmp_path, drive)
    with app:
        assert _sync(app, config, drive).download["downloaded"] == 4  # type: ignore[index]
        assert len(_cache_files(app)) == 4

        # A rename changes the eTag, not the cTag: the cached file is still that content.
        drive.rename(ids[0], "Note zero.txt")
        with app.store.transaction() as conn:
            conn.execute("DELETE FROM document_content")  # every text must be extracted again
        report = _sync(app, config, drive)
        assert report.download is not None and (report.download["downloaded"], report.download["cached"]) == (0, 4)

        # New content: a new cache file replaces the old one; a deleted item's file goes.
        drive.rewrite(ids[1], notes("numbat"))
        drive.delete(ids[2])
        report = _sync(app, config, drive)
        assert report.download is not None and report.download["downloaded"] == 1
        assert report.download["pruned"] == 2  # the old version of Note 1 and deleted Note 2
        names = {p.name.split("-")[0] for p in _cache_files(app)}
        assert names == {ids[0], ids[1], ids[3]}

    # The size cap: the least recently fetched files go first.
    newest = max(_cache_files(app), key=lambda p: p.stat().st_mtime)
    capped = tmp_path / "capped"
    capped.mkdir()
    app, config = _setup(capped, drive, QUICKNAV_ONEDRIVE_CACHE_MAX_BYTES=str(newest.stat().st_size + 10))
    with app:
        assert config.onedrive_cache_max_bytes == newest.stat().st_size + 10
        _sync(app, config, drive)
        kept = _cache_files(app)
        assert len(kept) == 1 and sum(p.stat().st_size for p in kept) <= config.onedrive_cache_max_bytes

        # A removed source's downloads go with it.
        source = od.list_sources(app.store)[0]
        od.remove_source(app.store, source.id)
        prune_cache(app.store, cache_dir_for(app.store), config.onedrive_cache_max_bytes)
        assert _cache_files(app) == []
