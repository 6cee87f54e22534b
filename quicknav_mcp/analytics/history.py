"""The read API over the event log for learning: who touched which project or document, when.

Recommendations, predictions and the model service learn from the log but never query the
``events`` table themselves: they call these functions. Each takes anything with
``query(sql, params) -> rows`` (the :class:`~quicknav_mcp.store.Store`, or an analytics
:class:`~quicknav_mcp.analytics.db.Conn` of a background thread) and returns plain values.

Two shapes: :class:`Interaction` objects for small reads (one user's recent events, fold-in of
what arrived since a cursor), and :class:`InteractionColumns` (numpy arrays plus vocabularies)
for training over a million events, where a Python object per event would cost seconds.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from ..domain import classify_doc_type

if TYPE_CHECKING:
    import numpy as np

# Events that say a person worked on a project (and how strongly: used as default weights).
INTERACTION_WEIGHTS: dict[str, float] = {
    "document_access": 3.0,
    "project_view": 2.0,
    "recommendation_click": 2.0,
    "document_search": 1.0,
    "project_search": 0.5,  # only those that resolved to one project carry a project_id
}
INTERACTION_TYPES: tuple[str, ...] = tuple(INTERACTION_WEIGHTS)
_DIGITS_ONLY = re.compile(r"^\d+$")


class Queryable(Protocol):
    def query(self, sql: str, params: Any = ()) -> list[Any]: ...


@dataclass(frozen=True, slots=True)
class Interaction:
    """One event that ties a user to a project (and maybe a document)."""

    seq: int
    user_id: str
    event_type: str
    project_number: str
    document: str | None  # document id or path relative to its root, as tracked
    doc_type: str | None  # from the event's metadata, else parsed from the document's name
    ts_ms: int

    @property
    def timestamp(self) -> datetime:
        return datetime.fromtimestamp(self.ts_ms / 1000, UTC)


@dataclass(frozen=True, slots=True)
class InteractionColumns:
    """Interactions as parallel arrays, ordered by time; codes index the vocabularies."""

    users: tuple[str, ...]
    projects: tuple[str, ...]
    types: tuple[str, ...]
    user: np.ndarray  # int32 index into users
    project: np.ndarray  # int32 index into projects
    type: np.ndarray  # int8 index into types
    ts_ms: np.ndarray  # int64
    seq: np.ndarray  # int64

    def __len__(self) -> int:
        return int(self.ts_ms.shape[0])


def to_ms(value: datetime | int | None) -> int | None:
    """Epoch milliseconds from an aware datetime (naive = UTC) or ms, None passes through."""
    if value is None or isinstance(value, int):
        return value
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp() * 1000)


def doc_type_of(document: str | None, metadata: str | None) -> str | None:
    """The document family of a tracked document: the event's own label, else its name's."""
    if metadata:
        try:
            meta = json.loads(metadata)
        except ValueError:
            meta = None
        if isinstance(meta, dict) and isinstance(meta.get("doc_type"), str):
            return meta["doc_type"][:40]
    if not document or _DIGITS_ONLY.match(document):
        return None  # a bare document id carries no name to classify
    parts = [p for p in re.split(r"[/\\]", document) if p]
    if not parts:
        return None
    return classify_doc_type(parts[:-1], parts[-1])


def _where(
    since: int | None, until: int | None, types: Sequence[str], after_seq: int | None, users: Sequence[str] | None
) -> tuple[str, list[Any]]:
    clauses = ["project_id IS NOT NULL", f"event_type IN ({','.join('?' * len(types))})"]
    params: list[Any] = list(types)
    if since is not None:
        clauses.append("ts_ms >= ?")
        params.append(since)
    if until is not None:
        clauses.append("ts_ms <= ?")
        params.append(until)
    if after_seq is not None:
        clauses.append("seq > ?")
        params.append(after_seq)
    if users is not None:
        clauses.append(f"user_id IN ({','.join('?' * len(users))})")
        params.extend(users)
    return " AND ".join(clauses), params


def _rows_to_interactions(rows: Iterable[Any]) -> list[Interaction]:
    return [
        Interaction(
            seq=r[0],
            user_id=r[1],
            event_type=r[2],
            project_number=r[3],
            document=r[4],
            doc_type=doc_type_of(r[4], r[5]) if r[4] or r[5] else None,
            ts_ms=r[6],
        )
        for r in rows
    ]


_COLUMNS = "seq, user_id, event_type, project_id, document_id, metadata, ts_ms"


def interactions(
    db: Queryable,
    *,
    since: datetime | int | None = None,
    until: datetime | int | None = None,
    types: Sequence[str] = INTERACTION_TYPES,
    users: Sequence[str] | None = None,
) -> list[Interaction]:
    """Interactions with a project between ``since`` and ``until`` (inclusive), oldest first."""
    where, params = _where(to_ms(since), to_ms(until), types, None, users)
    rows = db.query(f"SELECT {_COLUMNS} FROM events WHERE {where} ORDER BY ts_ms, seq", params)
    return _rows_to_interactions(rows)


def since_event(
    db: Queryable, seq: int, *, limit: int = 10_000, types: Sequence[str] = INTERACTION_TYPES
) -> list[Interaction]:
    """Interactions stored after cursor ``seq`` (arrival order), at most ``limit`` — for fold-in."""
    where, params = _where(None, None, types, seq, None)
    rows = db.query(f"SELECT {_COLUMNS} FROM events WHERE {where} ORDER BY seq LIMIT ?", (*params, limit))
    return _rows_to_interactions(rows)


def recent(
    db: Queryable,
    user_id: str,
    *,
    until: datetime | int | None = None,
    limit: int = 200,
    types: Sequence[str] = INTERACTION_TYPES,
) -> list[Interaction]:
    """One user's latest interactions up to ``until`` (default: all), newest first.

    Served by the (user_id, ts_ms) index, so it costs the same at any log size.
    """
    until_ms = to_ms(until)
    marks = ",".join("?" * len(types))
    sql = (
        f"SELECT {_COLUMNS} FROM events WHERE user_id = ? AND ts_ms <= ? AND project_id IS NOT NULL "
        f"AND event_type IN ({marks}) ORDER BY ts_ms DESC, seq DESC LIMIT ?"
    )
    rows = db.query(sql, (user_id, until_ms if until_ms is not None else 2**62, *types, limit))
    return _rows_to_interactions(rows)


def last_seq(db: Queryable) -> int:
    """The newest event's cursor (0 for an empty log)."""
    return int(db.query("SELECT coalesce(max(seq), 0) FROM events")[0][0])


