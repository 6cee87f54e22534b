"""The embedding worker's windows against a database that changes while they are in the model: a
document renamed meanwhile is embedded again, never left done with its old name's vector. Real
SQLite file, real worker and model; only the model call of the first window is held on an event."""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from quicknav_mcp.indexers import embed as E
from quicknav_mcp.indexers import embed_windows
from quicknav_mcp.indexers.embed import Embedder, EmbedWorker
from quicknav_mcp.indexers.extract import UPSERT_CONTENT

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo import generate_firm
from quicknav_mcp.repo.documents import STAMP_SQL
from quicknav_mcp.store import connect

pytest.importorskip("sentence_transformers", reason="semantic extra not installed")
if not Embedder().installed():  # pragma: no cover - model package missing
    pytest.skip("embedding model not installed", allow_module_level=True)

# A rename as the scanner writes it: the new path, stamped as the scanner stamps a row's new version.
_RENAME = (
    f"UPDATE documents SET project_rel_path = project_rel_path || ' renamed.pdf', indexed_at = {STAMP_SQL} WHERE id = ?"
)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small firm, indexed (names only), not embedded."""
    base = tmp_path_factory.mktemp("windows")
    root = base / "firm"
    generate_firm(root, projects=3, seed=5)
    db = base / "pristine.db"
    with App.open(load_config(db=db, roots=[root], env={})) as app:
        app.indexing.reindex()
    return root, db


@pytest.fixture
def app(pristine: tuple[Path, Path], tmp_path: Path):
    root, db = pristine
    shutil.copy(db, tmp_path / "q.db")
    with App.open(load_config(db=tmp_path / "q.db", roots=[root], env={})) as opened:
        yield opened


class _Held:
    """The worker's first window held in the model (its real call, run once released)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered, self.release = threading.Event(), threading.Event()
        self.ids: list[int] = []
        real = embed_windows.WindowPipeline._encode

        def held(pipeline: embed_windows.WindowPipeline, w: object, stopped: object) -> object:
            if not self.entered.is_set():
                self.ids = [it.doc_id for it in w.items]  # type: ignore[attr-defined]
                self.entered.set()
                assert self.release.wait(60)
            return real(pipeline, w, stopped)  # type: ignore[arg-type]

        monkeypatch.setattr(embed_windows.WindowPipeline, "_encode", held)


def _pending(app: App) -> set[int]:
    """The documents the worker counts as pending (its own definition)."""
    return {r[0] for r in app.store.query(f"SELECT d.id {E.IDENTITY_TODO}", (app.search.embedder.name,))}


def _stale_but_done(app: App) -> set[int]:
    """Documents not pending whose stored identity hash is not their current text's."""
    model = app.search.embedder.name
    rows = app.store.query(
        "SELECT d.id, d.name, d.project_rel_path, p.folder_name, s.sig, "
        "(SELECT words FROM search_family_words WHERE doc_type = d.doc_type) "
        "FROM documents d JOIN projects p ON p.id = d.project_id JOIN embedding_state s ON s.doc_id = d.id"
    )
    pending = _pending(app)
    out = set()
    for doc, name, rel, folder, sig, family in rows:
        text = E.identity_text(name, rel[: -len(name)], folder, family or "")
        if doc not in pending and sig != E.text_sig(text, model):
            out.add(doc)
    return out


def _identity_run_in_a_thread(app: App) -> threading.Thread:
    """A worker's identity run, started on a thread (its first window is held: :class:`_Held`)."""
    worker = EmbedWorker(app.store, app.search.embedder)
    thread = threading.Thread(target=lambda: worker.run(identity_only=True))
    thread.start()
    return thread


def _held_window_left_pending_then_embedded(app: App, held: _Held, thread: threading.Thread) -> None:
    """The held window released: its documents changed meanwhile are left pending (none stale but
    done), and the next run embeds them."""
    held.release.set()
    thread.join(60)
    assert _stale_but_done(app) == set()
    assert set(held.ids) <= _pending(app)
    EmbedWorker(app.store, app.search.embedder).run(identity_only=True)
    assert _pending(app) == set() and _stale_but_done(app) == set()


