"""The usage simulator, and the evaluation as a small fast test on it."""

from __future__ import annotations

from collections import Counter

from quicknav_mcp.demo.usage import simulate, to_columns
from quicknav_mcp.recommend.evaluate import evaluate_recommender
from quicknav_mcp.services.corpus import ProjectText

END = 1_760_000_000_000
DAY = 86_400_000


def test_simulation_is_deterministic_and_shaped_like_a_firm() -> None:
    a = simulate(60, users=12, days=40, seed=4, end_ms=END)
    b = simulate(60, users=12, days=40, seed=4, end_ms=END)
    assert a.events == b.events and len(a.events) > 1000
    assert all(a.start_ms <= e.ts_ms <= END for e in a.events)
    assert [e.ts_ms for e in a.events] == sorted(e.ts_ms for e in a.events)
    kinds = Counter(e.event_type for e in a.events)
    assert set(kinds) == {"project_view", "document_access", "document_search"}
    # office hours: Brisbane 7:00-19:00 is 21:00-09:00 UTC; weekends are quiet
    local_hours = Counter(((e.ts_ms % DAY) // 3_600_000 + 10) % 24 for e in a.events)
    assert sum(n for h, n in local_hours.items() if 7 <= h < 20) > 0.95 * len(a.events)
    weekend = sum(1 for e in a.events if ((e.ts_ms + 10 * 3_600_000) // DAY + 3) % 7 >= 5)
    assert weekend < 0.05 * len(a.events)
    # people work mostly on their team's projects: each user touches a minority of the firm
    per_user = {u.id: {e.project for e in a.events if e.user_id == u.id} for u in a.users}
    assert max(len(p) for p in per_user.values()) < 0.6 * len(a.projects)
    docs = [e for e in a.events if e.event_type == "document_access"]
    assert all(e.document and e.document.startswith(e.project) for e in docs)
    cols = to_columns(a.events)
    assert len(cols) == len(a.events) and cols.users[cols.user[0]] == a.events[0].user_id


def test_hybrid_beats_popularity_on_the_simulator() -> None:
    sim = simulate(120, users=24, days=60, seed=11, end_ms=END)
    texts = {p.code: ProjectText(p.code, f"{p.code} - {p.client}", p.client, [p.client], "") for p in sim.projects}
    report = evaluate_recommender(to_columns(sim.events), texts, seed=11, max_users=24)
    algos = report["algorithms"]
    assert algos["hybrid"]["recall@10"] > algos["popularity"]["recall@10"]
    assert algos["hybrid"]["users"] >= 10
    assert abs(sum(report["weights"].values()) - 1) < 1e-3


def test_people_mostly_open_the_current_revision() -> None:
    """With real documents, an open goes to a current one unless the person looks back (a few per
    cent); which file is opened never changes the rest of the simulated day."""
    codes = [(f"{17000 + i}", f"Client{i % 4}") for i in range(20)]
    documents = {
        code: [(f"{code}/4. System Designs/{code} - Design Rev {r}.pdf", "lld") for r in (3, 2, 1)]
        + [(f"{code}/1. Sales Handover/{code} - Sales & PO Report.pdf", "sales_po")]
        for code, _ in codes
    }
    older = {path for paths in documents.values() for path, _ in paths if "Rev 2" in path or "Rev 1" in path}
    plain = simulate(codes, users=12, days=40, seed=5, end_ms=END, documents=documents)
    real = simulate(codes, users=12, days=40, seed=5, end_ms=END, documents=documents, older=older)
    assert [(e.ts_ms, e.user_id, e.event_type, e.project) for e in plain.events] == [
        (e.ts_ms, e.user_id, e.event_type, e.project) for e in real.events
    ]
    designs = [e.document for e in real.events if e.event_type == "document_access" and e.doc_type == "lld"]
    before = [e.document for e in plain.events if e.event_type == "document_access" and e.doc_type == "lld"]
    assert len(designs) > 200
    share = sum(d in older for d in designs) / len(designs)
    assert 0.02 < share < 0.15  # some noise, mostly current
    assert sum(d in older for d in before) / len(before) > 2 * share  # without the rule: far more
