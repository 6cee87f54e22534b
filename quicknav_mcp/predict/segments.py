"""User segments: K-means on behaviour features, k chosen by silhouette, named from their profile.

Each user is a vector of how they work over a window of the event log: how much (events per
active day, active days), how widely (distinct projects), when (after-hours and weekend share),
what (design, commercial and site document shares) and how they find things (search share).
Features are standardised; K-means runs for every k in range and the best silhouette wins.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from typing import TYPE_CHECKING, Any

from ..analytics.feedback import behaviour
from ..analytics.history import doc_type_of
from ..errors import InvalidInput
from ..ml.errors import InsufficientData

if TYPE_CHECKING:
    from ..analytics.feedback import Event, Queryable

DAY_MS = 86_400_000
MIN_USERS = 4
MAX_K = 8
MAX_MEMBERS = 50
SEARCH_TYPES = {"project_search", "document_search"}
FAMILIES = {
    "design": {"lld", "hld", "cad", "floor_plans"},
    "commercial": {"sales_po", "purchase_order", "invoice", "supplier_quotes", "proposal", "change_order"},
    "site": {"swms", "qa_itp", "photos", "handover"},
}
FEATURES = (
    "events_per_day",
    "active_days",
    "projects",
    "after_hours",
    "weekend",
    "design",
    "commercial",
    "site",
    "search_share",
)
# feature -> (name when high, name when low); None: not worth naming.
_WORDS: dict[str, tuple[str, str | None]] = {
    "events_per_day": ("heavy users", "light users"),
    "active_days": ("daily regulars", "occasional visitors"),
    "projects": ("broad browsers", "project-focused"),
    "after_hours": ("after-hours workers", None),
    "weekend": ("weekend workers", None),
    "design": ("design-focused", None),
    "commercial": ("commercial-focused", None),
    "site": ("site and safety-focused", None),
    "search_share": ("searchers", "direct navigators"),
}


@dataclass
class Segment:
    name: str
    size: int
    members: list[str]
    profile: dict[str, float]
    description: str
    distinctive: list[str] = field(default_factory=list)


@dataclass
class SegmentResult:
    k: int
    silhouette: float | None
    silhouettes: dict[int, float]
    users: int
    window: tuple[str, str]
    segments: list[Segment]
    features: tuple[str, ...] = FEATURES


def user_features(events: list[Event], tz: tzinfo = UTC) -> dict[str, dict[str, float]]:
    """Behaviour features per user (raw units: counts and shares)."""
    per_user: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        per_user[e.user_id].append(e)
    out: dict[str, dict[str, float]] = {}
    for user, evs in per_user.items():
        days: set[Any] = set()
        projects: set[str] = set()
        after = weekend = searches = 0
        families: Counter[str] = Counter()
        opened = 0
        for e in evs:
            local = datetime.fromtimestamp(e.ts_ms / 1000, tz)
            days.add(local.date())
            if e.project_id:
                projects.add(e.project_id)
            if local.hour < 7 or local.hour >= 18:
                after += 1
            if local.weekday() >= 5:
                weekend += 1
            if e.event_type in SEARCH_TYPES:
                searches += 1
            if e.event_type == "document_access":
                opened += 1
                dtype = doc_type_of(e.document_id, None)
                for family, types in FAMILIES.items():
                    if dtype in types:
                        families[family] += 1
        n = len(evs)
        out[user] = {
            "events_per_day": n / len(days),
            "active_days": float(len(days)),
            "projects": float(len(projects)),
            "after_hours": after / n,
            "weekend": weekend / n,
            "design": families["design"] / opened if opened else 0.0,
            "commercial": families["commercial"] / opened if opened else 0.0,
            "site": families["site"] / opened if opened else 0.0,
            "search_share": searches / n,
        }
    return out


def _describe(profile: dict[str, float]) -> str:
    return (
        f"{profile['events_per_day']:.1f} events per active day over {profile['active_days']:.0f} days, "
        f"{profile['projects']:.0f} projects, {profile['search_share']:.0%} searches, "
        f"{profile['after_hours']:.0%} after hours; documents opened: {profile['design']:.0%} design, "
        f"{profile['commercial']:.0%} commercial, {profile['site']:.0%} site"
    )


def segment_users(
    db: Queryable,
    *,
    k: int | None = None,
    since_ms: int | None = None,
    until_ms: int | None = None,
    tz: tzinfo = UTC,
    seed: int = 0,
) -> SegmentResult:
    """Cluster the users active between ``since_ms`` and ``until_ms``."""
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    if k is not None and (isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= MAX_K):
        raise InvalidInput(f"k must be a whole number from 2 to {MAX_K}, or omitted to choose by silhouette")
    events = behaviour(db, since_ms=since_ms, until_ms=until_ms)
    feats = user_features(events, tz)
    users = sorted(feats)
    if len(users) < MIN_USERS:
        raise InsufficientData(f"user_segments: {len(users)} active users in the window; at least {MIN_USERS} needed")
    if k is not None and k >= len(users):
        raise InvalidInput(f"k must be smaller than the number of active users ({len(users)})")
    raw = np.array([[feats[u][f] for f in FEATURES] for u in users])
    # Counts are heavy-tailed: log them so one power user does not become a segment of one.
    x = raw.copy()
    for j, f in enumerate(FEATURES):
        if f in ("events_per_day", "active_days", "projects"):
            x[:, j] = np.log1p(x[:, j])
    mean, sd = x.mean(axis=0), x.std(axis=0)
    z = (x - mean) / np.where(sd == 0, 1.0, sd)
    distinct_rows = len(np.unique(z.round(9), axis=0))
    if k is not None and k > distinct_rows:
        raise InvalidInput(f"k={k} but the users show only {distinct_rows} distinct behaviours; use a smaller k")
    candidates = [k] if k is not None else list(range(2, min(MAX_K, len(users) - 1, distinct_rows) + 1))
    if not candidates:
        raise InsufficientData("user_segments: the active users behave identically; there is nothing to split")
    min_size = max(2, math.ceil(0.05 * len(users)))
    silhouettes: dict[int, float] = {}
    labels_by_k: dict[int, Any] = {}
    for kk in candidates:
        labels = KMeans(n_clusters=kk, n_init=10, random_state=seed).fit_predict(z)
        sizes = np.bincount(labels)
        if len(sizes) < 2 or (k is None and sizes.min() < min_size):
            continue  # a "segment" of one or two oddballs describes people, not a kind of user
        silhouettes[kk] = round(float(silhouette_score(z, labels)), 4)
        labels_by_k[kk] = labels
    if not silhouettes:
        raise InsufficientData("user_segments: the users could not be split into groups")
    best = max(silhouettes, key=lambda kk: (silhouettes[kk], -kk))
    labels = labels_by_k[best]
    overall = raw.mean(axis=0)
    spread = raw.std(axis=0)
    segments: list[Segment] = []
    used: Counter[str] = Counter()
    for c in sorted(set(labels.tolist()), key=lambda c: -int((labels == c).sum())):
        idx = np.flatnonzero(labels == c)
        centre = raw[idx].mean(axis=0)
        profile = {f: round(float(centre[j]), 3) for j, f in enumerate(FEATURES)}
        diffs = [((centre[j] - overall[j]) / (spread[j] or 1.0), f) for j, f in enumerate(FEATURES) if spread[j] > 0]
        words: list[str] = []
        for d, f in sorted(diffs, key=lambda t: -abs(t[0])):
            word = _WORDS[f][0] if d > 0 else _WORDS[f][1]
            if word and abs(d) >= 0.5 and len(words) < 2:
                words.append(word)
        name = ", ".join(words) if words else "typical users"
        used[name] += 1
        if used[name] > 1:
            name = f"{name} ({used[name]})"
        members = [users[i] for i in idx]
        segments.append(
            Segment(
                name=name[:1].upper() + name[1:],
                size=len(idx),
                members=members[:MAX_MEMBERS],
                profile=profile,
                description=_describe(profile),
                distinctive=words,
            )
        )
    first = min(e.ts_ms for e in events)
    last = max(e.ts_ms for e in events)
    window = (_iso(first), _iso(last))
    return SegmentResult(best, silhouettes.get(best), silhouettes, len(users), window, segments)


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