def time_span(db: Queryable, types: Sequence[str] = INTERACTION_TYPES) -> tuple[int, int] | None:
    """(first, last) event time in ms of the interactions, or None when there are none."""
    marks = ",".join("?" * len(types))
    row = db.query(
        f"SELECT min(ts_ms), max(ts_ms) FROM events WHERE project_id IS NOT NULL AND event_type IN ({marks})",
        tuple(types),
    )[0]
    return None if row[0] is None else (int(row[0]), int(row[1]))


# ---- the tail of the log, handed over in-process ---------------------------------------------------
TAIL_SIZE = 4096
_TYPES = frozenset(INTERACTION_TYPES)


class Tail:
    """The newest events this process stored in one database, so fold-in needs no query.

    The writer hands over the rows it has just committed with their sequence numbers; a
    reader asks for everything after its cursor. The answer is complete only when the buffer
    covers the cursor contiguously (another process may have written in between): otherwise
    ``after`` returns None and the reader falls back to :func:`since_event`.
    """

    def __init__(self, size: int = TAIL_SIZE) -> None:
        self._rows: deque[tuple[int, Any]] = deque(maxlen=size)
        self._lock = threading.Lock()
        self.high_water = 0  # newest sequence number this process stored

    def appended(self, first_seq: int, rows: Sequence[Any] | None, last_seq: int) -> None:
        """Rows ``first_seq..last_seq`` were committed; ``rows`` None when they are not known one by one."""
        with self._lock:
            if self._rows and self._rows[-1][0] != first_seq - 1:
                self._rows.clear()  # another writer took the numbers between: keep the buffer contiguous
            if rows is None or len(rows) != last_seq - first_seq + 1:
                self._rows.clear()  # a hole: readers behind it must query
            else:
                self._rows.extend(zip(range(first_seq, last_seq + 1), rows, strict=True))
            self.high_water = max(self.high_water, last_seq)

    def after(self, seq: int) -> tuple[list[Interaction], int] | None:
        """(interactions after cursor ``seq``, the new cursor) if the buffer holds every event since it.

        None when it does not (the reader must query). The new cursor also passes events that are
        not interactions, so a reader's cursor keeps up with the log.
        """
        with self._lock:
            if self.high_water <= seq:
                return [], seq
            # Writers hand over after their commits, so batches may arrive out of order: the buffer
            # must reach back to the cursor, and what it lacks beyond its end is read by query.
            if not self._rows or self._rows[0][0] > seq + 1 or self._rows[-1][0] <= seq:
                return None
            # the buffer is contiguous, so the rows after the cursor start at a known offset
            picked = list(islice(self._rows, max(0, seq + 1 - self._rows[0][0]), None))
            upto = self._rows[-1][0]
        handed = [
            Interaction(
                seq=s,
                user_id=r.user_id,
                event_type=r.event_type,
                project_number=r.project_id,
                document=r.document_id,
                doc_type=doc_type_of(r.document_id, r.metadata) if r.document_id or r.metadata else None,
                ts_ms=r.ts_ms,
            )
            for s, r in picked
            if r.project_id is not None and r.event_type in _TYPES
        ]
        return handed, upto


