"""A usage simulator: people in teams working on projects through their lifecycles.

It produces the event history the recommender and the predictor learn from (the demo, the
evaluation, the benchmarks), with the structure a real firm's log has:

- teams own clients; a project belongs to its client's team, and two or three of the team are
  its core people (the rest drop in now and then);
- projects start, run 3 to 13 weeks and end; what people open follows the phase (sales & PO
  reports early, system designs in the middle, handover documents at the end);
- people work office hours on weekdays, each with their own start time and pace, begin the day
  on their main project, and move between their projects in a personal routine (after A, B);
- now and then someone looks up an older project of the same client or a busy project elsewhere;
- a document opened is mostly the current one of its series (the latest revision, outside any
  archive): an older revision or an archived copy only now and then (:data:`OLDER_OPENS`).
"""

from __future__ import annotations

import random
import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

DAY_MS = 86_400_000
OLDER_OPENS = 0.08
"""Share of document opens that go to an older revision or an archived copy (a look back at what
was sent before); the rest open a current document."""
HOUR_MS = 3_600_000
MINUTE_MS = 60_000

# Phase -> the document families people open in it (first is the most typical).
PHASE_DOCS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("1. Sales Handover", ("sales_po", "proposal", "scope")),
    ("2. BOM & Orders", ("sales_po", "purchase_order", "supplier_quotes")),
    ("3. PMO", ("change_order", "swms", "floor_plans")),
    ("4. System Designs", ("lld", "hld", "floor_plans")),
    ("5. Customer Handover Documents", ("handover", "lld", "qa_itp")),
)
DOC_LABEL = {
    "sales_po": "Sales & PO Report",
    "proposal": "Proposal",
    "scope": "Scope of Works",
    "purchase_order": "Purchase Order",
    "supplier_quotes": "Supplier Quote",
    "change_order": "Change Order",
    "swms": "SWMS",
    "floor_plans": "Floor Plan",
    "lld": "System Design - Rev 101",
    "hld": "Concept Design",
    "handover": "Handover Pack",
    "qa_itp": "QA ITP Report",
}


