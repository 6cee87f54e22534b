"""Embeddings: offline model, resumable worker, vector + hybrid retrieval, and the fallback when
the model is unavailable. Uses a small firm so the whole file stays within ~30 s."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from quicknav_mcp.indexers.embed import Embedder, EmbedWorker

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo import generate_firm

semantic = pytest.importorskip("sentence_transformers", reason="semantic extra not installed")
if not Embedder().installed():  # pragma: no cover - model package missing
    pytest.skip("embedding model not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory):
    base = tmp_path_factory.mktemp("small")
    root = base / "firm"
    manifest = generate_firm(root, projects=4, seed=3, content=True)
    app = App.open(load_config(db=base / "q.db", roots=[root], env={}))
    app.indexing.reindex()
    app.search.index_content(extract=True, embed=False)
    yield app, root, manifest
    app.close()


def test_embed_worker_is_resumable_and_feeds_semantic_search(small) -> None:
    app, _, manifest = small
    status = app.search.index_status()
    assert status.embeddings_done == 0 and status.embeddings_pending == status.documents
    first = EmbedWorker(app.store, app.search.embedder, batch_size=16).run(max_docs=32)
    assert first.documents == 32
    assert app.search.index_status().embeddings_done == 32
    rest = EmbedWorker(app.store, app.search.embedder, batch_size=32).run()
    assert rest.identity == status.documents - 32  # resumed where it stopped
    assert rest.content == status.content_ok  # then the documents with text
    assert rest.projects == len(manifest.projects)
    again = EmbedWorker(app.store, app.search.embedder).run()
    assert again.documents == 0  # nothing changed, nothing embedded
    status = app.search.index_status()
    assert status.semantic_available and status.semantic_status == "ready"
    assert status.embeddings_done == status.documents

    p = manifest.projects[0]
    out = app.search.search_documents("safety hazards for working at heights on site", mode="semantic", limit=5)
    assert out.semantic and out.documents
    assert any(w.startswith("semantic") for w in out.documents[0].why)
    hybrid = app.search.search_documents(f"the sales and PO report for {p.client_name}")
    assert hybrid.semantic and hybrid.documents[0].doc_type == "sales_po"
    proj = app.search.search_projects(p.client_name, mode="semantic")
    assert proj.semantic and proj.projects


def test_query_texts_the_model_reads_alike_are_embedded_once(small) -> None:
    import numpy as np

    app, _, _ = small
    sem = app.search.semantic
    sem.clear()
    a = sem.query_vector("Hearing  Loop upgrade")
    assert sem.query_vector("hearing loop UPGRADE") is a  # one cached embedding
    sem.clear()
    b = sem.query_vector("hearing loop UPGRADE")
    np.testing.assert_allclose(a, b, atol=1e-6)  # and the model gives these texts the same one
    assert not np.allclose(sem.query_vector("hearing loop upgrades"), a, atol=1e-3)


def test_model_unavailable_falls_back_to_lexical(small, tmp_path: Path) -> None:
    app, _, manifest = small
    from quicknav_mcp.search.service import SearchService

    svc = SearchService(app.store, app.projects, embedder=Embedder("none"))
    status = svc.index_status()
    assert not status.semantic_available and status.semantic_status.startswith("unavailable")
    out = svc.search_documents(manifest.projects[0].code + " sales po")
    assert not out.semantic and out.documents
    broken = SearchService(app.store, app.projects, embedder=Embedder(str(tmp_path / "no-model")))
    assert "unavailable" in broken.index_status().semantic_status
    assert broken.search_projects(manifest.projects[1].code).projects[0].project_number == manifest.projects[1].code
    # Asked for by meaning only: the answer says why it holds no vector matches.
    for service in (svc, broken):
        docs = service.search_documents("safety for working at heights", mode="semantic")
        projects = service.search_projects("hearing loop upgrade", mode="semantic")
        for out in (docs, projects):
            assert not out.semantic
            said = [s for s in out.suggestions if "not answered by meaning" in s]
            assert len(said) == 1 and "unavailable" in said[0], out.suggestions


def test_server_start_does_not_import_torch(tmp_path: Path) -> None:
    code = (
        "import sys, anyio\n"
        "from mcp import Client\n"
        "from quicknav_mcp.app import App\n"
        "from quicknav_mcp.config import load_config\n"
        "from quicknav_mcp.server import build_server\n"
        f"cfg = load_config(db={str(tmp_path / 'x.db')!r}, env={{}})\n"
        "async def main():\n"
        "    async with Client(build_server(lambda: App.open(cfg))) as c:\n"
        "        names = {t.name for t in (await c.list_tools()).tools}\n"
        "        assert {'search_documents', 'search_projects', 'suggest'} <= names\n"
        "        await c.call_tool('search_projects', {'query': 'x'})\n"
        "anyio.run(main)\n"
        "print('torch' in sys.modules, 'sentence_transformers' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QUICKNAV_LOG_LEVEL": "WARNING"},
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "False False"


def test_a_project_search_while_the_model_closes_answers_by_words(tmp_path: Path) -> None:
    """Shutdown interrupts the model before searches still running end: a project search that would
    embed the projects' descriptions then ranks by words instead of failing."""
    root = tmp_path / "firm"
    manifest = generate_firm(root, projects=4, seed=3)
    app = App.open(load_config(db=tmp_path / "q.db", roots=[root], env={}))
    try:
        app.indexing.reindex()
        app.search.index_content(extract=False, embed=True)
        q = f"hearing loop upgrade for {manifest.projects[0].client_name}"
        assert app.search.search_documents(q, mode="hybrid").documents  # the query's vector is now cached
        app.search.embedder.interrupt()  # what App.close does first
        out = app.search.search_projects(q, mode="hybrid")
        assert out.projects
        assert out.projects[0].project_number == manifest.projects[0].code
        app.search.semantic.clear()  # no cached query vector: the closed model must embed it
        meaning = app.search.search_documents("safety for working at heights", mode="semantic")
        assert not meaning.semantic
        assert any("closed" in s and "not answered by meaning" in s for s in meaning.suggestions), meaning.suggestions
    finally:
        app.close()
