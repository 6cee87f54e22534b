"""Identical copies share their group's best fused score (search/copies.py)."""

from __future__ import annotations

from dataclasses import dataclass

from quicknav_mcp.search.copies import share_among_copies


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
}


def test_copies_take_their_groups_best_score() -> None:
    fused = {1: 0.2, 2: 0.9, 3: 0.1, 4: 0.5, 5: 0.7}
    changed = share_among_copies(fused, lambda ids: {i: FACTS[i] for i in ids})
    assert fused == {1: 0.9, 2: 0.9, 3: 0.9, 4: 0.5, 5: 0.7}
    assert changed == 2


def test_only_the_best_candidates_are_grouped() -> None:
    fused = {1: 0.9, 2: 0.8, 3: 0.01, 5: 0.5}
    share_among_copies(fused, lambda ids: {i: FACTS[i] for i in ids}, top=2)
    assert fused[3] == 0.01  # outside the best two: left alone
    assert fused[1] == fused[2] == 0.9


def test_nothing_changes_without_facts_or_copies() -> None:
    fused = {1: 0.3, 5: 0.2}
    assert share_among_copies(fused, lambda ids: None) == 0
    assert share_among_copies(fused, lambda ids: {i: FACTS[i] for i in ids}) == 0
    assert fused == {1: 0.3, 5: 0.2}
    assert share_among_copies({}, lambda ids: {}) == 0
