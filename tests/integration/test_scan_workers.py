"""A scan that parses names in worker processes, or lists folders ahead of its walk, writes exactly the rows
a plain scan writes."""

from __future__ import annotations

import errno
import gc
import os
import threading
from concurrent.futures import Future
from pathlib import Path

import pytest
from quicknav_mcp.indexers import scan_base, scan_parse, scan_prefetch, scan_walk, scan_write
from quicknav_mcp.indexers.filesystem import scan_root

from quicknav_mcp.demo.firm import generate_firm
from quicknav_mcp.repo import bulk
from quicknav_mcp.repo.documents import REL_PATH
from quicknav_mcp.store import Store

ROWS = (
    f"SELECT d.id, {REL_PATH}, d.project_rel_path, d.name, d.ext, d.size, d.mtime, d.doc_type, d.phase, d.revision, "
    "d.status_tags, d.doc_date, d.series_key, d.is_archive, d.path_key FROM documents d "
    "JOIN projects p ON p.id = d.project_id ORDER BY d.id"
)


@pytest.fixture(scope="module")
def firm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("firm")
    generate_firm(root, projects=12, seed=5, content=False)
    return root


def _scan(db: Path, root: Path) -> tuple[list[tuple], list[tuple], dict]:
    store = Store(db)
    try:
        report = scan_root(store, root).to_dict()
        rows = [tuple(r) for r in store.query(ROWS)]
        docs = [
            tuple(r) for r in store.query("SELECT id, name, folders, project, code FROM search_doc_rows ORDER BY id")
        ]
        docs += [tuple(r) for r in store.query("SELECT id, code, doc_count, client_names FROM projects ORDER BY id")]
    finally:
        store.close()
    return rows, docs, {k: report[k] for k in ("files_seen", "added", "updated", "problems")}


def _deny(monkeypatch: pytest.MonkeyPatch, denied: Path) -> None:
    """Listing ``denied`` fails as an ACL would."""
    real = scan_base._scandir

    def scandir(path):
        if os.fspath(path) == os.fspath(denied):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(scan_base, "_scandir", scandir)


def _count_listed(monkeypatch: pytest.MonkeyPatch, kind: type) -> list[str]:
    """The folders ``kind`` (a prefetcher class) hands the walk, as they are handed."""
    listed: list[str] = []
    real_next = kind.next

    def counting(self: object) -> object:
        listing = real_next(self)
        listed.extend(listing)
        return listing

    monkeypatch.setattr(kind, "next", counting)
    return listed


