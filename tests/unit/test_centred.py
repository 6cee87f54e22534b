"""Project summary vectors with their common direction taken out (search/centred.py)."""

from __future__ import annotations

import numpy as np

from quicknav_mcp.search.centred import CentredChunks, centred, centred_query


def _unit(m: np.ndarray) -> np.ndarray:
    return m / np.linalg.norm(m, axis=-1, keepdims=True)


def _summaries() -> np.ndarray:
    """Three summaries that share most of their direction (every job is "a room, some works")."""
    common = np.zeros(8, np.float32)
    common[0] = 1.0
    rows = np.stack([common + 0.3 * np.eye(8, dtype=np.float32)[i] for i in (1, 2, 3)])
    return _unit(rows).astype(np.float32)


def test_what_the_rows_share_is_taken_out_and_rows_stay_unit() -> None:
    m = _summaries()
    out, mean = centred(m, share=1.0)
    assert np.allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    plain = (m @ m.T)[~np.eye(3, dtype=bool)]
    apart = (out @ out.T)[~np.eye(3, dtype=bool)]
    assert plain.min() > 0.9 and apart.max() < 0.0  # nearly equal before, told apart after
    assert np.allclose(mean, m.mean(axis=0))


def test_a_request_near_one_summarys_own_part_ranks_it_clearly_first() -> None:
    m = _summaries()
    query = _unit(np.array([1.0, 0.25, 0.15, 0, 0, 0, 0, 0], np.float32))
    plain = m @ query
    chunks, q = CentredChunks(share=0.8)(m, query)
    sharp = chunks @ q
    assert int(np.argmax(sharp)) == int(np.argmax(plain)) == 0
    assert sharp[0] - sharp[1] > 3 * (plain[0] - plain[1])  # the margin that decides grows
    assert np.isclose(np.linalg.norm(q), 1.0)


def test_the_centred_matrix_is_made_once_per_build_and_keeps_its_dtype() -> None:
    m16 = _summaries().astype(np.float16)
    centre = CentredChunks()
    first, _ = centre(m16, m16[0].astype(np.float32))
    again, _ = centre(m16, m16[1].astype(np.float32))
    assert first is again and first.dtype == np.float16
    rebuilt, _ = centre(m16.copy(), m16[0].astype(np.float32))
    assert rebuilt is not first
    assert np.allclose(centred_query(m16[0], None), m16[0].astype(np.float32))
    empty = np.zeros((0, 8), np.float32)
    out, mean = centred(empty)
    assert out is empty and mean is None


def test_each_project_keeps_its_best_plain_and_best_centred_similarity() -> None:
    m = _summaries()
    chunks = np.vstack([m[0], m[1], m[2], m[0]])  # project 0: rows 0-1, project 1: rows 2-3
    query = _unit(np.array([1.0, 0.1, 0.3, 0, 0, 0, 0, 0], np.float32))
    plain, centred_best = CentredChunks(share=0.8).best(chunks, query, np.array([0, 2]))
    assert np.allclose(plain, [max(m[0] @ query, m[1] @ query), max(m[2] @ query, m[0] @ query)], atol=1e-5)
    assert int(np.argmax(centred_best)) == 0  # the second row of project 0 is the one the query leans to
    assert plain.min() > 0.9 and centred_best.max() - centred_best.min() > 10 * (plain.max() - plain.min())
    same, again = CentredChunks().best(chunks, query, np.array([0, 2]), centre=False)
    assert same is again and np.allclose(same, plain)
