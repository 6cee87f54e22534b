"""Online feedback on models: impressions, clicks, CTR and hit rate, read from the event log.

What a serving model logs (the convention both sides of the log follow):

* ``recommendation_impression`` (or ``prediction_shown``, or a ranked ``document_search``) with metadata built by
  :func:`impression_metadata`: ``model``, ``model_version``, ``ab_test``/``variant`` when the
  user is in an experiment, ``impression_id``, and ``items`` (project numbers or document paths).
* ``recommendation_click`` with ``project_id``/``document_id`` and metadata ``impression_id``
  (``model``/``model_version`` optional). A click without an impression id is credited to the
  user's latest impression in the hour before it that showed the clicked item.

CTR = clicks / impressions. Hit rate = share of impressions after which, within a day, the user
opened or viewed one of the shown items by any route (not only by clicking).
"""

from __future__ import annotations

import json
import math
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

IMPRESSION_TYPES = ("recommendation_impression", "prediction_shown", "document_search")  # see search_sessions
CLICK = "recommendation_click"
HIT_TYPES = ("project_view", "document_access", "recommendation_click")
CLICK_WINDOW_MS = 3_600_000
HIT_WINDOW_MS = 86_400_000
MAX_ITEMS = 50


class Queryable(Protocol):
    def query(self, sql: str, params: Any = ()) -> list[Any]: ...


