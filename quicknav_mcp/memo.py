"""Bounded memos: plain dicts that start over when full.

A memo here holds answers that are the same for as long as what they were worked out from (a
vocabulary, a table build) lives; its owner drops it with that. Starting over when full keeps
memory bounded with no bookkeeping on the hot path (an LRU would cost more per hit than most
entries save), and an answer worked out again is the same answer.
"""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def remember(memo: dict[K, V], key: K, value: V, limit: int) -> V:
    """Keep ``value`` under ``key`` in ``memo`` (emptied first when it holds ``limit`` entries); returns ``value``."""
    if len(memo) >= limit:
        memo.clear()
    memo[key] = value
    return value
