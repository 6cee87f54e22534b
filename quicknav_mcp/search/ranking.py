"""Reciprocal rank fusion of ranked id lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

RRF_K = 60


def rrf(
    lists: Iterable[tuple[str, float, Sequence[int]]], k: int = RRF_K
) -> tuple[dict[int, float], dict[int, list[str]]]:
    """Fuse ranked id lists: ``score(id) = sum(weight / (k + rank))``; also which lists had each id."""
    scores: dict[int, float] = {}
    sources: dict[int, list[str]] = {}
    for name, weight, ids in lists:
        seen: set[int] = set()
        for rank, item in enumerate(ids, start=1):
            if item in seen:
                continue
            seen.add(item)
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
            sources.setdefault(item, []).append(name)
    return scores, sources
