"""The shortlist index of vector search: what it finds against the exact product, and how it
follows added and re-embedded vectors."""

from __future__ import annotations

import numpy as np
import pytest

from quicknav_mcp.search import vector_index
from quicknav_mcp.search.vector_index import Shortlist


def cone(n: int, dim: int = 64, seed: int = 0) -> np.ndarray:
    """Unit vectors the way a firm's are: a shared direction, a few topics, a little noise."""
    rng = np.random.default_rng(seed)
    common = rng.standard_normal(dim)
    topics = rng.standard_normal((12, dim))
    rows = 2.0 * common + rng.standard_normal((n, 12)) @ topics + 0.3 * rng.standard_normal((n, dim))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def small_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vector_index, "DIRECTIONS", 16)
    monkeypatch.setattr(vector_index, "SHORTLIST", 300)
    monkeypatch.setattr(vector_index, "SHORTLIST_PER_K", 3)


def top(matrix: np.ndarray, q: np.ndarray, k: int, rows: np.ndarray | None = None) -> list[int]:
    rows = np.arange(len(matrix)) if rows is None else rows
    sims = matrix[rows] @ q
    return [int(r) for r in rows[np.argsort(-sims, kind="stable")[:k]]]


def test_the_shortlist_holds_the_exact_nearest(small_lists: None) -> None:
    matrix = cone(6000)
    index = Shortlist.build(matrix)
    assert index.head.shape == (6000, 16) and index.head.dtype == np.int8
    assert index.head.nbytes == 6000 * 16
    queries = cone(60, seed=1)
    recalls, same_top10 = [], 0
    for q in queries:
        rows = index.candidates(q, 50)
        assert len(rows) == 300 and np.all(np.diff(rows) > 0)
        exact, approx = top(matrix, q, 50), top(matrix, q, 50, rows)
        recalls.append(len(set(exact) & set(approx)) / 50)
        same_top10 += exact[:10] == approx[:10]
    assert np.mean(recalls) >= 0.98
    assert same_top10 >= 0.9 * len(queries)


def test_a_shortlist_as_long_as_the_matrix_is_every_row(small_lists: None) -> None:
    matrix = cone(200)
    assert Shortlist.build(matrix).candidates(matrix[0], 10).tolist() == list(range(200))


def test_added_and_re_embedded_rows_are_projected_on_the_same_directions(small_lists: None) -> None:
    matrix = cone(3000)
    index = Shortlist.build(matrix)
    grown = np.vstack([matrix, cone(10, seed=5)])
    grown[7] = cone(1, seed=6)[0]  # re-embedded
    later = index.extended(grown, np.array([7]))
    assert later.basis is index.basis and later.added_since == 11 and not later.stale
    assert later.scale is index.scale
    # The same head a fresh build on these directions gives, up to rounding (its scales come from
    # its own sample, so the int8 steps differ a little).
    fresh = Shortlist.build(grown, basis=(index.mean, index.basis))
    step = np.maximum(later.scale, fresh.scale)
    unclipped = (np.abs(later.head.astype(np.int32)) < 127) & (np.abs(fresh.head.astype(np.int32)) < 127)
    assert unclipped.mean() > 0.99
    diff = np.abs(later.head * later.scale - fresh.head * fresh.scale)
    assert np.all(diff[unclipped] <= np.broadcast_to(step, diff.shape)[unclipped] + 1e-6)
    assert np.array_equal(later.head[:7], index.head[:7])  # the others are not projected again
    # The re-embedded and the new vectors are found by themselves.
    for row in (7, 3005):
        assert row in later.candidates(grown[row], 10).tolist()
    assert index.extended(grown, np.arange(2000)).stale  # most rows changed: find the directions again


@pytest.mark.parametrize("dtype", ["int16", "float16"])
def test_two_byte_matrices_are_scored_like_their_float32_values(dtype: str) -> None:
    matrix = vector_index.to_storage(cone(vector_index._PRODUCT_BLOCK * 2 + 37), dtype)  # blocks and a rest
    assert matrix.dtype == np.dtype(dtype)
    q = cone(1, seed=2)[0]
    got = vector_index.product(matrix, q)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, vector_index.as_float32(matrix) @ q, atol=1e-5)


