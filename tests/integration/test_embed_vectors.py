"""Identity and content vectors: what the worker writes, how search combines them, what
index_status reports, and a server that answers with words while its model is still loading
(through the real MCP client). Uses the real model on a small firm."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest
from mcp import Client
from quicknav_mcp.indexers import embed as E
from quicknav_mcp.indexers import embed_model
from quicknav_mcp.indexers.embed import Embedder, EmbedWorker

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo import generate_firm
from quicknav_mcp.search.semantic import WARMING_NOTE
from quicknav_mcp.server import build_server
from tests.conftest import same_vector

pytest.importorskip("sentence_transformers", reason="semantic extra not installed")
if not Embedder().installed():  # pragma: no cover - model package missing
    pytest.skip("embedding model not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def firm(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small firm with text, indexed and extracted, not embedded (a pristine db to copy)."""
    base = tmp_path_factory.mktemp("vectors")
    root = base / "firm"
    generate_firm(root, projects=3, seed=5, content=True)
    db = base / "pristine.db"
    with App.open(load_config(db=db, roots=[root], env={})) as app:
        app.indexing.reindex()
        app.search.index_content(extract=True, embed=False)
    return root, db


@pytest.fixture
def app(firm: tuple[Path, Path], tmp_path: Path):
    root, pristine = firm
    db = tmp_path / "q.db"
    shutil.copy(pristine, db)
    with App.open(load_config(db=db, roots=[root], env={})) as opened:
        yield opened


def _state(app: App, table: str) -> dict[int, str]:
    return {r[0]: r[1] for r in app.store.query(f"SELECT doc_id, sig FROM {table}")}


def test_identity_first_then_content_and_identical_texts_embedded_once(app: App) -> None:
    docs = app.store.query_one("SELECT count(*) FROM documents")[0]
    texts = app.store.query(
        "SELECT doc_id FROM document_content WHERE status = 'ok' AND length(text) > 0 ORDER BY doc_id"
    )
    assert len(texts) > 4
    # The same template filed in two projects: one text, so one embedding.
    a, b = app.store.query_one(
        "SELECT min(d.id), max(d.id) FROM documents d JOIN document_content c ON c.doc_id = d.id "
        "WHERE c.status = 'ok' AND length(c.text) > 0 GROUP BY d.doc_type HAVING count(DISTINCT d.project_id) > 1"
    )
    with app.store.transaction() as conn:
        conn.execute(
            "UPDATE document_content SET text = (SELECT text FROM document_content WHERE doc_id = ?) WHERE doc_id = ?",
            (a, b),
        )
    worker = EmbedWorker(app.store, app.search.embedder)
    first = worker.run(max_docs=docs)  # the budget covers identities only: they come first
    assert first.identity == docs and first.content == 0
    assert app.search.index_status().vector_coverage["identity"]["done"] == docs

    rest = worker.run()
    assert rest.identity == 0 and rest.content == len(texts)
    assert rest.content_reused >= 1
    content = _state(app, "content_embedding_state")
    assert set(content) == {r[0] for r in texts}  # documents without text have no content vector
    assert content[a] == content[b]
    va, vb = (app.store.query_one("SELECT embedding FROM vec_doc_content WHERE rowid = ?", (i,))[0] for i in (a, b))
    assert va == vb

    status = app.search.index_status()
    cov = status.vector_coverage
    assert cov["identity"] == {**cov["identity"], "done": docs, "of": docs, "percent": 100.0, "eta_s": 0}
    assert cov["content"]["done"] == cov["content"]["of"] == len(texts)
    assert cov["identity"]["docs_per_s"] and cov["identity"]["docs_per_s"] > 0
    assert cov["projects"]["done"] == cov["projects"]["of"] == 3

    # Text gone: its content vector goes too; nothing else is embedded again.
    with app.store.transaction() as conn:
        conn.execute("UPDATE document_content SET text = '' WHERE doc_id = ?", (a,))
    again = worker.run()
    assert again.documents == 0
    assert a not in _state(app, "content_embedding_state")