def impression_metadata(
    *,
    model: str,
    model_version: int | None,
    items: Sequence[str],
    ab_test: str | None = None,
    variant: int | None = None,
    impression_id: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Metadata for an impression event; the model fields come first so capping never drops them."""
    meta: dict[str, Any] = {"model": model, "model_version": model_version}
    if ab_test is not None:
        meta["ab_test"] = ab_test
        meta["variant"] = variant
    meta["impression_id"] = impression_id or uuid.uuid4().hex
    meta.update(extra)
    meta["items"] = [str(i) for i in items][:MAX_ITEMS]
    return meta


@dataclass(frozen=True)
class Impression:
    seq: int
    user_id: str
    ts_ms: int
    model: str
    version: int | None
    ab_test: str | None
    variant: int | None
    impression_id: str | None
    items: tuple[str, ...]


@dataclass
class Tally:
    """Counts for one group (a model version, or an A/B variant)."""

    impressions: int = 0
    clicks: int = 0
    hits: int = 0
    users: set[str] = field(default_factory=set)

    @property
    def ctr(self) -> float | None:
        return self.clicks / self.impressions if self.impressions else None

    @property
    def hit_rate(self) -> float | None:
        return self.hits / self.impressions if self.impressions else None


def wilson(successes: int, trials: int, z: float = 1.959964) -> tuple[float, float] | None:
    """The Wilson score interval for a proportion (95 % by default); None with no trials."""
    if trials <= 0:
        return None
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def event_metadata(text: str | None) -> dict[str, Any]:
    """An event's ``metadata`` column as a dict ({} when empty or not a JSON object)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


_meta = event_metadata


def time_window(since_ms: int | None, until_ms: int | None) -> tuple[str, list[int]]:
    """``" AND ts_ms >= ? AND ts_ms <= ?"`` (either side optional) and its parameters."""
    sql, params = "", []
    if since_ms is not None:
        sql += " AND ts_ms >= ?"
        params.append(since_ms)
    if until_ms is not None:
        sql += " AND ts_ms <= ?"
        params.append(until_ms)
    return sql, params


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _item_key(item: Any) -> str | None:
    if isinstance(item, str | int) and not isinstance(item, bool):
        return str(item)
    if isinstance(item, dict):
        for key in ("project_number", "path", "doc_type", "id"):
            if isinstance(item.get(key), str | int):
                return str(item[key])
    return None


def impressions(
    db: Queryable,
    model: str,
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
    ab_test: str | None = None,
) -> list[Impression]:
    """The impressions a model logged, oldest first."""
    sql = (
        "SELECT seq, user_id, ts_ms, metadata, project_id, document_id FROM events"
        f" WHERE event_type IN ({','.join('?' * len(IMPRESSION_TYPES))})"
        " AND json_extract(metadata, '$.model') = ?"
    )
    params: list[Any] = [*IMPRESSION_TYPES, model]
    if ab_test is not None:
        sql += " AND json_extract(metadata, '$.ab_test') = ?"
        params.append(ab_test)
    window, window_params = time_window(since_ms, until_ms)
    sql += window
    params += window_params
    out = []
    for r in db.query(sql + " ORDER BY ts_ms, seq", params):
        meta = _meta(r[3])
        raw_items = meta.get("items") if isinstance(meta.get("items"), list) else [r[4] or r[5]]
        items = tuple(k for k in (_item_key(i) for i in raw_items) if k)
        out.append(
            Impression(
                seq=r[0],
                user_id=r[1],
                ts_ms=r[2],
                model=model,
                version=_int(meta.get("model_version")),
                ab_test=meta.get("ab_test") if isinstance(meta.get("ab_test"), str) else None,
                variant=_int(meta.get("variant")),
                impression_id=meta.get("impression_id") if isinstance(meta.get("impression_id"), str) else None,
                items=items,
            )
        )
    return out


def _user_events(db: Queryable, types: Sequence[str], users: Iterable[str], since_ms: int, until_ms: int) -> list[Any]:
    users = sorted(set(users))
    rows: list[Any] = []
    for i in range(0, len(users), 500):  # SQLite's parameter limit
        chunk = users[i : i + 500]
        rows.extend(
            db.query(
                "SELECT user_id, event_type, project_id, document_id, metadata, ts_ms FROM events"
                f" WHERE event_type IN ({','.join('?' * len(types))}) AND user_id IN ({','.join('?' * len(chunk))})"
                " AND ts_ms >= ? AND ts_ms <= ? ORDER BY ts_ms",
                [*types, *chunk, since_ms, until_ms],
            )
        )
    return rows


def tally(db: Queryable, shown: Sequence[Impression], *, key: str = "version") -> dict[int | None, Tally]:
    """Impressions, clicks and hits grouped by ``version`` or ``variant``."""
    groups: dict[int | None, Tally] = defaultdict(Tally)
    if not shown:
        return {}
    by_id = {imp.impression_id: imp for imp in shown if imp.impression_id}
    by_user: dict[str, list[Impression]] = defaultdict(list)
    for imp in shown:
        by_user[imp.user_id].append(imp)
        group = groups[getattr(imp, key)]
        group.impressions += 1
        group.users.add(imp.user_id)
    start = min(i.ts_ms for i in shown)
    end = max(i.ts_ms for i in shown) + HIT_WINDOW_MS
    clicked: set[int] = set()
    hit: set[int] = set()
    for user, etype, project, document, metadata, ts in _user_events(db, HIT_TYPES, by_user, start, end):
        targets = {t for t in (project, document) if t}
        own = by_user[user]
        if etype == CLICK:
            imp_id = _meta(metadata).get("impression_id")
            imp = by_id.get(imp_id) if isinstance(imp_id, str) else None
            if imp is None:  # credit the latest impression in the hour before that showed it
                imp = next(
                    (i for i in reversed(own) if i.ts_ms <= ts <= i.ts_ms + CLICK_WINDOW_MS and targets & set(i.items)),
                    None,
                )
            if imp is not None and imp.seq not in clicked:
                clicked.add(imp.seq)
                groups[getattr(imp, key)].clicks += 1
        for imp in own:
            if imp.seq not in hit and imp.ts_ms <= ts <= imp.ts_ms + HIT_WINDOW_MS and targets & set(imp.items):
                hit.add(imp.seq)
                groups[getattr(imp, key)].hits += 1
    return dict(groups)


# ---- behaviour reads (segments, forecasts, anomalies) --------------------------------------
# Events a person caused; tool calls and what models showed are the system's own, not behaviour.
BEHAVIOUR_TYPES = (
    "project_view",
    "project_search",
    "document_access",
    "document_search",
    "recommendation_click",
    "user_login",
)


@dataclass(frozen=True, slots=True)
class Event:
    seq: int
    user_id: str
    event_type: str
    project_id: str | None
    document_id: str | None
    query: str | None
    result_count: int | None
    ts_ms: int


def behaviour(
    db: Queryable,
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
    project: str | None = None,
    types: Sequence[str] = BEHAVIOUR_TYPES,
) -> list[Event]:
    """People's events between two instants (inclusive), oldest first."""
    sql = (
        "SELECT seq, user_id, event_type, project_id, document_id, query, result_count, ts_ms FROM events"
        f" WHERE event_type IN ({','.join('?' * len(types))})"
    )
    params: list[Any] = list(types)
    window, window_params = time_window(since_ms, until_ms)
    sql += window
    params += window_params
    if project is not None:
        sql += " AND project_id = ?"
        params.append(project)
    return [Event(*r) for r in db.query(sql + " ORDER BY ts_ms, seq", params)]


def behaviour_span(db: Queryable, types: Sequence[str] = BEHAVIOUR_TYPES) -> tuple[int, int] | None:
    """First and last timestamp of people's events, or None for an empty log."""
    row = db.query(
        f"SELECT MIN(ts_ms), MAX(ts_ms) FROM events WHERE event_type IN ({','.join('?' * len(types))})", list(types)
    )
    if not row or row[0][0] is None:
        return None
    return int(row[0][0]), int(row[0][1])
