"""The embedder's query encoding behind a breaker (the breaker itself is neutral, re-exported here)."""

from __future__ import annotations

from typing import Any

from ..breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, CircuitOpen

__all__ = ["CLOSED", "HALF_OPEN", "OPEN", "CircuitBreaker", "CircuitOpen", "GuardedEncoder", "guard_embedder"]


class GuardedEncoder:
    """A query encoder whose ``encode`` goes through a breaker; everything else is the wrapped one's.

    Search already treats a failed query embedding as "no semantic hits" (lexical results still
    come back), so an open breaker saves the time of calls that would fail anyway.
    """

    def __init__(self, encoder: Any, breaker: CircuitBreaker) -> None:
        self._encoder = encoder
        self.breaker = breaker

    def encode(self, texts: list[str]) -> Any:
        return self.breaker.call(self._encoder.encode, texts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._encoder, name)


def guard_embedder(search: Any, breaker: CircuitBreaker) -> CircuitBreaker:
    """Route the search service's query encoding through ``breaker`` (composition; idempotent)."""
    semantic = search.semantic
    if not isinstance(semantic.embedder, GuardedEncoder):
        semantic.embedder = GuardedEncoder(semantic.embedder, breaker)
    return semantic.embedder.breaker
