"""Search sessions read from the event log: what a search showed, and which of it was opened.

The convention both sides follow: a search that shows a ranked list logs a ``document_search``
event whose metadata is :func:`~.feedback.impression_metadata` (``model`` ``search_ranker``,
``model_version`` — null for the hand-weighted ranker — ``impression_id``, ``items``: the
root-relative paths shown, best first). A *click* is the same user opening one of those paths
(``document_access``, or ``recommendation_click`` naming the impression) within
:data:`CLICK_WINDOW_MS` and before their next search. Shown-and-not-opened items are the skips.

Like :mod:`.history`, this takes anything with ``query(sql, params)`` and returns plain values;
the ranker's trainer never reads the ``events`` table itself.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Protocol

from .feedback import event_metadata as _meta
from .feedback import time_window

SEARCH_MODEL = "search_ranker"
CLICK_WINDOW_MS = 10 * 60_000  # an open this soon after a search came from its results
OPEN_TYPES = ("document_access", "recommendation_click")


class Queryable(Protocol):
    def query(self, sql: str, params: Any = ()) -> list[Any]: ...


@dataclass(frozen=True, slots=True)
class SearchSession:
    """One search and what followed it."""

    seq: int
    user_id: str
    ts_ms: int
    query: str
    items: tuple[str, ...]  # shown, best first
    clicked: tuple[int, ...]  # positions (0-based) opened, in the order they were opened
    model_version: int | None

    @property
    def last_click(self) -> int | None:
        """The lowest position opened (everything above it was at least looked at)."""
        return max(self.clicked) if self.clicked else None


def search_sessions(
    db: Queryable,
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
    limit: int = 20_000,
    model: str = SEARCH_MODEL,
) -> list[SearchSession]:
    """The latest ``limit`` logged searches of ``model`` with their clicks, oldest first."""
    sql = (
        "SELECT seq, user_id, ts_ms, query, metadata FROM events WHERE event_type = 'document_search'"
        " AND json_extract(metadata, '$.model') = ?"
    )
    params: list[Any] = [model]
    window, window_params = time_window(since_ms, until_ms)
    sql += window
    params += window_params
    rows = db.query(sql + " ORDER BY ts_ms DESC, seq DESC LIMIT ?", [*params, int(limit)])
    rows.reverse()
    searches: list[tuple[int, str, int, str, tuple[str, ...], int | None, str | None]] = []
    for seq, user, ts, query, metadata in rows:
        meta = _meta(metadata)
        items = meta.get("items")
        if not query or not isinstance(items, list) or not items:
            continue
        version = meta.get("model_version")
        searches.append(
            (
                seq,
                user,
                ts,
                query,
                tuple(str(i) for i in items),
                version if isinstance(version, int) and not isinstance(version, bool) else None,
                meta.get("impression_id") if isinstance(meta.get("impression_id"), str) else None,
            )
        )
    if not searches:
        return []
    by_user: dict[str, list[int]] = defaultdict(list)
    for n, s in enumerate(searches):
        by_user[s[1]].append(n)
    clicks: dict[int, list[int]] = defaultdict(list)
    start = searches[0][2]
    end = searches[-1][2] + CLICK_WINDOW_MS
    users = sorted(by_user)
    for lo in range(0, len(users), 500):  # SQLite's parameter limit
        chunk = users[lo : lo + 500]
        opens = db.query(
            "SELECT user_id, document_id, metadata, ts_ms FROM events"
            f" WHERE event_type IN ({','.join('?' * len(OPEN_TYPES))}) AND user_id IN ({','.join('?' * len(chunk))})"
            " AND document_id IS NOT NULL AND ts_ms >= ? AND ts_ms <= ? ORDER BY ts_ms, seq",
            [*OPEN_TYPES, *chunk, start, end],
        )
        pointer: dict[str, int] = defaultdict(int)
        for user, document, metadata, ts in opens:
            own = by_user[user]
            i = pointer[user]
            while i + 1 < len(own) and searches[own[i + 1]][2] <= ts:
                i += 1  # the user's latest search at or before this open
            pointer[user] = i
            n = own[i]
            seq, _, sts, _, items, _, impression = searches[n]
            named = _meta(metadata).get("impression_id")
            if sts > ts or ts - sts > CLICK_WINDOW_MS or (isinstance(named, str) and named != impression):
                continue
            if document in items:
                pos = items.index(document)
                if pos not in clicks[n]:
                    clicks[n].append(pos)
    return [
        SearchSession(seq, user, ts, query, items, tuple(clicks.get(n, ())), version)
        for n, (seq, user, ts, query, items, version, _) in enumerate(searches)
    ]
