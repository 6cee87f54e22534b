"""Simulated searches before document opens: what the learned ranker learns from in the demo.

Some of the simulated people's document opens are preceded by a search for that document,
phrased the ways people and assistants ask ("CO3 21614", "can you find the latest design for
the Poolwerx training room", "Downer swms"). The search runs for real (hand-weighted ranking)
and its first ten results are logged as shown (see ``analytics.search_sessions``). The person
then scans down the list as people do — each next result is looked at less often (position
bias), a wrong one is skipped (now and then opened by mistake), the wanted one is opened — or
gives up and finds the document another way a while later (not a click).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ..analytics.feedback import impression_metadata
from ..analytics.search_sessions import CLICK_WINDOW_MS, SEARCH_MODEL
from ..repo.documents import REL_PATH

SHOWN = 10
KEEP_LOOKING = 0.85  # chance of looking at the next result after one that was not wanted
MISCLICK = 0.05  # chance of opening a wrong result that was looked at
FILLERS = ("", "", "can you find ", "I need ", "find me ", "please get ", "where is ", "show me ")
RECENCY = ("", "", "latest ", "current ", "most recent ")
JOB = ("", "job", "project", "works")
FAMILY_WORDS: dict[str, tuple[str, ...]] = {
    "lld": ("design", "system design", "drawings", "design drawing", "layout"),
    "hld": ("concept design", "schematic", "high level design"),
    "sales_po": ("sales & po report", "sales po", "sales and PO report"),
    "swms": ("swms", "safe work method statement", "SWMs"),
    "floor_plans": ("floor plan", "floor layout", "plans"),
    "handover": ("handover pack", "handover documents", "handover"),
    "qa_itp": ("itp report", "qa report", "test report", "commissioning report"),
    "proposal": ("proposal", "quote", "quotation"),
    "supplier_quotes": ("supplier quote", "supplier quotation"),
    "scope": ("scope of works", "scope of work", "scope"),
    "purchase_order": ("purchase order", "PO"),
    "report": ("report",),
    "manual": ("manual", "datasheet", "user guide"),
    "photos": ("site photos", "photos"),
}


@dataclass(frozen=True, slots=True)
class DocFacts:
    """What a person knows about a document they want."""

    rel_path: str
    name: str
    doc_type: str
    code: str
    client: str
    description: str
    revision: int | None
    room: int | None
    change_order: int | None
    is_as_built: bool
    is_handover_copy: bool = False
    is_current: bool = True  # the current document of its series (the domain's rule), outside any archive


def documents(app: Any) -> dict[str, DocFacts]:
    """Every indexed document's facts by root-relative path, with whether it is current as search
    decides it (an older revision, or a copy in an archive, is not)."""
    clients = {r.code: (r.client_names[0] if r.client_names else (r.client or ""), r.name) for r in app.projects.all()}
    rows = app.store.query(
        f"SELECT d.id, {REL_PATH}, d.name, d.doc_type, p.code, d.revision, d.room, d.change_order, d.is_as_built,"
        " d.is_handover_copy, d.is_archive FROM documents d JOIN projects p ON p.id = d.project_id"
    )
    facts = app.search.current.rows.facts_by_ids([r[0] for r in rows])
    app.search.current.mark(facts)
    out: dict[str, DocFacts] = {}
    for i, rel, name, dtype, code, rev, room, co, built, copy, archive in rows:
        client, description = clients.get(code, ("", ""))
        current = not archive and (i not in facts or facts[i].is_current)
        out[rel] = DocFacts(
            rel, name, dtype, code, client, description, rev, room, co, bool(built), bool(copy), current
        )
    return out


def _words(text: str) -> list[str]:
    return [w for w in text.replace("&", " ").replace("-", " ").replace("_", " ").split() if w.isalpha()]


def phrase(doc: DocFacts, rng: random.Random, *, says_revision: bool = False) -> tuple[str, str]:
    """``(kind, query)``: one way a person or an assistant asks for ``doc``; ``says_revision``: one
    who wants an older revision says which (and not "latest")."""
    if doc.change_order is not None:
        family = rng.choice((f"CO{doc.change_order}", f"change order {doc.change_order}", f"CO {doc.change_order}"))
    elif doc.doc_type == "lld" and doc.is_as_built and rng.random() < 0.6:
        family = rng.choice(("as built", "as-built design", "as built drawings"))
    else:
        options = FAMILY_WORDS.get(doc.doc_type)
        family = rng.choice(options) if options else " ".join(_words(doc.name.rsplit(".", 1)[0])[-3:]).lower()
    if doc.room is not None and rng.random() < 0.5:
        family += f" room {doc.room}"
    named = doc.revision is not None and doc.doc_type == "lld" and rng.random() < 0.25
    if named or (says_revision and doc.revision is not None):
        family += f" rev {doc.revision}"
    client = doc.client or doc.code
    desc = _words(doc.description)
    some = " ".join(desc[: rng.randint(1, 3)]).lower() if desc else ""
    roll = rng.random()
    if roll < 0.3:
        return "terse", rng.choice((f"{family} {doc.code}", f"{doc.code} {family}"))
    if roll < 0.55:
        return "client", f"{client} {some} {family}".replace("  ", " ").strip()
    if roll < 0.85:
        filler, recent, job = rng.choice(FILLERS), rng.choice(RECENCY), rng.choice(JOB)
        recent = "" if says_revision else recent
        return "assistant", f"{filler}the {recent}{family} for the {client} {some} {job}".replace("  ", " ").strip()
    name = [w for w in _words(doc.name.rsplit(".", 1)[0]) if not w.isdigit()]
    if len(name) >= 2:
        start = rng.randrange(max(1, len(name) - 2))
        return "name", " ".join(name[start : start + 3]).lower()
    return "terse", f"{family} {doc.code}"


def scan(items: Sequence[str], wanted: str, rng: random.Random) -> list[int]:
    """Positions opened by a person looking for ``wanted`` down ``items``."""
    opened: list[int] = []
    for pos, item in enumerate(items):
        if pos and rng.random() > KEEP_LOOKING:
            break  # gave up on the list
        if item == wanted:
            opened.append(pos)
            break
        if rng.random() < MISCLICK:
            opened.append(pos)
    return opened


def with_searches(
    app: Any,
    events: Sequence[Any],
    *,
    seed: int,
    limit: int,
    share: float = 0.3,
    facts: dict[str, DocFacts] | None = None,
) -> tuple[list[Any], list[dict[str, Any]]]:
    """Precede up to ``limit`` of the document opens in ``events`` (``SimEvent``) with a search.

    Returns the events (an open found through a search moved to just after it, one not found
    moved out of the search's click window) and the search and mistaken-open events to add.
    ``facts``: :func:`documents` of ``app`` when the caller has them."""
    facts = documents(app) if facts is None else facts
    if not facts or limit <= 0:
        return list(events), []
    rng = random.Random(seed * 7919 + 13)
    out: list[Any] = []
    extra: list[dict[str, Any]] = []
    n = 0
    for e in events:
        doc = facts.get(e.document or "") if e.event_type == "document_access" else None
        # A handover copy is opened from the handover folder; a search for the design wants the design.
        if doc is None or doc.is_handover_copy or n >= limit or rng.random() > share:
            out.append(e)
            continue
        kind, query = phrase(doc, rng, says_revision=not doc.is_current)
        with app.search.learned.capture():  # today's (hand-weighted) order, and nothing logged twice
            found = app.search.search_documents(query, limit=SHOWN, user_id=e.user_id, include_facets=False)
        by_id = {h.id: h for h in found.documents}
        rows = (
            app.store.query(
                f"SELECT d.id, {REL_PATH} FROM documents d JOIN projects p ON p.id = d.project_id "
                f"WHERE d.id IN ({','.join('?' * len(by_id))})",
                list(by_id),
            )
            if by_id
            else []
        )
        rel = dict(rows)
        items = [rel[h.id] for h in found.documents if h.id in rel]
        search_id = f"demo{seed}-search-{n}"
        meta = impression_metadata(
            model=SEARCH_MODEL, model_version=None, items=items, impression_id=search_id, kind=kind
        )
        extra.append(
            {
                "event_id": search_id,
                "event_type": "document_search",
                "user_id": e.user_id,
                "query": query,
                "result_count": found.total_count,
                "metadata": meta,
                "timestamp": e.ts_ms / 1000,
            }
        )
        t = e.ts_ms
        opened = scan(items, doc.rel_path, rng)
        for k, pos in enumerate(opened):
            t += rng.randint(5_000, 40_000)
            if items[pos] == doc.rel_path:
                out.append(replace(e, ts_ms=t))
            else:
                extra.append(
                    {
                        "event_id": f"{search_id}-open-{k}",
                        "event_type": "document_access",
                        "user_id": e.user_id,
                        "project_id": facts[items[pos]].code if items[pos] in facts else e.project,
                        "document_id": items[pos],
                        "timestamp": t / 1000,
                    }
                )
        if doc.rel_path not in {items[p] for p in opened}:
            out.append(replace(e, ts_ms=e.ts_ms + CLICK_WINDOW_MS + rng.randint(30_000, 300_000)))
        n += 1
    return out, extra


def labelled_requests(app: Any, seed: int, n: int) -> list[tuple[str, str, set[str]]]:
    """``(kind, query, wanted root-relative paths)`` for ``n`` documents drawn with ``seed``: the
    firm's truth asked for as :func:`phrase` asks, each answered by the document and its
    equivalents (same project, family, change order, room and as-built, outside any archive)."""
    facts = documents(app)
    # Archived documents and handover copies are not what a search for a document wants.
    archive = {
        r[0]
        for r in app.store.query(
            f"SELECT {REL_PATH} FROM documents d JOIN projects p ON p.id = d.project_id "
            "WHERE d.is_archive OR d.is_handover_copy"
        )
    }
    rng = random.Random(seed)
    paths = sorted(p for p in facts if p not in archive and facts[p].doc_type not in ("other", "photos"))
    out = []
    for path in rng.sample(paths, min(n, len(paths))):
        doc = facts[path]
        kind, query = phrase(doc, rng)
        same = {
            p
            for p, f in facts.items()
            if f.code == doc.code
            and f.doc_type == doc.doc_type
            and f.change_order == doc.change_order
            and f.room == doc.room
            and f.is_as_built == doc.is_as_built
            and p not in archive
        }
        out.append((kind, query, same | {path}))
    return out
