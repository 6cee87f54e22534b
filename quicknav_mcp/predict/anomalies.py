"""Unusual user-days and project-days: robust z-scores for the why, IsolationForest for the how odd.

Each user-day is described by its events, distinct projects, documents opened, after-hours
events and zero-result searches; each project-day by its events and distinct users. A robust
z-score (median and MAD over all rows of the window) says which feature is extreme and by how
much; an IsolationForest over all features scores how unusual the row is as a whole. A row is
reported when one feature is far out (z >= 3.5, with a minimum count so a quiet day's 2 vs 1 is
not news), ranked by a score mixing both, and explained in a sentence with its evidence events.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from ..analytics.feedback import behaviour
from ..ml.errors import InsufficientData

if TYPE_CHECKING:
    from ..analytics.feedback import Event, Queryable

Z_THRESHOLD = 3.5
MAX_EVIDENCE = 5
MIN_ROWS = 8
# feature -> (minimum count worth reporting, sentence template)
USER_FEATURES: dict[str, tuple[int, str]] = {
    "events": (10, "{who} made {value:.0f} events on {day} (a typical user-day: {typical:.0f})"),
    "projects": (5, "{who} touched {value:.0f} different projects on {day} (typical: {typical:.0f})"),
    "documents": (10, "{who} opened {value:.0f} documents on {day} (typical: {typical:.0f})"),
    "after_hours": (5, "{who} made {value:.0f} events outside 07:00-18:00 on {day} (typical: {typical:.0f})"),
    "zero_result_searches": (3, "{who} ran {value:.0f} searches that found nothing on {day} (typical: {typical:.0f})"),
}
PROJECT_FEATURES: dict[str, tuple[int, str]] = {
    "events": (10, "project {who} had {value:.0f} events on {day} (a typical project-day: {typical:.0f})"),
    "users": (4, "project {who} was used by {value:.0f} people on {day} (typical: {typical:.0f})"),
}


@dataclass
class Anomaly:
    kind: str  # user_day | project_day
    subject: str  # user id or project number
    day: str
    score: float  # 0..1
    feature: str
    value: float
    typical: float
    z: float
    explanation: str
    evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class AnomalyResult:
    start: str
    end: str
    user_days: int
    project_days: int
    anomalies: list[Anomaly]


def _rows(events: list[Event], tz: tzinfo) -> tuple[dict, dict]:
    users: dict[tuple[str, date], dict[str, Any]] = defaultdict(
        lambda: {"events": [], "projects": set(), "documents": 0, "after_hours": 0, "zero_result_searches": 0}
    )
    projects: dict[tuple[str, date], dict[str, Any]] = defaultdict(lambda: {"events": [], "users": set()})
    for e in events:
        local = datetime.fromtimestamp(e.ts_ms / 1000, tz)
        u = users[(e.user_id, local.date())]
        u["events"].append(e)
        if e.project_id:
            u["projects"].add(e.project_id)
            p = projects[(e.project_id, local.date())]
            p["events"].append(e)
            p["users"].add(e.user_id)
        if e.event_type == "document_access":
            u["documents"] += 1
        if local.hour < 7 or local.hour >= 18:
            u["after_hours"] += 1
        if e.event_type in ("project_search", "document_search") and e.result_count == 0:
            u["zero_result_searches"] += 1
    return users, projects


def _value(row: dict[str, Any], feature: str) -> float:
    v = row[feature]
    return float(len(v)) if isinstance(v, list | set) else float(v)


def _evidence(row: dict[str, Any], feature: str) -> list[dict[str, Any]]:
    evs: list[Event] = row["events"]
    if feature == "zero_result_searches":
        evs = [e for e in evs if e.result_count == 0 and e.event_type.endswith("search")]
    elif feature == "documents":
        evs = [e for e in evs if e.event_type == "document_access"]
    elif feature == "projects":  # one event per distinct project shows the breadth
        seen: set[str] = set()
        picked = []
        for e in evs:
            if e.project_id and e.project_id not in seen:
                seen.add(e.project_id)
                picked.append(e)
        evs = picked
    return [
        {
            "seq": e.seq,
            "time": _iso(e.ts_ms),
            "user_id": e.user_id,
            "event_type": e.event_type,
            "project_id": e.project_id,
            "document_id": e.document_id,
            "query": e.query,
        }
        for e in evs[:MAX_EVIDENCE]
    ]


def _score_table(
    kind: str, table: dict[tuple[str, date], dict[str, Any]], features: dict[str, tuple[int, str]], seed: int
) -> list[Anomaly]:
    import numpy as np
    from sklearn.ensemble import IsolationForest

    keys = sorted(table)
    if len(keys) < MIN_ROWS:
        return []
    names = list(features)
    x = np.array([[_value(table[k], f) for f in names] for k in keys])
    med = np.median(x, axis=0)
    mad = np.median(np.abs(x - med), axis=0) * 1.4826
    # A feature that is 0 on most days has MAD 0; the mean absolute deviation keeps z finite and honest.
    mean_ad = np.mean(np.abs(x - med), axis=0) * 1.2533
    scale = np.where(mad > 0, mad, np.where(mean_ad > 0, mean_ad, 1.0))
    z = (x - med) / scale
    forest = IsolationForest(n_estimators=200, random_state=seed).fit(np.log1p(x))
    raw = -forest.score_samples(np.log1p(x))  # higher = more isolated, about 0.35..0.8
    iso = (raw - raw.min()) / ((raw.max() - raw.min()) or 1.0)
    out = []
    for i, key in enumerate(keys):
        candidates = [(z[i, j], f) for j, f in enumerate(names) if z[i, j] >= Z_THRESHOLD and x[i, j] >= features[f][0]]
        if not candidates:
            continue
        zmax, feature = max(candidates)
        j = names.index(feature)
        who, day = key
        score = round(0.5 * float(iso[i]) + 0.5 * min(1.0, float(zmax) / 10.0), 4)
        text = features[feature][1].format(who=who, value=x[i, j], typical=med[j], day=day.isoformat())
        text += f"; robust z {zmax:.1f}, isolation {iso[i]:.2f}"
        out.append(
            Anomaly(
                kind=kind,
                subject=who,
                day=day.isoformat(),
                score=score,
                feature=feature,
                value=float(x[i, j]),
                typical=float(med[j]),
                z=round(float(zmax), 2),
                explanation=text,
                evidence=_evidence(table[key], feature),
            )
        )
    return out


def detect_anomalies(
    db: Queryable, *, since_ms: int, until_ms: int, tz: tzinfo = UTC, limit: int = 20, seed: int = 0
) -> AnomalyResult:
    """Unusual user-days and project-days between two instants, most unusual first."""
    events = behaviour(db, since_ms=since_ms, until_ms=until_ms)
    users, projects = _rows(events, tz)
    if len(users) < MIN_ROWS:
        raise InsufficientData(
            f"detect_anomalies: {len(users)} user-days in the range; "
            f"at least {MIN_ROWS} are needed to know what is usual"
        )
    found = _score_table("user_day", users, USER_FEATURES, seed) + _score_table(
        "project_day", projects, PROJECT_FEATURES, seed
    )
    found.sort(key=lambda a: (-a.score, a.day, a.subject))
    return AnomalyResult(_iso(since_ms), _iso(until_ms), len(users), len(projects), found[:limit])


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
