"""Reciprocal rank fusion and the analytics signals used when re-ranking."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable, Sequence

from ..store import Store

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


class Signals:
    """Popularity per project and each user's recent projects, from the analytics rollups.

    Checked with a cheap query; everything is skipped when the tables do not exist. Cached for
    ``ttl`` seconds.
    """

    def __init__(self, store: Store, *, ttl: float = 60.0, days: int = 90) -> None:
        self.store = store
        self.ttl = ttl
        self.days = days
        self._lock = threading.Lock()
        self._at = -1e9
        self._tables: set[str] = set()
        self._popularity: dict[str, float] = {}
        self._users: dict[str, tuple[float, dict[str, float]]] = {}

    def _tables_present(self) -> set[str]:
        rows = self.store.query(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN "
            "('an_project_day', 'an_project_day_user', 'an_query_day')"
        )
        return {r[0] for r in rows}

    def refresh(self) -> None:
        now = time.monotonic()
        if now - self._at < self.ttl:
            return
        with self._lock:
            if now - self._at < self.ttl:
                return
            self._tables = self._tables_present()
            pop: dict[str, float] = {}
            if "an_project_day" in self._tables:
                since = int(time.time() // 86400) - self.days
                try:
                    rows = self.store.query(
                        "SELECT project_id, sum(views + document_opens + searches) FROM an_project_day "
                        "WHERE day >= ? GROUP BY project_id",
                        (since,),
                    )
                    top = max((r[1] or 0 for r in rows), default=0)
                    if top > 0:
                        pop = {str(r[0]): math.log1p(r[1] or 0) / math.log1p(top) for r in rows if r[0]}
                except Exception:  # a different analytics schema: no popularity
                    pop = {}
            self._popularity = pop
            self._users = {}
            self._at = now

    @property
    def available(self) -> bool:
        self.refresh()
        return bool(self._tables)

    def popularity(self, code: str) -> float:
        """0..1, how much the project was used lately relative to the busiest one."""
        self.refresh()
        return self._popularity.get(code, 0.0)

    def popularity_map(self) -> dict[str, float]:
        self.refresh()
        return self._popularity

    def recent_for(self, user_id: str | None) -> dict[str, float]:
        """Projects ``user_id`` touched in the last 30 days: code -> 0..1 recency-weighted activity."""
        if not user_id:
            return {}
        self.refresh()
        if "an_project_day_user" not in self._tables:
            return {}
        held = self._users.get(user_id)
        if held is not None and time.monotonic() - held[0] < self.ttl:
            return held[1]
        today = int(time.time() // 86400)
        try:
            rows = self.store.query(
                "SELECT project_id, day, events FROM an_project_day_user WHERE user_id = ? AND day >= ?",
                (user_id, today - 30),
            )
        except Exception:
            return {}
        acc: dict[str, float] = {}
        for code, day, events in rows:
            acc[str(code)] = acc.get(str(code), 0.0) + (events or 0) * math.exp(-(today - day) / 10)
        top = max(acc.values(), default=0.0)
        out = {k: v / top for k, v in acc.items()} if top else {}
        with self._lock:
            self._users[user_id] = (time.monotonic(), out)
        return out
