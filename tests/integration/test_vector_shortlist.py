"""Vector search through the shortlist index on a real store: built on a thread after a load,
kept current when vectors are re-embedded, exact within a list of ids and below its size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo import generate_firm
from quicknav_mcp.repo import vectors as vector_tables
from quicknav_mcp.search import vector_index
from quicknav_mcp.search.vectors import MatrixIndex

MODEL = "test-model"
DIM = 32


def unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    root = tmp_path / "firm"
    generate_firm(root, projects=4, seed=3, content=False)
    app = App.open(load_config(db=tmp_path / "q.db", roots=[root], env={}))
    app.indexing.reindex()
    if not vector_tables.ensure_table(app.store, "vec_documents", DIM):
        app.close()
        pytest.skip("sqlite-vec not available")
    # A small firm, so a small index: the same code paths as 116k documents with 96 directions.
    monkeypatch.setattr(vector_index, "EXACT_BELOW", 40)
    monkeypatch.setattr(vector_index, "DIRECTIONS", 8)
    monkeypatch.setattr(vector_index, "SHORTLIST", 30)
    monkeypatch.setattr(vector_index, "SHORTLIST_PER_K", 3)
    yield app
    app.close()


def embed(app: App, ids: list[int], rows: np.ndarray, seq: int) -> None:
    with app.store.transaction() as conn:
        vector_tables.write_vectors(conn, "vec_documents", ids, rows)
        conn.executemany(
            "INSERT INTO embedding_state (doc_id, sig, model, seq) VALUES (?, 'test', ?, ?) "
            "ON CONFLICT(doc_id) DO UPDATE SET seq = excluded.seq",
            [(i, MODEL, seq) for i in ids],
        )


def test_the_index_follows_the_vectors_and_answers_like_the_exact_product(app: App) -> None:
    ids = [r[0] for r in app.store.query("SELECT id FROM documents ORDER BY id")]
    assert len(ids) >= 60
    rng = np.random.default_rng(0)
    common, topics = rng.standard_normal(DIM), rng.standard_normal((4, DIM))
    embed(app, ids, unit(2 * common + rng.standard_normal((len(ids), 4)) @ topics), seq=1)

    index = MatrixIndex(app.store, "vec_documents")
    index.refresh(MODEL)
    assert index.wait_indexed(timeout=60)  # built on a thread after the load
    built = index._view[2]
    assert built is not None and len(built) == len(ids)
    for q in unit(2 * common + rng.standard_normal((20, 4)) @ topics):
        approx, exact = index.search(q, 5), index.search(q, 5, exact=True)
        assert [i for i, _ in approx] == [i for i, _ in exact]
        assert [s for _, s in approx] == pytest.approx([s for _, s in exact], abs=1e-6)
        # Within a list of ids every one of them is compared.
        scope = ids[::3]
        assert index.search(q, 5, allowed=scope) == index.search(q, 5, allowed=scope, exact=True)
        assert all(i in scope for i, _ in index.search(q, 5, allowed=scope))

    # A re-embedded document gets a head row on the same directions (no rebuild) and is found.
    moved = ids[10]
    target = unit(rng.standard_normal((1, DIM)))
    embed(app, [moved], target, seq=2)
    index.refresh(MODEL)
    kept = index._view[2]
    assert kept is not None and kept.basis is built.basis and kept.added_since == 1
    assert index.search(target[0], 1)[0][0] == moved

    # A deleted document makes a full reload: the rows are projected again on the same directions.
    with app.store.transaction() as conn:
        conn.execute("DELETE FROM embedding_state WHERE doc_id = ?", (ids[0],))
    index.refresh(MODEL)
    assert index.wait_indexed(timeout=60)
    reloaded = index._view[2]
    assert reloaded is not None and reloaded is not kept and reloaded.basis is built.basis
    assert len(reloaded) == len(ids) - 1
    assert ids[0] not in {i for i, _ in index.search(target[0], len(ids))}


def test_small_matrices_and_the_switch_stay_exact(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    index = MatrixIndex(app.store, "vec_documents")
    rows = unit(np.random.default_rng(1).standard_normal((30, DIM)))
    index.replace(list(range(1, 31)), rows, MODEL)
    assert not index.index_now()  # 30 rows: below EXACT_BELOW, one product is cheaper
    monkeypatch.setattr(vector_index, "EXACT_BELOW", 10)
    index.replace(list(range(1, 31)), rows, MODEL)
    assert index.index_now()
    index.approximate = False
    q = rows[4]
    assert index.search(q, 3) == index.search(q, 3, exact=True)
    assert index.search(q, 1)[0][0] == 5
