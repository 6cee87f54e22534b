"""Usage figures for search, from the analytics rollups: how popular each project is lately,
which projects a user touched recently, and which queries people often run.

Implements search's ``PopularitySource`` (``quicknav_mcp.search.popularity``); the application
hands it to search, so search never reads the ``an_*`` tables itself. Everything is skipped when
the tables do not exist (a store opened before analytics' migration, a different schema).
"""

from __future__ import annotations

import math
import threading
import time

from ..store import Store
from .localtime import local_time
from .rollups import ZONE_KEY

POPULARITY_DAYS = 90  # window of project popularity
RECENT_DAYS = 30  # window of a user's recent projects
RECENT_HALF_LIFE_DAYS = 10  # e-folding time of a day's activity in a user's recency
QUERY_DAYS = 180  # window of frequent queries
MIN_QUERY_SEARCHES = 3  # a one-off query is never suggested to everyone
MAX_QUERIES = 2000


class Popularity:
    """Popularity per project and each user's recent projects, cached for ``ttl`` seconds (the
    popularity map is the same object until it is recomputed)."""

    def __init__(self, store: Store, *, ttl: float = 60.0, days: int = POPULARITY_DAYS) -> None:
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

    def _today(self) -> int:
        """Today's day number in the zone the rollups were bucketed in (their ``day`` columns)."""
        try:
            row = self.store.query_one("SELECT value FROM an_meta WHERE key = ?", (ZONE_KEY,))
        except Exception:  # no analytics tables yet
            row = None
        return local_time(str(row[0]) if row else "UTC").day(int(time.time() * 1000))

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
                since = self._today() - self.days
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
        today = self._today()
        try:
            rows = self.store.query(
                "SELECT project_id, day, events FROM an_project_day_user WHERE user_id = ? AND day >= ?",
                (user_id, today - RECENT_DAYS),
            )
        except Exception:
            return {}
        acc: dict[str, float] = {}
        for code, day, events in rows:
            acc[str(code)] = acc.get(str(code), 0.0) + (events or 0) * math.exp(-(today - day) / RECENT_HALF_LIFE_DAYS)
        top = max(acc.values(), default=0.0)
        out = {k: v / top for k, v in acc.items()} if top else {}
        with self._lock:
            self._users[user_id] = (time.monotonic(), out)
        return out

    def frequent_queries(self) -> list[tuple[str, int]]:
        """Queries searched at least ``MIN_QUERY_SEARCHES`` times with results lately, most first.

        Read afresh on each call (the suggester calls it only when it rebuilds)."""
        if self.store.query_one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'an_query_day'") is None:
            return []
        try:
            day = self._today() - QUERY_DAYS
            rows = self.store.query(
                "SELECT query, sum(searches) n FROM an_query_day WHERE day >= ? AND zero_results < searches "
                "GROUP BY query HAVING n >= ? ORDER BY n DESC LIMIT ?",
                (day, MIN_QUERY_SEARCHES, MAX_QUERIES),
            )
        except Exception:  # analytics schema differs: no query suggestions
            return []
        return [(r[0], int(r[1])) for r in rows if r[0] and len(r[0]) <= 200]