def test_documents_renamed_while_a_window_is_in_the_model_are_embedded_again(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every document renamed while the first window is in the model (the window after it is read
    meanwhile): the first window's documents stay pending, none is left done with its old name's vector,
    and the next run embeds what is pending. (Before stamps were the rows' own, the window read while
    the rename was under way was marked done with its old names in ~60% of runs.)"""
    monkeypatch.setattr(E, "IDENTITY_WINDOW", 5)
    held = _Held(monkeypatch)
    worker = EmbedWorker(app.store, app.search.embedder)
    out: list[E.EmbedReport] = []
    thread = threading.Thread(target=lambda: out.append(worker.run(identity_only=True)))
    thread.start()
    assert held.entered.wait(60)
    docs = [r[0] for r in app.store.query("SELECT id FROM documents")]
    with app.store.transaction() as conn:  # the file watcher's renames, committed while the window is in the model
        conn.executemany(_RENAME, [(i,) for i in docs])
    held.release.set()
    thread.join(60)
    assert out[0].identity == len(docs)
    assert _stale_but_done(app) == set()
    pending = _pending(app)
    assert set(held.ids) <= pending  # embedded with their old names
    again = EmbedWorker(app.store, app.search.embedder).run(identity_only=True)
    assert again.identity == len(pending)
    assert _pending(app) == set() and _stale_but_done(app) == set()


def test_a_rename_stamped_before_a_windows_read_and_committed_after_it_is_embedded_again(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer stamps ``indexed_at`` when its statement runs; readers see the row when it commits (a
    scan's transaction of many rows, or a writer held up by a busy machine). A window read in between
    holds the old names, read after the new stamps were taken: it must stay pending, not be marked done."""
    # Tables in place first: the run below only reads and writes windows (no write waits on the scan's).
    EmbedWorker(app.store, app.search.embedder).run(identity_only=True)
    with app.store.transaction() as conn:
        conn.execute("DELETE FROM embedding_state")
    docs = [r[0] for r in app.store.query("SELECT id FROM documents")]
    monkeypatch.setattr(E, "IDENTITY_WINDOW", 5)
    held = _Held(monkeypatch)
    scan = connect(app.store.path)  # another writer: a scan in another process
    try:
        scan.execute("BEGIN IMMEDIATE")
        scan.executemany(_RENAME, [(i,) for i in docs])
        time.sleep(0.01)  # the worker's clock reads a later millisecond than the stamps
        thread = _identity_run_in_a_thread(app)
        assert held.entered.wait(60)
        scan.execute("COMMIT")
    finally:
        scan.close()
    _held_window_left_pending_then_embedded(app, held, thread)


def _first_window_is_a_backlog(app: App, monkeypatch: pytest.MonkeyPatch, bulk_min: int) -> bool:
    """Whether a 3-document slice's window is taken for a backlog with ``bulk_min`` (nothing embedded:
    the run stops before its window goes into the model)."""
    monkeypatch.setattr(E, "IDENTITY_BULK_MIN", bulk_min)
    backlog: list[bool] = []
    cancel = threading.Event()
    real = embed_windows.WindowPipeline._encode

    def first(pipeline: embed_windows.WindowPipeline, w: embed_windows._Window, stopped: object) -> object:
        backlog.append(w.backlog)
        cancel.set()
        return real(pipeline, w, stopped)  # type: ignore[arg-type]

    monkeypatch.setattr(embed_windows.WindowPipeline, "_encode", first)
    report = EmbedWorker(app.store, app.search.embedder).run(identity_only=True, max_docs=3, cancel=cancel)
    assert report.identity == 0 and report.status == "cancelled"
    return backlog[0]


def test_a_backlog_is_as_many_pending_ids_as_identity_bulk_min(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """The backlog decision counts pending ids up to IDENTITY_BULK_MIN (past the slice's 3 rows)."""
    docs = app.store.query_one("SELECT count(*) FROM documents")[0]
    assert _first_window_is_a_backlog(app, monkeypatch, docs)
    assert not _first_window_is_a_backlog(app, monkeypatch, docs + 1)


# A file indexed while the machine's clock ran an hour ahead (then set right: an NTP step, a restored VM).
_AHEAD = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 hour')"


def test_a_document_stamped_ahead_of_the_clock_then_renamed_is_embedded_again(app: App) -> None:
    """Its rename, stamped by the corrected clock, is earlier than the stamp its vector was made from:
    a stamp that differs is pending, not only a later one."""
    doc = app.store.query_one("SELECT min(id) FROM documents")[0]
    with app.store.transaction() as conn:
        conn.execute(f"UPDATE documents SET indexed_at = {_AHEAD} WHERE id = ?", (doc,))
    EmbedWorker(app.store, app.search.embedder).run(identity_only=True)
    assert _pending(app) == set()
    with app.store.transaction() as conn:
        conn.execute(_RENAME, (doc,))
    report = EmbedWorker(app.store, app.search.embedder).run(identity_only=True)
    assert report.identity == 1
    assert _pending(app) == set() and _stale_but_done(app) == set()


def test_content_extracted_ahead_of_the_clock_then_extracted_again_is_embedded_again(app: App) -> None:
    doc = app.store.query_one("SELECT min(id) FROM documents")[0]
    with app.store.transaction() as conn:
        conn.execute(
            "INSERT OR REPLACE INTO document_content (doc_id, size, mtime, status, text, extracted_at) "
            f"VALUES (?, 0, 0, 'ok', ?, {_AHEAD})",
            (doc, "Hearing loop commissioning report for the council chamber"),
        )
    EmbedWorker(app.store, app.search.embedder).run()
    table = E.vectors.TABLES[E.CONTENT_TABLE][0]
    before = app.store.query_one(f"SELECT sig FROM {table} WHERE doc_id = ?", (doc,))[0]
    with app.store.transaction() as conn:  # the clock set right; the file's text changed
        conn.execute(
            "UPDATE document_content SET text = 'Loudspeaker survey of the training room', "
            "extracted_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE doc_id = ?",
            (doc,),
        )
    report = EmbedWorker(app.store, app.search.embedder).run()
    assert report.content == 1
    assert app.store.query_one(f"SELECT sig FROM {table} WHERE doc_id = ?", (doc,))[0] != before


def test_a_vector_left_done_with_an_old_name_by_a_clock_stamp_is_repaired(app: App) -> None:
    """State written before stamps were the rows' own held a clock's time, later than the rename it had
    missed: such a row differs from its document's stamp, so it is looked at again (and its hash decides)."""
    EmbedWorker(app.store, app.search.embedder).run(identity_only=True)
    doc = app.store.query_one("SELECT min(id) FROM documents")[0]
    with app.store.transaction() as conn:
        conn.execute(_RENAME, (doc,))
        conn.execute(  # the old worker's clock, read 1 ms after the rename's stamp
            "UPDATE embedding_state SET embedded_at = strftime('%Y-%m-%dT%H:%M:%fZ', "
            "julianday((SELECT indexed_at FROM documents WHERE id = ?)) + 1.0 / 86400000) WHERE doc_id = ?",
            (doc, doc),
        )
    report = EmbedWorker(app.store, app.search.embedder).run(identity_only=True)
    assert report.identity == 1
    assert _pending(app) == set() and _stale_but_done(app) == set()


def test_a_run_reads_past_documents_it_embedded_that_changed_again(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """Documents embedded earlier in a run and stamped again meanwhile (a project renamed) sort first among the
    pending ones and fill the read; the run reads further rather than end with the rest never read."""
    monkeypatch.setattr(E, "IDENTITY_WINDOW", 5)
    monkeypatch.setattr(E, "IDENTITY_BULK_MIN", 1)
    real = embed_windows.WindowPipeline._finish
    written: list[int] = []

    def finish(pipeline: embed_windows.WindowPipeline, window: embed_windows._Window, *rest: object) -> None:
        real(pipeline, window, *rest)  # type: ignore[arg-type]
        written.extend(it.doc_id for it in window.items)
        if len(written) == 10:  # two windows written: their documents are touched again
            with app.store.transaction() as conn:
                conn.executemany(
                    "UPDATE documents SET indexed_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
                    [(i,) for i in written],
                )

    monkeypatch.setattr(embed_windows.WindowPipeline, "_finish", finish)
    docs = app.store.query_one("SELECT count(*) FROM documents")[0]
    report = EmbedWorker(app.store, app.search.embedder).run(identity_only=True)
    assert report.status == "done" and report.identity == docs
    never = "SELECT count(*) FROM documents d LEFT JOIN embedding_state s ON s.doc_id = d.id WHERE s.doc_id IS NULL"
    assert app.store.query_one(never)[0] == 0


def _clock_held_at(conn: sqlite3.Connection, now: str) -> None:
    """SQLite's clock on ``conn`` held at ``now`` (its ``strftime`` with 'now' answers it; the rest is
    SQLite's own): every write of that connection falls in one millisecond."""
    real = sqlite3.connect(":memory:")

    def strftime(*args: object) -> object:
        args = tuple(now if a == "now" else a for a in args)
        return real.execute(f"SELECT strftime({','.join('?' * len(args))})", args).fetchone()[0]

    conn.create_function("strftime", -1, strftime)


def test_a_rename_in_the_millisecond_of_the_version_read_is_embedded_again(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document written twice in one millisecond (the watcher's create then rename) with a window read
    between the two: the second version has a stamp of its own, so the vector made from the first stays
    pending. (Stamped with the clock, both versions had the same stamp: the old name was left done.)"""
    monkeypatch.setattr(E, "IDENTITY_WINDOW", 5)
    held = _Held(monkeypatch)
    docs = [r[0] for r in app.store.query("SELECT id FROM documents")]
    scan = connect(app.store.path)  # another writer: a scan in another process, its clock held still
    now = scan.execute("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 second')").fetchone()[0]
    _clock_held_at(scan, now)
    try:
        scan.executemany(f"UPDATE documents SET indexed_at = {STAMP_SQL} WHERE id = ?", [(i,) for i in docs])
        assert {r[0] for r in scan.execute("SELECT indexed_at FROM documents")} == {now}
        thread = _identity_run_in_a_thread(app)
        assert held.entered.wait(60)  # the first window read, in the model
        scan.executemany(_RENAME, [(i,) for i in held.ids])
    finally:
        scan.close()
    _held_window_left_pending_then_embedded(app, held, thread)


def _content_sig(app: App, doc: int) -> bytes | str | None:
    table = E.vectors.TABLES[E.CONTENT_TABLE][0]
    row = app.store.query_one(f"SELECT sig FROM {table} WHERE doc_id = ?", (doc,))
    return row[0] if row else None


def test_text_extracted_again_for_a_document_stamped_ahead_of_the_clock_is_embedded_again(app: App) -> None:
    """A document stamped while the clock ran ahead, its text extracted again after the clock was set
    right: the text's stamp is behind the document's, so the later of the two did not move (the old
    content stamp); the pair of them does."""
    doc = app.store.query_one("SELECT min(id) FROM documents")[0]
    with app.store.transaction() as conn:
        conn.execute(f"UPDATE documents SET indexed_at = {_AHEAD} WHERE id = ?", (doc,))
        conn.execute(
            UPSERT_CONTENT,
            (doc, 1, 1.0, "ok", None, "Amplifier rack elevation for the council chamber", 48, 0, 0.1, doc),
        )
    EmbedWorker(app.store, app.search.embedder).run()
    before = _content_sig(app, doc)
    with app.store.transaction() as conn:  # the file changed: extracted again, stamped by the clock
        conn.execute(
            UPSERT_CONTENT, (doc, 2, 2.0, "ok", None, "Fire detection plan of the training room", 40, 0, 0.1, doc)
        )
    report = EmbedWorker(app.store, app.search.embedder).run()
    assert report.content == 1
    assert _content_sig(app, doc) not in (None, before)


def test_a_rename_in_the_millisecond_of_the_texts_stamp_is_embedded_again(app: App) -> None:
    """The content text is made from the text and the document's family: a document given another
    family in the millisecond its text was stamped (after the worker read that version) is pending."""
    doc = app.store.query_one("SELECT min(id) FROM documents WHERE doc_type != 'swms'")[0]
    scan = connect(app.store.path)  # another writer, its clock held still
    now = scan.execute("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+1 second')").fetchone()[0]
    _clock_held_at(scan, now)
    try:
        scan.execute(
            UPSERT_CONTENT, (doc, 1, 1.0, "ok", None, "Safe work method statement for ceiling works", 44, 0, 0.1, doc)
        )
        scan.commit()
        EmbedWorker(app.store, app.search.embedder).run()  # the version read: the text and the old family
        before = _content_sig(app, doc)
        scan.execute(f"UPDATE documents SET doc_type = 'swms', indexed_at = {STAMP_SQL} WHERE id = ?", (doc,))
        scan.commit()
    finally:
        scan.close()
    report = EmbedWorker(app.store, app.search.embedder).run()
    assert report.content == 1
    assert _content_sig(app, doc) not in (None, before)
