"""Identical copies share their group's best fused score (search/copies.py)."""

from __future__ import annotations

from dataclasses import dataclass

from quicknav_mcp.search.copies import copy_key, share_among_copies


@dataclass
class _Facts:
    project_id: int
    name: str


FACTS = {
    1: _Facts(7, "Rollout Schedule.pdf"),
    2: _Facts(7, "rollout schedule.PDF"),  # the same file name, written otherwise
    3: _Facts(7, "Rollout Schedule.pdf"),
    4: _Facts(8, "Rollout Schedule.pdf"),  # another project's file of the same name
    5: _Facts(7, "Handbook.pdf"),
    6: _Facts(7, "Rollout Schedule.pdf"),  # the same name, another file (another size)
}
SIZES = {1: 1000, 2: 1000, 3: 1000, 4: 1000, 5: 50, 6: 2048}


def _facts(ids):
    """Copy keys as ``DocumentSearch.copy_keys`` reads them from the store: the name's key and the size."""
    return {i: (copy_key(FACTS[i].project_id, FACTS[i].name), SIZES[i]) for i in ids}


def test_copies_take_their_groups_best_score() -> None:
    fused = {1: 0.2, 2: 0.9, 3: 0.1, 4: 0.5, 5: 0.7}
    changed = share_among_copies(fused, _facts)
    assert fused == {1: 0.9, 2: 0.9, 3: 0.9, 4: 0.5, 5: 0.7}
    assert changed == 2


def test_only_the_best_candidates_are_grouped() -> None:
    fused = {1: 0.9, 2: 0.8, 3: 0.01, 5: 0.5}
    share_among_copies(fused, _facts, top=2)
    assert fused[3] == 0.01  # outside the best two: left alone
    assert fused[1] == fused[2] == 0.9


def test_nothing_changes_without_facts_or_copies() -> None:
    fused = {1: 0.3, 5: 0.2}
    assert share_among_copies(fused, lambda ids: None) == 0
    assert share_among_copies(fused, _facts) == 0
    assert fused == {1: 0.3, 5: 0.2}
    assert share_among_copies({}, lambda ids: {}) == 0


def test_files_sharing_a_name_but_not_a_size_stay_apart() -> None:
    fused = {1: 0.9, 6: 0.3, 5: 0.2}
    assert share_among_copies(fused, _facts) == 0
    assert fused == {1: 0.9, 6: 0.3, 5: 0.2}
    fused = {1: 0.2, 3: 0.8, 6: 0.95}
    share_among_copies(fused, _facts)
    assert fused == {1: 0.8, 3: 0.8, 6: 0.95}  # 1 and 3 are copies; 6 only shares their name


def test_ids_without_a_key_have_no_copy() -> None:
    """The candidate table leaves out the ids that have no copy."""
    fused = {1: 0.2, 2: 0.9, 5: 0.7}
    assert share_among_copies(fused, lambda ids: {i: k for i, k in _facts(ids).items() if i != 2}) == 0
    assert fused == {1: 0.2, 2: 0.9, 5: 0.7}


def test_the_best_fused_are_taken_as_heapq_takes_them() -> None:
    """Ties (common: every list scores its ids alike) keep the dict's order, as nlargest does."""
    import heapq
    import random

    from quicknav_mcp.search.copies import _largest
    from quicknav_mcp.search.documents import best_first

    rng = random.Random(8)
    for _ in range(300):
        ids = rng.sample(range(10_000), rng.randint(1, 400))
        scores = {i: rng.choice([1 / 61, 1 / 62, 0.35 / 61, 1 / 61 + 0.5 / 70, rng.random()]) for i in ids}
        n = rng.choice([1, 10, 60, 500])
        assert _largest(scores, n) == heapq.nlargest(n, scores, key=scores.__getitem__)
        assert best_first(ids, scores) == sorted(sorted(ids), key=scores.__getitem__, reverse=True)