@dataclass(slots=True)
class SimProject:
    code: str
    client: str
    name: str = ""
    start_day: int = 0
    duration: int = 40
    team: int = 0
    core: list[int] = field(default_factory=list)

    def phase(self, day: int) -> int:
        return min(4, max(0, (day - self.start_day) * 5 // max(1, self.duration)))

    def live(self, day: int) -> bool:
        return self.start_day <= day < self.start_day + self.duration


@dataclass(slots=True)
class SimUser:
    id: str
    team: int
    pace: float  # events per working day
    start_hour: float  # local start of the working day (UTC offset applied by the caller)
    routine_seed: int


@dataclass(frozen=True, slots=True)
class SimEvent:
    ts_ms: int
    user_id: str
    event_type: str
    project: str
    document: str | None = None
    doc_type: str | None = None

    def as_event(self, prefix: str, i: int) -> dict[str, Any]:
        """The event in the analytics ingestion shape."""
        e: dict[str, Any] = {
            "event_id": f"{prefix}-{i}",
            "event_type": self.event_type,
            "user_id": self.user_id,
            "project_id": self.project,
            "timestamp": self.ts_ms / 1000,
        }
        if self.document:
            e["document_id"] = self.document
        if self.doc_type:
            e["metadata"] = {"doc_type": self.doc_type}
            if self.event_type == "document_search":
                e["query"] = self.doc_type
        return e


@dataclass
class Simulation:
    users: list[SimUser]
    projects: list[SimProject]
    events: list[SimEvent]
    start_ms: int
    days: int


def simulate(
    projects: int | Sequence[tuple[str, str] | tuple[str, str, str]] = 200,
    *,
    users: int = 40,
    days: int = 120,
    seed: int = 1,
    end_ms: int,
    pace: float = 12.0,
    team_size: int = 6,
    documents: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    older: Collection[str] = (),
    utc_offset_hours: float = 10.0,
) -> Simulation:
    """Simulate ``days`` days of usage ending at ``end_ms``.

    ``projects`` is a count (synthetic codes and clients) or (code, client[, name]) tuples from
    a real index; ``documents`` maps a code to its (path relative to the root, doc_type) pairs, so
    tracked document ids are real paths; ``older``: those of them that are not current (older
    revisions, archived copies), opened only now and then. Working hours are local: ``utc_offset_hours`` (Australia
    east, +10) converts them to the UTC the log stores.
    """
    rng = random.Random(seed)
    if isinstance(projects, int):
        n_clients = max(3, projects // 6)
        clients = [f"Client{c:03d}" for c in range(n_clients)]
        base = 17000 + rng.randrange(1000)
        specs = [(f"{base + i:05d}", rng.choice(clients), "") for i in range(projects)]
    else:
        specs = [(p[0], p[1] or "other", p[2] if len(p) > 2 else "") for p in projects]  # type: ignore[misc]
    n_teams = max(2, users // team_size)
    client_team: dict[str, int] = {}
    for client in sorted({c for _, c, _ in specs}):
        client_team[client] = rng.randrange(n_teams)
    people = [
        SimUser(
            id=f"user{u:03d}",
            team=u % n_teams,
            pace=max(2.0, rng.lognormvariate(0, 0.45) * pace),
            start_hour=rng.uniform(7.0, 9.5),
            routine_seed=rng.randrange(1 << 30),
        )
        for u in range(users)
    ]
    members: dict[int, list[int]] = {}
    for u, person in enumerate(people):
        members.setdefault(person.team, []).append(u)
    plist: list[SimProject] = []
    for code, client, name in specs:
        duration = rng.randint(20, 90)
        team = client_team[client] if rng.random() < 0.85 else rng.randrange(n_teams)
        team_members = members.get(team) or [0]
        core = rng.sample(team_members, min(len(team_members), rng.randint(2, 3)))
        plist.append(SimProject(code, client, name, rng.randint(-duration + 5, days - 5), duration, team, core))
    by_client: dict[str, list[int]] = {}
    for i, p in enumerate(plist):
        by_client.setdefault(p.client, []).append(i)
    start_ms = (end_ms // DAY_MS - days) * DAY_MS
    events: list[SimEvent] = []
    doc_cache: dict[tuple[str, str], list[str]] = {}
    current_cache: dict[tuple[str, str], list[str]] = {}
    # Its own stream: whether an open looks back at an older revision changes which file, never
    # the rest of the simulated day (projects, times, event types stay as without ``older``).
    look_back = random.Random(seed * 7_919 + 1)

    def document_for(p: SimProject, doc_type: str, r: random.Random) -> str:
        if documents and p.code in documents:
            key = (p.code, doc_type)
            if key not in doc_cache:
                of_type = [path for path, t in documents[p.code] if t == doc_type]
                doc_cache[key] = of_type or [path for path, _ in documents[p.code]]
                current_cache[key] = [path for path in doc_cache[key] if path not in older]
            options = doc_cache[key]
            if older and current_cache[key]:
                looks_back = look_back.random() < OLDER_OPENS and len(current_cache[key]) < len(options)
                options = [path for path in options if path in older] if looks_back else current_cache[key]
            if options:
                return options[min(len(options) - 1, int(r.expovariate(1.5)))]  # current ones first
        folder = f"{p.code} - {p.client} {p.name}".strip()
        phase_folder = next(f for f, types in PHASE_DOCS if doc_type in types)
        return f"{folder}/{phase_folder}/{p.code} - {DOC_LABEL.get(doc_type, doc_type)}.pdf"

    for day in range(days):
        day_ms = start_ms + day * DAY_MS
        weekday = (day_ms // DAY_MS + 3) % 7  # 0 = Monday
        live = [i for i, p in enumerate(plist) if p.live(day)]
        live_set = set(live)
        busy = live[:: max(1, len(live) // 10)][:10]
        core_of: dict[int, list[int]] = {}
        team_of: dict[int, list[int]] = {}
        for i in live:
            team_of.setdefault(plist[i].team, []).append(i)
            # Sales opens a project first, the project manager joins next, the engineer at design.
            for rank, u in enumerate(plist[i].core):
                if plist[i].phase(day) >= (0, 1, 3)[min(rank, 2)]:
                    core_of.setdefault(u, []).append(i)
        for u, person in enumerate(people):
            r = random.Random(seed * 1_000_003 + u * 10_007 + day)
            if weekday >= 5 and r.random() > 0.05:
                continue
            if r.random() < 0.06:  # leave, sick, on site
                continue
            mine = core_of.get(u, [])
            team_live = [i for i in team_of.get(person.team, ()) if i not in mine]
            if not mine and not team_live:
                continue
            # A personal routine: a fixed order over the user's projects (after A comes B).
            routine = sorted(mine, key=lambda i: zlib.crc32(f"{person.routine_seed}:{plist[i].code}".encode()))
            n_events = max(1, int(r.gauss(person.pace, person.pace * 0.3)))
            # day_ms is midnight UTC of the local date: a local 8:00 start is the evening before in UTC.
            t = day_ms + int((person.start_hour - utc_offset_hours) * HOUR_MS) + r.randrange(20 * MINUTE_MS)
            current: int | None = None
            done = 0
            while done < n_events:
                if current is None and routine:
                    nxt = routine[0]  # the day starts on the main project
                elif routine and current in routine and r.random() < 0.6:
                    nxt = routine[(routine.index(current) + 1) % len(routine)]
                else:
                    roll = r.random()
                    if roll < 0.55 and (mine or team_live):
                        nxt = r.choice(mine or team_live)
                    elif roll < 0.8 and team_live:
                        nxt = r.choice(team_live)
                    elif roll < 0.92:
                        p_client = plist[current if current is not None else (mine or team_live)[0]].client
                        before = [i for i in by_client[p_client] if i not in live_set] or by_client[p_client]
                        nxt = r.choice(before)
                    else:
                        nxt = r.choice(busy) if busy else r.randrange(len(plist))
                p = plist[nxt]
                phase_docs = PHASE_DOCS[p.phase(day)][1] if p.live(day) else ("lld", "handover")
                session = 1 + min(5, int(r.expovariate(0.6)))
                for s in range(session):
                    if s == 0:
                        events.append(SimEvent(t, person.id, "project_view", p.code))
                    else:
                        doc_type = phase_docs[0] if r.random() < 0.55 else r.choice(phase_docs)
                        if r.random() < 0.25:
                            events.append(SimEvent(t, person.id, "document_search", p.code, None, doc_type))
                        else:
                            events.append(
                                SimEvent(
                                    t, person.id, "document_access", p.code, document_for(p, doc_type, r), doc_type
                                )
                            )
                    t += int(r.uniform(0.5, 6) * MINUTE_MS)
                    done += 1
                current = nxt
                t += int(r.uniform(5, 50) * MINUTE_MS)
    events.sort(key=lambda e: (e.ts_ms, e.user_id))
    cutoff = end_ms
    events = [e for e in events if start_ms <= e.ts_ms <= cutoff]
    return Simulation(people, plist, events, start_ms, days)


def to_columns(events: Sequence[SimEvent]) -> Any:
    """The events as :class:`~quicknav_mcp.analytics.history.InteractionColumns` (no database)."""
    import numpy as np

    from ..analytics.history import INTERACTION_TYPES, InteractionColumns

    user_ix: dict[str, int] = {}
    proj_ix: dict[str, int] = {}
    type_ix = {t: i for i, t in enumerate(INTERACTION_TYPES)}
    n = len(events)
    user = np.fromiter((user_ix.setdefault(e.user_id, len(user_ix)) for e in events), np.int32, n)
    project = np.fromiter((proj_ix.setdefault(e.project, len(proj_ix)) for e in events), np.int32, n)
    etype = np.fromiter((type_ix[e.event_type] for e in events), np.int8, n)
    ts = np.fromiter((e.ts_ms for e in events), np.int64, n)
    return InteractionColumns(
        users=tuple(user_ix),
        projects=tuple(proj_ix),
        types=INTERACTION_TYPES,
        user=user,
        project=project,
        type=etype,
        ts_ms=ts,
        seq=np.arange(1, n + 1, dtype=np.int64),
    )


def record_usage(
    app: Any, *, users: int = 24, days: int = 90, seed: int = 7, end_ms: int | None = None, searches: int = 0
) -> int:
    """Simulate usage of the projects indexed in ``app`` and store it as events; returns how many.

    ``searches``: up to that many document opens are preceded by a real search and the results
    shown (:mod:`.search_sessions`), which the learned ranker trains on.
    Idempotent: event ids derive from the seed, so running it again adds nothing.
    """
    import time

    from ..services.corpus import project_documents

    records = app.projects.all()
    if not records:
        return 0
    specs = [(r.code, r.client_names[0] if r.client_names else (r.client or "other"), r.name) for r in records]
    specs = list({s[0]: s for s in specs}.values())
    end = end_ms if end_ms is not None else int(time.time() * 1000) - 60_000
    from .search_sessions import documents, with_searches

    facts = documents(app)
    older = {path for path, f in facts.items() if not f.is_current}
    docs = project_documents(app.store)
    sim = simulate(specs, users=users, days=days, seed=seed, end_ms=end, documents=docs, older=older)
    stored = 0
    events: list[dict[str, Any]] = [e.as_event(f"demo{seed}", i) for i, e in enumerate(sim.events)]
    if searches:
        moved, extra = with_searches(app, sim.events, seed=seed, limit=searches, facts=facts)
        events = [e.as_event(f"demo{seed}", i) for i, e in enumerate(moved)] + extra
        events.sort(key=lambda e: e["timestamp"])
    for lo in range(0, len(events), 1000):
        batch = events[lo : lo + 1000]
        result = app.analytics.track_events(batch, limit=1000)
        stored += result.successful_items - result.duplicate_items
    return stored


def demo_usage(app: Any, *, seed: int, say: Any) -> None:
    """For ``quicknav demo``: a usage history, trained models, and one recommendation and one
    prediction for the demo's own (new) user, printed with ``say``."""
    import json
    import time

    n_projects = len({r.code for r in app.projects.all()})
    if not n_projects:
        return
    users = min(24, max(6, n_projects // 8))
    started = time.monotonic()
    days = 90 if n_projects >= 100 else 60
    stored = record_usage(app, users=users, days=days, seed=seed, searches=min(400, 6 * n_projects))
    say(f"simulated {users} people using the firm: {stored:,} new usage events in {time.monotonic() - started:.1f}s")
    ranker = app.ml.trainer.get("search_ranker")
    if ranker is not None and getattr(ranker, "labelled", False) is None:
        # The demo firm's truth asked for in words (kinds as its searches): the learned ranker is
        # promoted only if it is significantly worse than the hand-weighted order on none of them
        # (held-out fifth, paired test per kind).
        from .search_sessions import labelled_requests

        labelled = [(q, w, k) for k, q, w in labelled_requests(app, seed * 17 + 3, min(400, 8 * n_projects))]
        ranker.labelled = lambda: labelled
    trained = {m.name for m in app.ml.list_models() if m.status == "active"}
    if stored or not {"recommender", "next_project", "search_ranker"} <= trained:
        started = time.monotonic()
        run, _ = app.ml.train(["recommender", "next_project", "search_ranker"], wait=True)
        for o in run.outcomes:
            value = f"{o.metric} {o.value:.3f}" if o.value is not None else o.message
            say(f"trained {o.name}: {o.status} (version {o.version}, {value})")
        say(f"training took {time.monotonic() - started:.1f}s")
    user = app.config.user
    rec = app.recommend.recommend_projects(user, 3)
    say(f"\n> recommend_projects({json.dumps({'user_id': user, 'limit': 3})})")
    brief = [{k: i[k] for k in ("project_number", "confidence_score", "reasoning")} for i in rec.model_dump()["items"]]
    say(
        json.dumps({"algorithm_used": rec.algorithm_used, "model_version": rec.model_version, "items": brief}, indent=2)
    )
    current = rec.items[0].project_number if rec.items else None
    args = {"user_id": user, "context": {"current_project": current} if current else None, "limit": 3}
    nxt = app.predict.predict_next(user, args["context"], "project", 3)
    say(f"\n> predict_next({json.dumps(args)})")
    say(nxt.model_dump_json(indent=2, exclude_none=True))
