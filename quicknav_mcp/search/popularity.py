"""What search needs to know about use: how popular each project is lately, which projects a user
touched recently, and which queries people often run. Analytics implements it
(``quicknav_mcp.analytics.popularity``) and the application wires it in; search never reads the
analytics tables itself."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class PopularitySource(Protocol):
    def popularity_map(self) -> Mapping[str, float]:
        """Project code -> 0..1, use lately relative to the busiest project. The same object is
        returned until the figures change (callers cache what they derive from it by identity)."""
        ...

    def recent_for(self, user_id: str | None) -> Mapping[str, float]:
        """Project code -> 0..1, the user's recency-weighted activity (empty without a user)."""
        ...

    def frequent_queries(self) -> list[tuple[str, int]]:
        """Queries searched often enough (with results) to suggest to everyone, with counts."""
        ...


class NoPopularity:
    """No usage figures (a store without analytics, tests): nothing is boosted or suggested."""

    _EMPTY: Mapping[str, float] = {}

    def popularity_map(self) -> Mapping[str, float]:
        return self._EMPTY

    def recent_for(self, user_id: str | None) -> Mapping[str, float]:
        return {}

    def frequent_queries(self) -> list[tuple[str, int]]:
        return []