def test_search_takes_each_documents_best_vector(app: App) -> None:
    import numpy as np

    semantic = app.search.semantic
    EmbedWorker(app.store, app.search.embedder).run(max_docs=20)
    semantic.refresh_documents()
    assert len(semantic.doc_vectors) == 20 and len(semantic.content_vectors) == 0
    EmbedWorker(app.store, app.search.embedder).run()  # the rest, loaded incrementally
    doc_id, blob = app.store.query_one("SELECT rowid, embedding FROM vec_documents ORDER BY rowid DESC LIMIT 1")
    with app.store.transaction() as conn:  # one vector re-embedded: replaced in place, not appended
        conn.execute("UPDATE embedding_state SET seq = seq + 1000 WHERE doc_id = ?", (doc_id,))
    semantic.refresh_documents()
    own = np.frombuffer(blob, dtype=np.float32)
    assert semantic.doc_vectors.search(own, 1)[0] == (doc_id, pytest.approx(1.0, abs=1e-3))
    assert semantic.doc_vectors.positions([doc_id, -5]).tolist() == semantic.doc_vectors.rows_of([doc_id]).tolist()
    assert len(semantic.doc_vectors) == app.store.query_one("SELECT count(*) FROM documents")[0]
    assert len(semantic.content_vectors) > 0
    row = app.store.query_one(
        "SELECT doc_id, text FROM document_content WHERE status = 'ok' AND length(text) > 200 ORDER BY doc_id"
    )
    qv = semantic.query_vector(" ".join(row["text"].split()[:40]))
    by_identity = dict(semantic.doc_vectors.search(qv, 1000))
    by_content = dict(semantic.content_vectors.search(qv, 1000))
    from quicknav_mcp.search.scope import Scope

    hits = dict(semantic.document_hits(qv, Scope()))
    assert row["doc_id"] in hits
    for doc_id, sim in hits.items():
        assert sim == pytest.approx(max(by_identity.get(doc_id, -1.0), by_content.get(doc_id, -1.0)))
    assert hits[row["doc_id"]] == pytest.approx(by_content[row["doc_id"]])  # its own words: the content vector


def test_vectors_of_before_the_split_are_looked_at_again(app: App) -> None:
    """A database embedded with one mixed vector per document: identities of documents with text
    are embedded again, the others keep theirs."""
    worker = EmbedWorker(app.store, app.search.embedder)
    worker.run()
    docs = app.store.query_one("SELECT count(*) FROM documents")[0]
    with_text = len(_state(app, "content_embedding_state"))
    rows = app.store.query(
        "SELECT d.id, d.name, d.project_rel_path, p.folder_name, c.text, "
        "(SELECT words FROM search_family_words WHERE doc_type = d.doc_type) AS family "
        "FROM documents d JOIN projects p ON p.id = d.project_id LEFT JOIN document_content c ON c.doc_id = d.id"
    )
    model = app.search.embedder.name
    with app.store.transaction() as conn:  # as the previous worker left it
        for r in rows:
            text = E.document_text(
                r["name"], r["project_rel_path"][: -len(r["name"])], r["folder_name"], r["family"] or "", r["text"]
            )
            conn.execute("UPDATE embedding_state SET sig = ? WHERE doc_id = ?", (E.text_sig(text, model), r["id"]))
        conn.execute("DELETE FROM search_meta WHERE key = ?", (E.IDENTITY_META_KEY,))
    report = worker.run()
    assert report.identity == with_text
    assert report.skipped_unchanged == docs - with_text
    assert worker.run().documents == 0


def test_background_encoding_matches_a_query_encoding(app: App) -> None:
    embedder: Embedder = app.search.embedder
    texts = [f"document {i} about fire safety and cabling on level {i}" for i in range(40)]
    front = embedder.encode(texts)
    back = embedder.encode(texts, background=True)
    assert back.shape == front.shape
    assert all(same_vector(embedder, b, f) for b, f in zip(back, front, strict=True))
    short = embedder.encode(["a " * 300], max_tokens=16)
    assert embedder._model.max_seq_length == embed_model.MAX_SEQ_LENGTH  # the cut applied to that call only
    assert short.shape == (1, embedder.dim)


