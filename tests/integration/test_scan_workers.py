"""A scan that parses names in worker processes (a first scan: walks whole projects in them), or lists folders
ahead of its walk, writes exactly the rows a plain scan writes."""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from quicknav_mcp.indexers import project_facts, scan_base, scan_parse, scan_prefetch, scan_walk, scan_write
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


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[int]:
    """How many items each call of ``ParsePool.<name>`` was handed (its last argument), as called."""
    calls: list[int] = []
    real = getattr(scan_parse.ParsePool, name)

    def counting(self: scan_parse.ParsePool, *args: object) -> object:
        calls.append(len(args[-1]))  # type: ignore[arg-type]
        return real(self, *args)

    monkeypatch.setattr(scan_parse.ParsePool, name, counting)
    return calls


def _problems(db: Path) -> list[tuple]:
    store = Store(db)
    try:
        rows = store.query("SELECT kind, path, message FROM scan_problems ORDER BY kind, path")
        trees = store.query("SELECT project_id, folders FROM scan_folders ORDER BY project_id")
        return [tuple(r) for r in rows] + [tuple(r) for r in trees]
    finally:
        store.close()


@pytest.fixture
def odd_firm(firm: Path, tmp_path: Path, deny: Callable[[Path], None]) -> Path:
    """The firm with something of every kind the walk records or skips: a denied folder, links (to a file inside
    the root, outside it, to a folder, broken), a name that is not UTF-8, a fifo, a lock file, a name the parser
    rejects (see ``_fragile``)."""
    root = tmp_path / "odd"
    shutil.copytree(firm, root, symlinks=True)
    folders = sorted(p for p in root.rglob("*") if p.is_dir() and p.parent.parent.parent.name == "Project Folders")
    deny(folders[len(folders) // 3])
    here = folders[len(folders) // 2]
    (here / "linked.pdf").symlink_to(next(p for p in folders[0].iterdir() if p.is_file()))
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(b"x")
    (here / "outside.pdf").symlink_to(outside)
    (here / "to-folder").symlink_to(folders[0], target_is_directory=True)
    (here / "broken.pdf").symlink_to(here / "gone.pdf")
    (Path(os.fsdecode(os.fsencode(here) + b"/bad \xff name.pdf"))).write_bytes(b"x")
    os.mkfifo(here / "pipe")
    (here / "~$locked.docx").write_bytes(b"x")
    (here / "FRAGILE 1.pdf").write_bytes(b"x")
    return root


def _fragile(monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser fails on names starting FRAGILE, inline and in (forked) workers."""
    real = scan_walk.parse_document

    def fragile(folders: tuple[str, ...], name: str) -> object:
        if name.startswith("FRAGILE"):
            raise ValueError("fragile name")
        return real(folders, name)

    monkeypatch.setattr(scan_walk, "parse_document", fragile)
    monkeypatch.setattr(scan_parse, "parse_document", fragile)


def test_a_first_scan_walked_in_the_workers_writes_what_an_inline_scan_writes(
    odd_firm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large first scan has its workers walk whole projects (forked: they list through the same failing
    ``_scandir``): the same rows, facts, problems, counts and recorded folders as the scan's own walk."""
    _fragile(monkeypatch)
    inline = _scan(tmp_path / "inline.db", odd_firm)
    walked = _counting(monkeypatch, "submit_projects")
    facts = _counting(monkeypatch, "facts")
    batches = _counting(monkeypatch, "submit")
    computed: list[str] = []  # facts computed in this process (forked workers count in their own copies)
    real_compute = project_facts.compute

    def compute(folder: object, names: list[str]) -> tuple[int, list[str]]:
        computed.append(str(folder))
        return real_compute(folder, names)  # type: ignore[arg-type]

    monkeypatch.setattr(project_facts, "compute", compute)
    monkeypatch.setattr(scan_parse, "start_method", lambda: "fork")  # whatever threads this process runs
    monkeypatch.setattr(scan_parse, "POOL_MIN_PROJECTS", 12)  # a first scan of 12 projects is a large one
    monkeypatch.setattr(scan_write, "BATCH_ROWS", 20)  # several batches, each with its projects' facts
    pooled = _scan(tmp_path / "pooled.db", odd_firm)
    assert sum(walked) == 12 and len(walked) > 1 and not batches
    assert not facts and not computed  # every project's facts came from the workers, written with its rows
    assert pooled == inline
    assert _problems(tmp_path / "pooled.db") == _problems(tmp_path / "inline.db")
    kinds = sorted(p[0] for p in _problems(tmp_path / "inline.db") if isinstance(p[0], str))
    assert kinds == ["encoding", "error", "error", "error", "error", "permission"]
    assert inline[2]["added"] > 100


def test_a_first_scan_walked_in_the_workers_is_cancelled_between_projects(
    firm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cancel = threading.Event()
    real = scan_parse.ParsePool.submit_projects

    def cancelling(self: scan_parse.ParsePool, *args: object) -> object:
        future = real(self, *args)  # type: ignore[arg-type]
        cancel.set()  # before the scan takes in the first project walked
        return future

    monkeypatch.setattr(scan_parse.ParsePool, "submit_projects", cancelling)
    monkeypatch.setattr(scan_parse, "start_method", lambda: "fork")
    monkeypatch.setattr(scan_parse, "POOL_MIN_PROJECTS", 12)
    store = Store(tmp_path / "cancelled.db")
    try:
        report = scan_root(store, firm, cancel=cancel)
        assert (report.status, report.added, report.projects_seen) == ("cancelled", 0, 12)
        assert store.query_one("SELECT count(*) FROM documents")[0] == 0
        again = scan_root(store, firm)  # the next scan is a first scan again, and completes
        assert again.status == "done" and again.added == again.files_seen > 100
    finally:
        store.close()


def test_a_rescan_parses_its_names_in_batches_in_the_workers(
    firm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past POOL_MIN_FILES names a rescan hands them to the workers a batch at a time, in walk order."""
    inline_db, pooled_db = tmp_path / "inline.db", tmp_path / "pooled.db"
    _scan(inline_db, firm)
    shutil.copy(inline_db, pooled_db)
    store = Store(inline_db)
    try:
        inline = scan_root(store, firm, force=True).to_dict()
    finally:
        store.close()
    started = _counting(monkeypatch, "submit")
    monkeypatch.setattr(scan_parse, "POOL_MIN_FILES", 0)
    monkeypatch.setattr(scan_write, "BATCH_ROWS", 50)  # several batches in flight one after another
    store = Store(pooled_db)
    try:
        pooled = scan_root(store, firm, force=True).to_dict()
    finally:
        store.close()
    assert len(started) > 2 and sum(started) == inline["updated"] > 100
    assert {k: pooled[k] for k in ("files_seen", "updated", "problems")} == {
        k: inline[k] for k in ("files_seen", "updated", "problems")
    }
    assert _scan(pooled_db, firm)[:2] == _scan(inline_db, firm)[:2]


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
    firm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deny: Callable[[Path], None]
) -> None:
    folders = sorted(p for p in firm.rglob("*") if p.is_dir() and p.parent.parent.parent.name == "Project Folders")
    denied = folders[len(folders) // 2]  # a folder inside a project: its listing fails as an ACL would
    deny(denied)
    listed = _count_listed(monkeypatch, scan_prefetch.Prefetcher)
    walked = _scan(tmp_path / "walked.db", firm)
    assert not listed
    monkeypatch.setattr(scan_walk, "PREFETCH_MIN_PROJECTS", 0)
    ahead = _scan(tmp_path / "ahead.db", firm)
    assert str(denied) in listed and len(listed) > 20
    assert ahead == walked and walked[2]["problems"] == 1


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
    monkeypatch.setattr(scan_write, "BATCH_ROWS", 20)
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


def test_the_fork_server_preloads_what_the_workers_run() -> None:
    """The parser and the first scan's walks of whole projects: a module named wrong would be imported by every
    worker the server starts (a fork server skips a preload it cannot import, silently)."""
    from quicknav_mcp.indexers import scan_project

    assert {scan_parse.parse_values.__module__, scan_project.walk_projects.__module__} <= set(
        scan_parse.FORKSERVER_PRELOAD
    )
    for name in scan_parse.FORKSERVER_PRELOAD:
        importlib.import_module(name)


def test_a_cancelled_first_scan_stops_the_walks_in_the_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A slow share (50 ms a listing: ~40 s of listings over two workers): a cancel ends the walks under way
    at their next folder, not after every project already handed to the workers."""
    rng = tmp_path / "firm" / "Project Folders" / "21000 - 21999"
    for i in range(40):
        for f in range(20):
            folder = rng / f"{21000 + i} - ACME  Project {i}" / f"{f}. Folder {f}"
            folder.mkdir(parents=True)
            for k in range(3):
                (folder / f"{21000 + i} - DOC {k} - Rev {100 + k}.pdf").write_bytes(b"x")
    real = scan_base._scandir

    def slow(path: str) -> object:  # (forked workers inherit it)
        time.sleep(0.05)
        return real(path)

    monkeypatch.setattr(scan_base, "_scandir", slow)
    monkeypatch.setattr(scan_parse, "start_method", lambda: "fork")
    monkeypatch.setattr(scan_parse, "POOL_MIN_PROJECTS", 12)
    cancel = threading.Event()
    at: list[float] = []

    def progress(p: object) -> None:
        if getattr(p, "files_seen", 0) and not cancel.is_set():
            at.append(time.perf_counter())
            cancel.set()

    store = Store(tmp_path / "q.db")
    try:
        report = scan_root(store, tmp_path / "firm", cancel=cancel, progress=progress)
    finally:
        store.close()
    assert report.status == "cancelled" and at
    # Before: ~16 s here (24 projects in flight, walked to the end); a folder's listing is 0.05 s.
    assert time.perf_counter() - at[0] < 5.0


def test_a_forced_flush_waits_for_the_batch_in_flight(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan's last rows go to the writer in a timed flush while it is late: the closing facts refresh waits
    for that batch (it once ran beside it, and the project was left marked with a stale document count)."""
    root = tmp_path / "firm"
    generate_firm(root, projects=12, seed=5, content=False)
    store = Store(tmp_path / "q.db")
    try:
        scan_root(store, root)
        last = sorted(p for p in root.glob("Project Folders/*/*") if p.is_dir())[-1]
        for i in range(30):
            (last / f"{last.name[:5]} - NEW DOC {i} - Rev 10{i % 10}.pdf").write_bytes(b"x")
        monkeypatch.setattr(scan_write, "BATCH_SECONDS", 0.0)
        real_paced = scan_write.ScanWriter._paced

        @contextlib.contextmanager
        def late(self: scan_write.ScanWriter):  # type: ignore[no-untyped-def]
            if threading.current_thread().name.startswith("scan-writer"):
                time.sleep(0.5)  # the writer thread scheduled late
            with real_paced(self):
                yield

        monkeypatch.setattr(scan_write.ScanWriter, "_paced", late)
        assert scan_root(store, root).status == "done"
        assert store.query_one("SELECT count(*) FROM project_facts_dirty")[0] == 0
        count, stored = store.query_one(
            "SELECT p.doc_count, (SELECT count(*) FROM documents d WHERE d.project_id = p.id) FROM projects p "
            "WHERE p.rel_path LIKE ?",
            ("%" + last.name,),
        )
        assert count == stored
    finally:
        store.close()


@pytest.mark.parametrize("shared", [False, True])
def test_a_batch_is_written_in_equal_parts_never_with_a_remainder_of_a_few_rows(
    firm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: bool
) -> None:
    """A batch holds the rows of the project that crossed BATCH_ROWS: a scan writes it in one transaction (up to
    BATCH_OVERSHOOT times BATCH_ROWS), a shared scan in equal parts of at most SHARED_BATCH_ROWS; a split at the
    mark would leave a part of a few rows, written row by row in a transaction of its own."""
    sizes: list[int] = []
    real = scan_write.insert_documents

    def counting(conn: object, rows: list[tuple]) -> None:
        sizes.append(len(rows))
        real(conn, rows)  # type: ignore[arg-type]

    monkeypatch.setattr(scan_write, "insert_documents", counting)
    monkeypatch.setattr(scan_parse, "start_method", lambda: "fork")
    monkeypatch.setattr(scan_parse, "POOL_MIN_PROJECTS", 12)
    limit = 20 if shared else 40
    monkeypatch.setattr(scan_write, "SHARED_BATCH_ROWS" if shared else "BATCH_ROWS", limit if shared else 20)
    monkeypatch.setattr(scan_write, "BATCH_SECONDS", 3600.0)  # no timed flush (a loaded machine's): rows only
    store = Store(tmp_path / "q.db")
    try:
        report = scan_root(store, firm, shared=shared)
    finally:
        store.close()
    assert sum(sizes) == report.added > 100
    assert max(sizes) <= limit
    # Parts of one batch differ by one row at most: only the scan's last batch may be small.
    assert sum(size < limit // 2 for size in sizes) <= 1, sizes


def test_part_rows() -> None:
    for total, limit in [(1, 25), (25, 25), (26, 25), (2013, 4000), (4001, 4000), (10_001, 4000), (99, 1)]:
        size = scan_write._part_rows(total, limit)
        parts = -(-total // size)
        assert size <= limit and parts == -(-total // limit)  # as few parts as the limit allows
        assert total - (parts - 1) * size >= size - parts  # the last part is (almost) as large as the others