def test_worker_processes_write_the_rows_an_inline_scan_writes(
    firm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inline = _scan(tmp_path / "inline.db", firm)
    started: list[int] = []
    real = scan_parse.ParsePool.submit

    def counting(self: scan_parse.ParsePool, root_id: int, payload: list) -> list:
        started.append(len(payload))
        return real(self, root_id, payload)

    facts: list[int] = []
    real_facts = scan_parse.ParsePool.facts
    real_ahead = scan_parse.ParsePool.submit_facts

    def counting_facts(self: scan_parse.ParsePool, items: list) -> list:
        facts.append(len(items))
        return real_facts(self, items)

    ahead: list[int] = []

    def counting_ahead(self: scan_parse.ParsePool, items: list) -> Future:
        ahead.append(len(items))
        return real_ahead(self, items)

    monkeypatch.setattr(scan_parse, "POOL_MIN_FILES", 0)
    monkeypatch.setattr(scan_parse.ParsePool, "submit", counting)
    monkeypatch.setattr(scan_parse.ParsePool, "facts", counting_facts)
    monkeypatch.setattr(scan_parse.ParsePool, "submit_facts", counting_ahead)
    monkeypatch.setattr(scan_write, "BATCH_ROWS", 50)  # several batches in flight one after another
    pooled = _scan(tmp_path / "pooled.db", firm)
    assert len(started) > 2 and sum(started) == inline[2]["added"]
    # Every project's facts came from the workers too, during the walk (a first scan), in several parts.
    assert sum(ahead) == 12 and len(ahead) > 1 and not facts
    assert pooled == inline
    assert inline[2]["added"] == inline[2]["files_seen"] > 100


def test_a_large_first_scan_starts_its_workers_at_once(
    firm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A root's first scan of many projects hands even its first names to the workers; later scans of the
    same root (rows stored) start them only past POOL_MIN_FILES names."""
    inline = _scan(tmp_path / "inline.db", firm)
    pools: list[int] = []
    real_init = scan_parse.ParsePool.__init__

    def counting(self: scan_parse.ParsePool) -> None:
        pools.append(1)
        real_init(self)

    monkeypatch.setattr(scan_parse.ParsePool, "__init__", counting)
    monkeypatch.setattr(scan_parse, "POOL_MIN_PROJECTS", 12)  # the firm has 12 projects
    store = Store(tmp_path / "first.db")
    try:
        scan_root(store, firm)
        assert pools == [1]
        scan_root(store, firm, force=True)  # every name parsed again, but the root has rows now
        assert pools == [1]
    finally:
        store.close()
    assert _scan(tmp_path / "first.db", firm)[:2] == inline[:2]  # the same rows and ids as an inline scan
    monkeypatch.setattr(scan_parse, "POOL_MIN_PROJECTS", 13)
    _scan(tmp_path / "fewer.db", firm)
    assert pools == [1]  # fewer projects than that: parsed inline


def test_a_name_the_parser_rejects_in_a_worker_is_a_problem_not_a_failed_scan() -> None:
    job = (1, ("3. PMO",), "21614 - Scope.docx", "3. PMO/21614 - Scope.docx", 10, 1.0, None)
    values = scan_parse.parse_values(7, [job])
    assert isinstance(values[0], tuple) and values[0][:3] == (7, 1, "3. PMO/21614 - Scope.docx")
    broken = scan_parse.parse_values(7, [(1, None, "x.pdf", "x.pdf", 1, 1.0, None)])  # type: ignore[list-item]
    assert isinstance(broken[0], str) and broken[0].startswith("TypeError")


def test_folders_listed_ahead_give_the_walk_the_same_rows_and_problems(
    firm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = sorted(p for p in firm.rglob("*") if p.is_dir() and p.parent.parent.parent.name == "Project Folders")
    denied = folders[len(folders) // 2]  # a folder inside a project: its listing fails as an ACL would
    _deny(monkeypatch, denied)
    listed = _count_listed(monkeypatch, scan_prefetch.Prefetcher)
    walked = _scan(tmp_path / "walked.db", firm)
    assert not listed
    monkeypatch.setattr(scan_walk, "PREFETCH_MIN_PROJECTS", 0)
    ahead = _scan(tmp_path / "ahead.db", firm)
    assert str(denied) in listed and len(listed) > 20
    assert ahead == walked and walked[2]["problems"] == 1


def test_folders_listed_by_the_workers_give_the_walk_the_same_rows_and_problems(
    firm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large first scan has its worker processes list the folders (forked: they list through the same
    ``_scandir``, here one that fails on a folder as an ACL would)."""
    folders = sorted(p for p in firm.rglob("*") if p.is_dir() and p.parent.parent.parent.name == "Project Folders")
    denied = folders[len(folders) // 3]
    _deny(monkeypatch, denied)
    walked = _scan(tmp_path / "walked.db", firm)
    listed = _count_listed(monkeypatch, scan_prefetch.PoolPrefetcher)
    # Forked, whatever threads this process runs (the failing _scandir above is in the workers only so).
    monkeypatch.setattr(scan_parse, "start_method", lambda: "fork")
    monkeypatch.setattr(scan_parse, "POOL_MIN_PROJECTS", 12)  # a first scan of 12 projects is a large one
    monkeypatch.setattr(scan_walk, "PREFETCH_MIN_PROJECTS", 0)
    pooled = _scan(tmp_path / "pooled.db", firm)
    assert str(denied) in listed and len(listed) > 20
    assert pooled == walked and walked[2]["problems"] == 1


def _answers(entry: object) -> list[object]:
    """What the walk may ask of a folder entry, or the type of the error each question raises."""
    out: list[object] = [entry.name, entry.path]  # type: ignore[attr-defined]
    for ask in (
        lambda: entry.is_dir(follow_symlinks=False),  # type: ignore[attr-defined]
        lambda: entry.is_dir(),  # type: ignore[attr-defined]
        lambda: entry.is_symlink(),  # type: ignore[attr-defined]
        lambda: tuple(getattr(entry.stat(follow_symlinks=False), f) for f in ("st_mode", "st_size", "st_mtime")),  # type: ignore[attr-defined]
        lambda: tuple(getattr(entry.stat(), f) for f in ("st_mode", "st_size", "st_mtime")),  # type: ignore[attr-defined]
    ):
        try:
            out.append(ask())
        except OSError as exc:
            out.append(type(exc))
    return out


def test_an_entry_listed_in_a_worker_answers_as_the_dir_entry(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"x" * 7)
    (tmp_path / "sub").mkdir()
    (tmp_path / "to-file").symlink_to(tmp_path / "a.pdf")
    (tmp_path / "to-dir").symlink_to(tmp_path / "sub")
    (tmp_path / "broken").symlink_to(tmp_path / "gone")
    os.mkfifo(tmp_path / "pipe")
    (listing,) = scan_prefetch.list_packed([str(tmp_path)], 4)
    prefix = str(tmp_path) + os.sep
    entries = [scan_prefetch.ListedEntry(prefix, p) for p in listing[str(tmp_path)]]  # type: ignore[union-attr]
    with os.scandir(tmp_path) as it:
        real = sorted(it, key=lambda e: e.name)
    assert [_answers(e) for e in entries] == [_answers(e) for e in real]
    assert len(entries) == 6
    # A call that failed in the worker is made again by the walk, as a DirEntry would.
    again = scan_prefetch.ListedEntry(prefix, ("a.pdf", None, None, None, None, None))
    assert _answers(again) == _answers(real[0])


def test_a_large_first_scan_merges_full_text_segments_only_once_it_is_done(
    firm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Merging is off while a large first scan loads its rows, back on after it, and back on at the next scan
    when a scan was killed before it could turn it on."""
    seen: list[object] = []
    thresholds: list[int] = []
    real = scan_write.insert_documents

    def watching(conn: object, rows: list) -> None:
        seen.append(conn.execute("SELECT v FROM search_docs_config WHERE k = 'automerge'").fetchone())
        thresholds.append(gc.get_threshold()[0])  # type: ignore[attr-defined]
        real(conn, rows)

    monkeypatch.setattr(scan_write, "insert_documents", watching)
    monkeypatch.setattr(scan_parse, "POOL_MIN_PROJECTS", 12)
    monkeypatch.setattr(scan_write, "BATCH_ROWS", 50)
    store = Store(tmp_path / "q.db")
    merging = "SELECT v FROM search_docs_config WHERE k = 'automerge'"
    try:
        threshold = gc.get_threshold()
        scan_root(store, firm)
        assert gc.get_threshold() == threshold  # raised during the bulk load (gc_threshold.py), then restored
        assert set(thresholds) == {scan_write.BULK_GC_THRESHOLD}
        assert len(seen) > 2 and all(v is not None and v[0] == 0 for v in seen)
        assert [tuple(r) for r in store.query(merging)] == [(bulk.AUTOMERGE,)]
        with store.transaction() as conn:
            bulk.doc_fts_merging(conn, False)  # as a scan killed in its bulk load leaves it (or one under way)
        scan_root(store, firm, shared=True)  # the watcher's scans run beside another's bulk load: left as is
        assert [tuple(r) for r in store.query(merging)] == [(0,)]
        scan_root(store, firm)
        assert [tuple(r) for r in store.query(merging)] == [(bulk.AUTOMERGE,)]
    finally:
        store.close()


def test_a_process_with_threads_of_its_own_parses_in_workers_from_a_fork_server(
    firm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inline = _scan(tmp_path / "inline.db", firm)
    methods: list[str] = []
    real = scan_parse.start_method
    monkeypatch.setattr(scan_parse, "start_method", lambda: methods.append(real()) or methods[-1])
    monkeypatch.setattr(scan_parse, "POOL_MIN_FILES", 0)
    serving = threading.Event()
    other = threading.Thread(target=serving.wait, name="serving-requests", daemon=True)
    other.start()
    try:
        pooled = _scan(tmp_path / "pooled.db", firm)
    finally:
        serving.set()
        other.join()
    assert methods == ["forkserver"]
    assert pooled == inline
