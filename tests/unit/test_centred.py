"""Project summary vectors with their common direction taken out (search/centred.py)."""

from __future__ import annotations

import numpy as np

from quicknav_mcp.search.centred import CentredChunks
from quicknav_mcp.search.vector_index import as_float32, to_storage


def _unit(m: np.ndarray) -> np.ndarray:
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


def _summaries() -> np.ndarray:
    """Three summaries that share most of their direction (every job is "a room, some works")."""
    common = np.zeros(8, np.float32)
    common[0] = 1.0
    rows = np.stack([common + 0.3 * np.eye(8, dtype=np.float32)[i] for i in (1, 2, 3)])
    return _unit(rows).astype(np.float32)


def _reference(chunks: np.ndarray, query: np.ndarray, share: float) -> np.ndarray:
    """Cosine similarity after taking ``share`` of the rows' mean out of rows and query."""
    rows = as_float32(chunks)
    mean = rows.mean(axis=0)
    return _unit(rows - share * mean) @ _unit(query - share * mean)


def test_centred_similarity_is_the_cosine_without_the_shared_direction() -> None:
    rng = np.random.default_rng(3)
    chunks = _unit(rng.normal(size=(12, 16)).astype(np.float32) + 2.0)
    query = _unit(rng.normal(size=16).astype(np.float32) + 1.0)
    starts = np.arange(12)
    for share in (0.5, 0.8, 1.0):
        plain, sharp = CentredChunks(share).best(chunks, query, starts)
        assert np.allclose(plain, chunks @ query, atol=1e-5)
        assert np.allclose(sharp, _reference(chunks, query, share), atol=1e-4)


def test_a_request_near_one_summarys_own_part_ranks_it_clearly_first() -> None:
    m = _summaries()
    query = _unit(np.array([1.0, 0.25, 0.15, 0, 0, 0, 0, 0], np.float32))
    plain, sharp = CentredChunks(share=0.8).best(m, query, np.arange(3))
    assert plain.min() > 0.9  # nearly alike before
    assert int(np.argmax(sharp)) == int(np.argmax(plain)) == 0
    assert sharp[0] - sharp[1] > 3 * (plain[0] - plain[1])  # the margin that decides grows


def test_each_project_keeps_its_best_rows_and_stats_are_made_once_per_build() -> None:
    m = to_storage(_summaries(), "int16")  # as a build holds them
    chunks = np.vstack([m[0], m[1], m[2], m[0]])  # project 0: rows 0-1, project 1: rows 2-3
    query = _unit(np.array([1.0, 0.1, 0.3, 0, 0, 0, 0, 0], np.float32))
    centre = CentredChunks(share=0.8)
    plain, sharp = centre.best(chunks, query, np.array([0, 2]))
    rows = as_float32(chunks) @ query
    assert np.allclose(plain, [rows[:2].max(), rows[2:].max()], atol=2e-3)
    ref = _reference(chunks, query, 0.8)
    assert np.allclose(sharp, [ref[:2].max(), ref[2:].max()], atol=2e-3)
    held = centre._last
    centre.best(chunks, query, np.array([0, 2]))
    assert centre._last is held
    centre.best(chunks.copy(), query, np.array([0, 2]))
    assert centre._last is not held
    same, again = CentredChunks().best(chunks, query, np.array([0, 2]), centre=False)
    assert same is again and np.allclose(same, plain)