@pytest.mark.parametrize("dtype", ["int16", "float16", "float32"])
def test_rows_gathered_block_by_block_score_as_gathered_first(dtype: str) -> None:
    matrix = vector_index.to_storage(cone(vector_index._PRODUCT_BLOCK * 4, dim=384), dtype)
    q = cone(1, dim=384, seed=4)[0]
    rng = np.random.default_rng(5)
    for rows in (
        np.sort(rng.choice(len(matrix), vector_index._PRODUCT_BLOCK * 2 + 37, replace=False)),  # blocks and a rest
        rng.permutation(len(matrix))[:50],  # any order (a scope's rows)
        np.zeros(0, dtype=np.int64),
    ):
        got = vector_index.product(matrix, q, rows)
        assert got.dtype == np.float32
        assert np.array_equal(got, vector_index.product(matrix[rows], q))  # bit for bit: the same blocks


def test_int16_steps_score_unit_vectors_at_least_as_closely_as_float16() -> None:
    rows, queries = cone(3000, dim=384), cone(50, dim=384, seed=9)
    held = vector_index.as_float32(vector_index.to_storage(rows, "int16"))
    assert np.abs(held - rows).max() <= 0.5 / vector_index.FIXED_SCALE + 1e-7
    exact = rows @ queries.T
    int16_err = np.abs(held @ queries.T - exact)
    half_err = np.abs(rows.astype(np.float16).astype(np.float32) @ queries.T - exact)
    assert int16_err.max() <= half_err.max() and int16_err.mean() <= half_err.mean()


def test_int16_storage_scales_rows_beyond_unit_length_and_says_so(caplog: pytest.LogCaptureFixture) -> None:
    unit = cone(3, dim=8)
    rows = unit.copy()
    rows[1] *= 3.0  # not a unit vector: clipping it would turn it towards the axes
    with caplog.at_level("WARNING", logger="quicknav_mcp.search.vector_index"):
        held = vector_index.as_float32(vector_index.to_storage(rows, "int16"))
    assert "1 of 3 vectors were longer than unit length" in caplog.text
    np.testing.assert_allclose(held, unit, atol=1 / vector_index.FIXED_SCALE)  # its direction kept
    assert rows[1].max() > 1  # the caller's rows are not changed
    caplog.clear()
    with caplog.at_level("WARNING", logger="quicknav_mcp.search.vector_index"):
        exact = vector_index.to_storage(unit, "int16")
    assert caplog.text == "" and np.abs(exact.astype(np.int32)).max() <= vector_index.FIXED_SCALE
    with pytest.raises(ValueError, match="unit vectors"):
        vector_index.to_storage(np.array([1.5, -2.0, 0.25]), "int16")


def test_the_head_is_the_rows_coordinates_in_int8_steps(small_lists: None) -> None:
    matrix = cone(4000)
    index = Shortlist.build(matrix)
    coords = (matrix - index.mean) @ index.basis.T
    assert np.all(np.abs(index.head.astype(np.int32)) <= 127)
    inside = np.abs(coords) <= 127 * index.scale  # the sample's largest sets the scale: a few rows clip
    assert inside.mean() > 0.99
    err = np.abs(index.head * index.scale - coords)
    assert np.all(err[inside] <= 0.5 * np.broadcast_to(index.scale, coords.shape)[inside] + 1e-6)
    assert np.all(index.head[~inside] == np.sign(coords[~inside]) * 127)  # clipped, not wrapped around


def test_int8_scores_are_exact_across_blocks() -> None:
    rng = np.random.default_rng(3)
    head = rng.integers(-127, 128, (vector_index._PRODUCT_BLOCK * 3 + 37, 128)).astype(np.int8)
    q8 = rng.integers(-127, 128, 128).astype(np.int8)
    got = vector_index.int8_product(head, q8)
    assert np.array_equal(got.astype(np.int64), head.astype(np.int64) @ q8.astype(np.int64))


def test_a_zero_query_does_not_fail(small_lists: None) -> None:
    index = Shortlist.build(cone(2000))
    rows = index.candidates(np.zeros(64, dtype=np.float32), 10)
    assert len(rows) == 300 and np.all(np.diff(rows) > 0)