_TAILS: dict[str, Tail] = {}
_TAILS_GUARD = threading.Lock()


def tail(path: str | Path) -> Tail:
    """The process-wide tail of the event log in the database file at ``path``."""
    key = str(Path(path).resolve())
    with _TAILS_GUARD:
        found = _TAILS.get(key)
        if found is None:
            found = _TAILS[key] = Tail()
        return found


def known_users(db: Queryable) -> set[str]:
    """Every user id with at least one event (an unknown user gets a cold start)."""
    return {r[0] for r in db.query("SELECT DISTINCT user_id FROM events")}


def user_exists(db: Queryable, user_id: str) -> bool:
    return bool(db.query("SELECT 1 FROM events WHERE user_id = ? LIMIT 1", (user_id,)))


def columns(
    db: Queryable,
    *,
    since: datetime | int | None = None,
    until: datetime | int | None = None,
    types: Sequence[str] = INTERACTION_TYPES,
) -> InteractionColumns:
    """Interactions as arrays (for training): ~1 s per million events instead of objects."""
    import numpy as np

    where, params = _where(to_ms(since), to_ms(until), types, None, None)
    rows = db.query(
        f"SELECT seq, user_id, event_type, project_id, ts_ms FROM events WHERE {where} ORDER BY ts_ms, seq", params
    )
    user_ix: dict[str, int] = {}
    proj_ix: dict[str, int] = {}
    type_ix = {t: i for i, t in enumerate(types)}
    n = len(rows)
    seq = np.empty(n, np.int64)
    user = np.empty(n, np.int32)
    project = np.empty(n, np.int32)
    etype = np.empty(n, np.int8)
    ts = np.empty(n, np.int64)
    for i, (s, u, t, p, ms) in enumerate(rows):
        seq[i] = s
        user[i] = user_ix.setdefault(u, len(user_ix))
        project[i] = proj_ix.setdefault(p, len(proj_ix))
        etype[i] = type_ix[t]
        ts[i] = ms
    return InteractionColumns(
        users=tuple(user_ix),
        projects=tuple(proj_ix),
        types=tuple(types),
        user=user,
        project=project,
        type=etype,
        ts_ms=ts,
        seq=seq,
    )