@pytest.mark.anyio
async def test_server_answers_with_words_while_the_model_loads(app: App, firm: tuple[Path, Path]) -> None:
    EmbedWorker(app.store, app.search.embedder).run()
    root, _ = firm
    config = load_config(db=app.store.path, roots=[root], user="tester", env={})
    opened: list[App] = []

    def factory() -> App:
        served = App.open(config)
        assert served.search.semantic.warm_up(delay=3600)  # loading, for the whole of this test
        opened.append(served)
        return served

    async with Client(build_server(factory)) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        assert "search_documents" in tools
        query = {"query": "safety method statement for working at heights"}
        first = json.loads((await client.call_tool("search_documents", query)).content[0].text)
        assert not first.get("semantic")  # a brief answer leaves out a false flag
        assert WARMING_NOTE in first["suggestions"]
        assert first["documents"]  # answered by words meanwhile
        status = json.loads((await client.call_tool("index_status", {})).content[0].text)
        assert "loading" in json.dumps(status)
        assert opened[0].search.embedder.load()  # what the loader thread would have done
        ready = json.loads((await client.call_tool("search_documents", query)).content[0].text)
        assert ready["semantic"] is True
        assert WARMING_NOTE not in ready.get("suggestions", [])


def test_warm_up_needs_vectors(tmp_path: Path) -> None:
    """Nothing to search by meaning yet: no model is loaded for it (the worker loads it when it runs)."""
    with App.open(load_config(db=tmp_path / "empty.db", env={})) as app:
        assert app.search.semantic.warm_up(delay=0) is False
        assert not app.search.embedder.loaded and not app.search.embedder.loading


def test_texts_that_differ_only_after_the_cut_are_one_vector(app: App) -> None:
    """Content is signed by the tokens the model reads: a template whose details come after
    CONTENT_TOKENS is embedded once for every copy."""
    a, b, c = app.store.query_one(  # a and b of one family (its words start the content text)
        "SELECT min(d.id), max(d.id), (SELECT min(doc_id) FROM document_content WHERE doc_id NOT IN (min(d.id), "
        "max(d.id)) AND status = 'ok') FROM documents d JOIN document_content c ON c.doc_id = d.id "
        "WHERE c.status = 'ok' AND length(c.text) > 0 GROUP BY d.doc_type HAVING count(*) > 1"
    )
    common = " ".join(f"clause {i} of the site safety template" for i in range(40))  # > CONTENT_TOKENS
    with app.store.transaction() as conn:
        conn.execute("UPDATE document_content SET text = ? WHERE doc_id = ?", (common + " project one", a))
        conn.execute("UPDATE document_content SET text = ? WHERE doc_id = ?", (common + " project two", b))
        conn.execute("UPDATE document_content SET text = ? WHERE doc_id = ?", ("a short note on cabling", c))
    report = EmbedWorker(app.store, app.search.embedder).run()
    assert report.content_reused >= 1
    content = _state(app, "content_embedding_state")
    assert content[a] == content[b] != content[c]


