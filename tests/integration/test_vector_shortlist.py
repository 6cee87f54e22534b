"""Vector search through the shortlist index on a real store: built on a thread after a load,
kept current when vectors are re-embedded, exact within a list of ids and below its size."""

from __future__ import annotations

import threading
import time
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


def test_new_directions_asked_for_during_a_build_are_found_by_the_next_one(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [r[0] for r in app.store.query("SELECT id FROM documents ORDER BY id")]
    rng = np.random.default_rng(5)
    embed(app, ids, unit(rng.standard_normal((len(ids), DIM)) + 3.0), seq=1)
    build, release, asked = vector_index.Shortlist.build, threading.Event(), []

    def held_build(matrix: np.ndarray, *, basis=None):  # the first build waits until the vectors changed
        asked.append(basis)
        if len(asked) == 1:
            assert release.wait(30)
        return build(matrix, basis=basis)

    monkeypatch.setattr(vector_index.Shortlist, "build", staticmethod(held_build))
    index = MatrixIndex(app.store, "vec_documents")
    index.refresh(MODEL)  # the first build starts on a thread and waits
    deadline = time.monotonic() + 30
    while not asked and time.monotonic() < deadline:
        time.sleep(0.01)
    embed(app, ids, unit(rng.standard_normal((len(ids), DIM)) - 3.0), seq=2)  # every vector re-embedded
    index.refresh(MODEL)  # new directions are asked for while the first build still runs
    release.set()
    assert index.wait_indexed(30)
    assert len(asked) == 2 and asked[1] is None  # found again, not the first build's directions reused
    matrix, _, shortlist = index._view
    assert shortlist is not None  # its mean is the re-embedded vectors' (the first build's was the opposite)
    np.testing.assert_allclose(shortlist.mean, vector_index.as_float32(matrix).mean(axis=0), atol=1e-4)


def test_hits_are_plain_numbers_at_or_above_the_floor_best_first(app: App) -> None:
    index = MatrixIndex(app.store, "vec_documents")
    rows = unit(np.random.default_rng(2).standard_normal((40, DIM)))
    rows[7] = rows[3]  # equal similarities: by id
    index.replace(list(range(100, 140)), rows, MODEL)
    q = rows[3]
    sims = vector_index.product(index._view[0], q)
    floor = float(np.sort(sims)[-6])  # a similarity held: the floor keeps it (compared as float32)
    hits = index.search(q, 20, min_sim=floor)
    assert [type(i) for i, _ in hits] == [int] * 6 and [type(s) for _, s in hits] == [float] * 6
    assert hits[0][0] == 103 and hits[1][0] == 107 and hits[0][1] == hits[1][1]
    assert [s for _, s in hits] == sorted(sims.tolist(), reverse=True)[:6]
    assert index.search(q, 20, min_sim=2.0) == []