def test_background_slices_give_every_document_its_identity_before_extracting(app: App) -> None:
    docs = app.store.query_one("SELECT count(*) FROM documents")[0]
    with app.store.transaction() as conn:  # as after a first scan: nothing extracted, nothing embedded
        conn.execute("DELETE FROM document_content")
    steps: list[tuple[str, int, int]] = []
    report = app.search.index_content(max_docs=docs // 2, progress=lambda *step: steps.append(step))
    assert "extract" not in report and report["embed"]["documents"] == docs // 2
    assert steps and {what for what, _, _ in steps} == {"identity"}  # the identity pass says how far it is
    assert len(_state(app, "embedding_state")) == docs // 2
    assert app.store.query_one("SELECT count(*) FROM document_content")[0] == 0  # extraction waits
    app.search.index_content(max_docs=docs)  # the rest of the identities, then text and content
    assert len(_state(app, "embedding_state")) == docs
    assert app.store.query_one("SELECT count(*) FROM document_content")[0] > 0
    app.search.index_content()
    assert _state(app, "content_embedding_state")


_EMBEDDED_RUN = r"""
import json, sys
from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.indexers.embed import EmbedWorker
with App.open(load_config(db=sys.argv[1], env={"QUICKNAV_SEARCH_BACKGROUND": "0"})) as app:
    report = EmbedWorker(app.store, app.search.embedder).run()
    print(json.dumps({"documents": report.documents, "torch": "torch" in sys.modules}))
"""


def test_identity_vectors_run_on_the_workers_model_and_an_embedded_firm_never_loads_torch(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A backlog of identity vectors goes to the worker's model (torch beside the numpy query encoder)
    like content; a process that finds every document embedded does not load torch."""
    import subprocess
    import sys

    import numpy as np

    monkeypatch.setattr(E, "IDENTITY_BULK_MIN", 1)  # this small firm's identities count as a backlog
    embedder: Embedder = app.search.embedder
    assert app.search.index_status().embedding_precision == ""  # no worker model loaded yet
    report = EmbedWorker(app.store, embedder).run(identity_only=True)
    assert report.identity > 0
    assert embedder._bulk is not None and embedder._bulk is not embedder._model  # torch ran the documents
    precision = app.search.index_status().embedding_precision  # measured on this machine: either, with why
    assert precision.startswith(("float32: bfloat16 is not faster", "bfloat16: bfloat16 is")), precision
    row = app.store.query_one(
        "SELECT d.id, d.name, d.project_rel_path, p.folder_name, "
        "(SELECT words FROM search_family_words WHERE doc_type = d.doc_type) FROM documents d "
        "JOIN projects p ON p.id = d.project_id ORDER BY d.id LIMIT 1"
    )
    text = E.identity_text(row[1], row[2][: -len(row[1])], row[3], row[4] or "")
    stored = np.frombuffer(
        app.store.query_one("SELECT embedding FROM vec_documents WHERE rowid = ?", (row[0],))[0], "<f4"
    )
    assert same_vector(embedder, stored, embedder.encode([text])[0])  # the query encoder's vector, to rounding

    EmbedWorker(app.store, embedder).run()  # content and projects too: nothing left
    out = subprocess.run(
        [sys.executable, "-c", _EMBEDDED_RUN, str(app.store.path)], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"documents": 0, "torch": False}


def test_a_few_identity_vectors_are_embedded_without_loading_torch(app: App) -> None:
    """Fewer new identity texts than IDENTITY_BULK_MIN (a few renamed documents) do not pay for torch's
    load (~7 CPU s, ~370 MB): the query encoder embeds them."""
    embedder: Embedder = app.search.embedder
    docs = app.store.query_one("SELECT count(*) FROM documents")[0]
    assert docs < E.IDENTITY_BULK_MIN
    report = EmbedWorker(app.store, embedder).run(identity_only=True)
    assert report.identity == docs
    assert embedder._bulk is None  # the worker's torch model was never loaded


def test_a_servers_budget_slice_of_a_backlog_runs_on_the_workers_model(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's background indexer embeds in slices smaller than IDENTITY_BULK_MIN: a slice of a
    backlog (a first scan) still goes to the worker's model; a slice when few are pending does not."""
    docs = app.store.query_one("SELECT count(*) FROM documents")[0]
    embedder: Embedder = app.search.embedder
    monkeypatch.setattr(E, "IDENTITY_BULK_MIN", docs + 1)  # fewer pending than a backlog: numpy
    report = EmbedWorker(app.store, embedder).run(identity_only=True, max_docs=3)
    assert report.identity == 3 and embedder._bulk is None
    monkeypatch.setattr(E, "IDENTITY_BULK_MIN", docs - 3)  # the rest pending is a backlog: torch
    report = EmbedWorker(app.store, embedder).run(identity_only=True, max_docs=3)
    assert report.identity == 3
    assert embedder._bulk is not None and embedder._bulk is not embedder._model


def test_a_backlog_of_touched_documents_with_few_new_texts_stays_on_the_query_encoder(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Many documents re-indexed with their names unchanged (a sync that touched them) and one renamed:
    one text to embed, so torch is not loaded for it."""
    embedder: Embedder = app.search.embedder
    docs = app.store.query_one("SELECT count(*) FROM documents")[0]
    assert EmbedWorker(app.store, embedder).run(identity_only=True).identity == docs
    assert embedder._bulk is None  # (this small firm is no backlog)
    with app.store.transaction() as conn:
        conn.execute("UPDATE documents SET indexed_at = indexed_at + 1000")
        conn.execute(  # (the name is the path's last part)
            "UPDATE documents SET project_rel_path = project_rel_path || '.old' "
            "WHERE id = (SELECT min(id) FROM documents)"
        )
    monkeypatch.setattr(E, "IDENTITY_BULK_MIN", 2)
    report = EmbedWorker(app.store, embedder).run(identity_only=True)
    assert report.identity == 1 and report.skipped_unchanged == docs - 1
    assert embedder._bulk is None


def test_windows_in_a_pipeline_write_the_vectors_of_one_window(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    """Small windows, so one is in the model while the next is read and the one before written: every
    document gets the vector of its own text, and a text embedded by the window still in the model
    (or stored by one before) is taken, not embedded again."""
    import numpy as np

    rows = app.store.query("SELECT doc_id FROM document_content WHERE status = 'ok' AND length(text) > 0")
    with_text = [r[0] for r in rows]
    assert len(with_text) >= 8
    templates = ["council chamber audio visual upgrade scope " * 5, "fire safety report for level two " * 5]
    with app.store.transaction() as conn:  # two templates filed across every window
        for n, doc in enumerate(with_text):
            conn.execute("UPDATE document_content SET text = ? WHERE doc_id = ?", (templates[n % 2], doc))
    monkeypatch.setattr(E, "IDENTITY_WINDOW", 5)
    monkeypatch.setattr(E, "CONTENT_WINDOW", 3)
    embedder = app.search.embedder
    report = EmbedWorker(app.store, embedder).run()
    docs = app.store.query_one("SELECT count(*) FROM documents")[0]
    assert report.identity == docs and report.content == len(with_text)
    family = {
        r[0]: r[1] or ""
        for r in app.store.query(
            "SELECT d.id, (SELECT words FROM search_family_words WHERE doc_type = d.doc_type) FROM documents d"
        )
    }
    texts = {doc: E.content_text(family[doc], templates[n % 2]) for n, doc in enumerate(with_text)}
    assert report.content_reused == len(with_text) - len(set(texts.values())) > 0  # each text embedded once

    def stored(table: str) -> dict[int, np.ndarray]:
        got = app.store.query(f"SELECT rowid, embedding FROM {table}")
        return {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in got}

    content = stored(E.CONTENT_TABLE)
    assert set(content) == set(with_text)
    for doc, text in texts.items():
        expected = embedder.encode([text], max_tokens=E.CONTENT_TOKENS)[0]
        assert same_vector(embedder, content[doc], expected)
    identity = stored("vec_documents")
    names = app.store.query(
        "SELECT d.id, d.name, d.project_rel_path, p.folder_name FROM documents d JOIN projects p ON p.id = d.project_id"
    )
    assert set(identity) == {r[0] for r in names}
    for doc, name, rel, folder in names:
        text = E.identity_text(name, rel[: -len(name)], folder, family[doc])
        assert same_vector(embedder, identity[doc], embedder.encode([text], max_tokens=E.IDENTITY_TOKENS)[0])


def _held_model(monkeypatch: pytest.MonkeyPatch) -> tuple[threading.Event, threading.Event, list[int]]:
    """The worker's model calls (its windows'), the first held until released: (entered, release, calls)."""
    entered, release, calls = threading.Event(), threading.Event(), []
    real = embed_model.Embedder._embed_ids

    def held(self: Embedder, ids: list[list[int]], model: object) -> object:
        if not threading.current_thread().name.startswith("quicknav-embed-feed"):  # (a search's warm-up)
            return real(self, ids, model)
        calls.append(len(ids))
        if len(calls) == 1:
            entered.set()
            assert release.wait(60)
        return real(self, ids, model)

    monkeypatch.setattr(embed_model.Embedder, "_embed_ids", held)
    return entered, release, calls


def _run_in_thread(worker: EmbedWorker, **kwargs: object) -> tuple[threading.Thread, list[object]]:
    out: list[object] = []
    thread = threading.Thread(target=lambda: out.append(worker.run(**kwargs)))
    thread.start()
    return thread, out


def test_a_stop_while_a_window_is_in_the_model_writes_that_window_and_embeds_no_other(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window queued behind the one in the model is dropped when a stop comes first: its rows stay
    pending for the next run (not embedded and written while the caller waits to shut down)."""
    monkeypatch.setattr(E, "IDENTITY_WINDOW", 5)
    entered, release, calls = _held_model(monkeypatch)
    cancel = threading.Event()
    worker = EmbedWorker(app.store, app.search.embedder)
    thread, out = _run_in_thread(worker, identity_only=True, cancel=cancel)
    assert entered.wait(60)
    cancel.set()
    release.set()
    thread.join(60)
    report = out[0]
    assert report.identity == 5 and report.status == "cancelled"  # type: ignore[attr-defined]
    assert len(calls) == 1
    docs = app.store.query_one("SELECT count(*) FROM documents")[0]
    assert worker.pending() == docs - 5
