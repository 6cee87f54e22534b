"""The in-memory candidate table reads the same facts as SQL, follows the store's changes, and the
segment merger leaves every search answer as it was."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Any

import pytest

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.demo import generate_firm
from quicknav_mcp.search.candidates import CandidateTable
from quicknav_mcp.search.documents import DocumentSearch
from quicknav_mcp.search.query import parse_query
from quicknav_mcp.search.ranking import RankContext, boost_bound, document_boost
from quicknav_mcp.search.scope import Scope
from quicknav_mcp.search.segments import SegmentMerger

QUERIES = ["as built design", "sales po report", "floor plan", "boardroom", "rev 2", "CO3", "hearing loop"]


@pytest.fixture()
def app(firm12_app: App) -> App:
    return firm12_app


def _answers(app: App, more: list[str] | None = None) -> list[list[tuple[int, float, tuple[str, ...], bool]]]:
    out = []
    for q in [*QUERIES, *(more or [])]:
        res = app.search.search_documents(q, mode="lexical", limit=20)
        out.append([(d.id, d.score, tuple(d.why), d.is_current) for d in res.documents] + [res.total_count])
    return out


def test_table_facts_equal_the_sql_facts(app: App) -> None:
    ids = [r[0] for r in app.store.query("SELECT id FROM documents ORDER BY id")]
    table = CandidateTable(app.store, app.search.versions)
    from_table = table.facts([*ids, 10**9], Scope())  # an id that does not exist is left out
    from_sql = app.search.document_search.rows.facts_by_ids(ids)
    assert from_table is not None and len(from_table) == len(ids)
    for i in ids:
        assert dataclasses.asdict(from_table[i]) == dataclasses.asdict(from_sql[i])
    assert table.size_bytes() > 0


def test_table_existing_and_names_equal_the_facts(app: App) -> None:
    """The id filter (numpy over the columns) keeps exactly the ids a per-id test keeps, in their
    order (repeats, unknown, negative and out-of-range ids among them), and the names read from the
    columns are the facts' names."""
    import random

    ids = [r[0] for r in app.store.query("SELECT id FROM documents ORDER BY id")]
    table = CandidateTable(app.store, app.search.versions)
    assert table.ready(30)
    snap = table.current()
    assert snap is not None
    rng = random.Random(5)
    dropped = snap.project_id[snap.slot[ids[3]]]  # a copy whose projects miss one: its rows are left out
    partial = dataclasses.replace(snap, projects={k: v for k, v in snap.projects.items() if k != dropped}, usable=None)
    for view in (snap, partial):
        for _ in range(30):
            asked = [rng.choice([*ids, -5, 0, 10**9, max(ids) + 1]) for _ in range(rng.randint(0, 80))]
            slot, pids = view.slot, view.project_id
            expect = [i for i in asked if 0 <= i < len(slot) and slot[i] >= 0 and pids[slot[i]] in view.projects]
            assert view.existing(asked) == expect
    assert ids[3] not in partial.existing(ids) and ids[3] in snap.existing(ids)
    fresh = CandidateTable(app.store, app.search.versions)
    assert fresh.ready(30)
    groups = fresh.copy_groups([*ids, 10**9], Scope())
    assert groups is not None and groups
    _assert_groups_are_the_copies(app, ids, groups)
    # Without SQL conditions the groups are read id by id: the same ids as the numpy filter keeps,
    # in its order, also when a project is unknown to the snapshot.
    fresh._snapshot = partial
    for _ in range(30):
        asked = list(dict.fromkeys(rng.choice([*ids, -5, 0, 10**9]) for _ in range(rng.randint(0, 80))))
        found = fresh.copy_groups(asked, Scope())
        assert found is not None and list(found) == [i for i in partial.existing(asked) if i in groups]


def _assert_groups_are_the_copies(app: App, ids: list[int], groups: dict[int, int]) -> None:
    """``groups`` holds the ``ids`` that share their project, ``copy_key`` and size with another
    document, and two of them share a group exactly when they share those."""
    from quicknav_mcp.search.copies import copy_key

    facts = app.search.document_search.rows.facts_by_ids(ids)
    sizes = app.search.document_search.rows.sizes(ids)
    keys = {i: (copy_key(f.project_id, f.name), sizes[i]) for i, f in facts.items()}
    held: dict[object, int] = {}
    for key in keys.values():
        held[key] = held.get(key, 0) + 1
    assert set(groups) == {i for i in ids if held[keys[i]] > 1}
    assert len({(groups[i], keys[i]) for i in groups}) == len(set(groups.values())) == len({keys[i] for i in groups})


def test_name_occurrences_count_overlapping_digits_in_the_names(app: App) -> None:
    """Counted in the names' UTF-8 bytes: as many as in the names, overlapping ones too."""

    def count(text: str, part: str) -> int:
        return sum(text.startswith(part, i) for i in range(len(text)))

    with app.store.transaction() as conn:  # a name with characters of several bytes and repeated digits
        conn.execute(
            "UPDATE documents SET project_rel_path = 'Café 1111 – 11 Ω 2111.pdf', name_at = 1 "
            "WHERE id = (SELECT min(id) FROM documents)"
        )
    table = CandidateTable(app.store, app.search.versions)
    assert table.ready(30)
    snap = table.current()
    assert snap is not None
    ids = [r[0] for r in app.store.query("SELECT id FROM documents ORDER BY id")]
    names = {i: snap.name(i) for i in ids}
    assert "Café 1111" in names[ids[0]]
    for part in ("111", "1111", "11", "2111", "001", "0", "20"):
        assert snap.occurrences(ids, part.encode()) == [count(names[i], part) for i in ids]
    assert snap.occurrences(ids[:1], b"111") == [3]


def test_copy_groups_are_equal_exactly_when_the_copy_keys_and_sizes_are(app: App) -> None:
    """Names in any case, of one or several bytes a character (Kelvin sign, dotted I, sharp s); a
    file of the same name and another size is no copy."""
    names = ["CAFÉ Plan.pdf", "café plan.PDF", "Café Plan.pdf", "\u212aelvin.pdf", "kelvin.pdf", "KELVIN.pdf"]
    names += ["İstanbul.pdf", "i̇stanbul.pdf", "STRASSE.pdf", "straße.pdf", "Plain.pdf", "plain.pdf", "PLAIN.pdf"]
    ids = [
        r[0]
        for r in app.store.query("SELECT id FROM documents WHERE project_id = ? ORDER BY id LIMIT ?", (1, len(names)))
    ]
    assert len(ids) == len(names)
    with app.store.transaction() as conn:
        for i, name in zip(ids, names, strict=True):
            conn.execute(
                "UPDATE documents SET project_rel_path = ?, name_at = 1, size = ? WHERE id = ?",
                (name, 101 if name == "PLAIN.pdf" else 100, i),
            )
    table = CandidateTable(app.store, app.search.versions)
    assert table.ready(30)
    groups = table.copy_groups(ids, Scope())
    assert groups is not None
    _assert_groups_are_the_copies(app, ids, groups)
    by_name = {name: groups.get(i) for i, name in zip(ids, names, strict=True)}
    assert by_name["CAFÉ Plan.pdf"] == by_name["café plan.PDF"] == by_name["Café Plan.pdf"] is not None
    assert by_name["\u212aelvin.pdf"] == by_name["kelvin.pdf"] == by_name["KELVIN.pdf"] is not None
    assert by_name["Plain.pdf"] == by_name["plain.pdf"] is not None
    assert by_name["PLAIN.pdf"] is None and by_name["STRASSE.pdf"] is None and by_name["straße.pdf"] is None


def test_table_applies_the_scope_conditions(app: App) -> None:
    project = app.projects.all()[0]
    scope = Scope()
    scope.add("d.project_id = ?", project.id)
    ids = [r[0] for r in app.store.query("SELECT id FROM documents ORDER BY id")]
    found = CandidateTable(app.store, app.search.versions).facts(ids, scope)
    assert found is not None and found
    assert {d.project_id for d in found.values()} == {project.id}
    assert set(found) == set(app.search.document_search.rows.facts_by_ids(ids, scope.sql(), scope.params))


def test_searches_answer_alike_with_and_without_the_table(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    clients = sorted({w for p in app.projects.all() for w in p.client_names})[:3]
    assert clients
    clients += [f"{clients[0]} swms", f"{clients[1]} as built"]  # a client's documents of a family
    served: list[int] = []
    real_newest = CandidateTable.newest_of

    def newest(self: CandidateTable, ids: list[int], limit: int, *args: Any, **kwargs: Any) -> list[int] | None:
        found = real_newest(self, ids, limit, *args, **kwargs)
        served.append(len(found or ()))
        return found

    monkeypatch.setattr(CandidateTable, "newest_of", newest)
    with_table = _answers(app, clients)
    assert served and max(served) > 0  # a client's projects' documents came from the table
    monkeypatch.setattr(CandidateTable, "facts", lambda self, ids, scope: None)  # always read with SQL
    monkeypatch.setattr(CandidateTable, "newest_of", lambda self, *args, **kwargs: None)
    monkeypatch.setattr(CandidateTable, "copy_groups", lambda self, ids, scope: None)  # copies from the store
    monkeypatch.setattr(CandidateTable, "family_newest", lambda self, *args, **kwargs: None)
    assert _answers(app, clients) == with_table


def test_table_follows_a_changed_document(app: App) -> None:
    table = app.search.candidates
    doc_id = app.store.query_one("SELECT id FROM documents ORDER BY id LIMIT 1")[0]
    before = table.facts([doc_id], Scope())
    assert before is not None
    with app.store.transaction() as conn:
        conn.execute("UPDATE documents SET revision = 77, doc_type = 'swms' WHERE id = ?", (doc_id,))
    after = table.facts([doc_id], Scope())  # a small firm is rebuilt inline
    assert after is not None and (after[doc_id].revision, after[doc_id].doc_type) == (77, "swms")
    assert dataclasses.asdict(after[doc_id]) == dataclasses.asdict(
        app.search.document_search.rows.facts_by_ids([doc_id])[doc_id]
    )


def test_current_marks_are_set_once_per_built_fact_and_follow_the_documents(app: App) -> None:
    """The current-revision rule runs once per fact the table built while it matches the store, on
    every read when it does not, and its answers are those of the rule over the store's rows."""
    table, current = app.search.candidates, app.search.current
    ids = [r[0] for r in app.store.query("SELECT id FROM documents ORDER BY id")]
    marked: list[int] = []

    def mark(docs: Any) -> None:
        marked.extend(docs)
        current.mark(docs)

    assert table.ready(30)
    docs = table.read(ids[:40])
    table.set_current(docs, mark)
    table.set_current(table.read(ids[:50]), mark)
    assert marked == ids[:50]  # the first 40 once, then only the 10 new ones
    rows = app.search.document_search.rows.facts_by_ids(ids)
    current.mark(rows)
    assert {i: d.is_current for i, d in docs.items()} == {i: rows[i].is_current for i in ids[:40]}
    # A document of a series moves: the table (rebuilt inline) and its marks follow.
    series = next(d for d in docs.values() if d.is_current and d.revision is not None)
    with app.store.transaction() as conn:
        conn.execute("UPDATE documents SET is_archive = 1 WHERE id = ?", (series.id,))
    assert table.ready(30)
    marked.clear()
    again = table.read(ids[:40])
    table.set_current(again, mark)
    assert marked == ids[:40] and not again[series.id].is_current
    rows = app.search.document_search.rows.facts_by_ids(ids)
    current.mark(rows)
    assert {i: d.is_current for i, d in again.items()} == {i: rows[i].is_current for i in ids[:40]}
    # While the table does not match the store every read is marked.
    table._snapshot = dataclasses.replace(table._snapshot, version=("stale",), built={}, marked={})
    marked.clear()
    for _ in range(2):
        table.set_current(table.read(ids[:5]), mark)
    assert marked == ids[:5] * 2


def _rename(conn: Any, suffix: str) -> None:
    """Append ``suffix`` to the first document's name (its path within the project, and the key of that path)."""
    conn.execute(
        "UPDATE documents SET project_rel_path = project_rel_path || ?1, path_key = path_key(project_rel_path || ?1)"
        " WHERE id = (SELECT min(id) FROM documents)",
        (suffix,),
    )


def test_merging_segments_keeps_every_answer(app: App) -> None:
    before = _answers(app)
    merger = SegmentMerger(app.store, app.search.versions, min_interval=0.0)
    spent = merger.merge()
    assert set(spent) == {"search_docs", "search_projects", "search_docs_tri", "search_projects_tri"}
    assert merger.merge() == {}  # nothing changed since
    assert _answers(app) == before
    with app.store.transaction() as conn:
        _rename(conn, " renamed")
    assert "search_docs" in merger.merge()
    merger.min_interval = 3600.0
    with app.store.transaction() as conn:
        _rename(conn, " again")
    assert merger.merge() == {} and merger.due()  # merged moments ago: a later pass does it
    assert "search_docs" in merger.merge(force=True)
    assert not merger.due()


def test_reading_only_the_best_candidates_gives_the_whole_ranking(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    queries = [*QUERIES, "floor", "design", "room", "proposal", "latest sales po report", "level 3 floor plan", "CO2"]
    queries += sorted({w for p in app.projects.all() for w in p.client_names})[:3]  # a client's projects' documents
    # Naming no kind: name coverage weighs them (its word weights must not depend on the page asked for).
    queries += ["meeting room upgrade", "boardroom audio", "level room upgrade", "design room"]
    pages = [(10, 0), (5, 3), (20, 15)]

    def answers() -> list:
        out = []
        for q in queries:
            for (limit, offset), facets in zip(pages, (False, True, False), strict=True):
                res = app.search.search_documents(q, mode="lexical", limit=limit, offset=offset, include_facets=facets)
                # scores rounded to 5 places: the recency boost moves with the clock between the two runs
                out.append([(d.id, round(d.score, 3), tuple(d.why)) for d in res.documents])
                out.append((res.total_count, {k: [(f.value, f.count) for f in v] for k, v in res.facets.items()}))
        return out

    read: list[int] = []
    real_read = CandidateTable.read

    def counting(self: CandidateTable, ids: list[int]):
        read.append(len(ids))
        return real_read(self, ids)

    monkeypatch.setattr(CandidateTable, "read", counting)
    fast = answers()
    assert read  # the bounded path served these
    for q in queries[-4:]:  # page 2 continues page 1
        first, second, both = (
            [d.id for d in app.search.search_documents(q, mode="lexical", limit=n, offset=o).documents]
            for n, o in ((10, 0), (10, 10), (20, 0))
        )
        assert first + second == both, q
    monkeypatch.setattr(DocumentSearch, "best", lambda self, *a, **k: None)  # every candidate ranked
    assert answers() == fast


def test_no_candidate_gets_more_than_the_bound(app: App) -> None:
    docs = app.search.document_search.rows.facts_by_ids([r[0] for r in app.store.query("SELECT id FROM documents")])
    for d in docs.values():
        d.is_current = True  # the largest boost it could get
    for text in [*QUERIES, "as built 21614 rev 3 room 2 CO1 design", "floor plan"]:
        ctx = RankContext.of(parse_query(text), time.time(), {"21614": 0.9}, {"21614": 0.5})
        bound = boost_bound(ctx)
        assert max(document_boost(d, ctx)[0] for d in docs.values()) <= bound


def test_a_large_table_is_rebuilt_in_the_background_and_sql_serves_meanwhile(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    from quicknav_mcp.search import candidates

    monkeypatch.setattr(candidates, "SYNC_BUILD_MAX", 0)
    monkeypatch.setattr(candidates, "MIN_REBUILD_GAP_S", 0.0)
    table = CandidateTable(app.store, app.search.versions)
    doc_id = app.store.query_one("SELECT id FROM documents ORDER BY id LIMIT 1")[0]
    assert table.facts([doc_id], Scope()) is None  # the first build runs on a thread: SQL serves meanwhile
    assert table.ready(10)
    assert table.facts([doc_id], Scope()) is not None
    with app.store.transaction() as conn:
        conn.execute("UPDATE documents SET room = 41 WHERE id = ?", (doc_id,))
    assert table.facts([doc_id], Scope()) is None  # stale: the caller reads with SQL
    deadline = time.monotonic() + 10
    found = None
    while found is None and time.monotonic() < deadline:
        time.sleep(0.02)
        found = table.facts([doc_id], Scope())
    assert found is not None and found[doc_id].room == 41


def test_the_first_build_starts_at_open_and_a_small_firm_waits_for_it(app: App) -> None:
    table = CandidateTable(app.store, app.search.versions)
    table.start()  # as the search service does when it opens
    table.start()  # one build at a time
    doc_id = app.store.query_one("SELECT id FROM documents ORDER BY id LIMIT 1")[0]
    found = table.facts([doc_id], Scope())  # a small firm's search waits for the running build
    assert found is not None and set(found) == {doc_id}
    assert table.ready(0)


def test_a_new_search_service_builds_its_table_in_the_background(tmp_path: Path, app: App) -> None:
    app.close()
    again = App.open(load_config(db=tmp_path / "q.db", roots=[], env={"QUICKNAV_EMBED_MODEL": "none"}))
    try:
        assert again.search.candidates.ready(10)
        assert again.search.candidates.size_bytes() > 0  # built without any search asking
        assert again.search.candidates.current() is not None
    finally:
        again.close()


def test_a_clients_documents_come_from_the_table_as_sql_lists_them(app: App) -> None:
    from quicknav_mcp.search.facts import FactRetriever

    pids = {p.id for p in app.projects.all()[:3]}
    codes = {p.code for p in app.projects.all()[:3]}
    sub = Scope().within(pids, codes)
    from_sql = FactRetriever(app.store).documents(parse_query("anything"), sub, force=True)
    from_table = app.search.candidates.newest_of(pids, 200)
    assert from_table is not None and len(from_table) == len(from_sql) > 0
    facts = app.search.document_search.rows.facts_by_ids(from_table)
    keys = [(facts[i].is_archive, -facts[i].mtime) for i in from_table]
    assert keys == sorted(keys) and from_table == from_sql  # ties of mtime: lowest id first (facts.NEWEST_FIRST)
    assert app.search.candidates.newest_of(pids, 5) == from_table[:5]
    for text in ("as built", "swms", "floor plan drawings", "proposal"):  # a family (both sides break ties by id)
        pq = parse_query(text)
        assert pq.doc_types
        listed = FactRetriever(app.store).documents(pq, sub, force=True)
        assert app.search.candidates.newest_of(pids, 200, pq.doc_types, as_built=pq.as_built) == listed


def test_a_large_firms_first_build_works_out_every_current_revision(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from quicknav_mcp.repo import DocumentRepo
    from quicknav_mcp.search import candidates
    from quicknav_mcp.search.current import CurrentRevisions

    monkeypatch.setattr(candidates, "SYNC_BUILD_MAX", 0)
    current = CurrentRevisions(DocumentRepo(app.store), app.search.versions)
    table = CandidateTable(app.store, app.search.versions)
    table.warmers.append(current.warm)
    table.start()
    assert table.ready(30)
    ids = [r[0] for r in app.store.query("SELECT id FROM documents ORDER BY id")]
    expected = app.search.document_search.rows.facts_by_ids(ids)
    app.search.current.mark(expected)  # worked out on demand, with SQL
    monkeypatch.setattr(DocumentRepo, "series_peers", lambda self, pairs: pytest.fail(f"read {len(pairs)} series"))
    docs = table.read(ids)
    current.mark(docs)  # every series already known: nothing read
    assert {i: d.is_current for i, d in docs.items()} == {i: d.is_current for i, d in expected.items()}
    assert any(d.is_current for d in docs.values()) and not all(d.is_current for d in docs.values())


def test_a_firm_wide_family_comes_from_the_table_as_sql_lists_it(app: App) -> None:
    """Every family (and two together), as-built or not, also with ties of mtime: the same ids in the
    same order as ``FactRetriever`` reads them; a second ask is answered from the snapshot's list."""
    from quicknav_mcp.search.facts import FactRetriever

    with app.store.transaction() as conn:  # ties of mtime across families and archived states
        conn.execute("UPDATE documents SET mtime = 1700000000.5 WHERE id % 3 = 0")
    facts = FactRetriever(app.store, candidates=25)
    table = CandidateTable(app.store, app.search.versions)
    assert table.ready(30)
    types = [r[0] for r in app.store.query("SELECT DISTINCT doc_type FROM documents ORDER BY doc_type")]
    asked = [[t] for t in types] + [types[:2], [types[-1], types[0]], ["no_such_family"]]
    for doc_types in asked:
        for as_built in (False, True):
            from_table = table.family_newest(doc_types, 25, as_built=as_built)
            assert from_table == facts._family_newest(doc_types, as_built, Scope()), (doc_types, as_built)
    snap = table.current()
    assert snap is not None and len(snap.families) == 2 * len(asked)
    assert table.family_newest(types[:1], 25) == snap.families[(tuple(types[:1]), False, 25)]


def test_documents_of_one_mtime_are_listed_in_one_order_by_the_table_and_by_sql(tmp_path: Path) -> None:
    """Copied folders, restores and syncs leave many documents with one mtime: the table and the SQL
    that answers while it is rebuilt list them in one order (lowest id first), so a request gets the
    same documents in the same order whichever answers it."""
    import os

    from quicknav_mcp.search.facts import FactRetriever

    root = tmp_path / "firm"
    generate_firm(root, projects=6, seed=5, content=False)
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (1_700_000_000, 1_700_000_000))
    app = App.open(load_config(db=tmp_path / "q.db", roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"}))
    try:
        app.indexing.reindex()
        projects = app.projects.all()
        pids, codes = {p.id for p in projects[:3]}, {p.code for p in projects[:3]}
        sub = Scope().within(pids, codes)
        from_sql = FactRetriever(app.store).documents(parse_query("anything"), sub, force=True)
        from_table = app.search.candidates.newest_of(pids, 200)
        assert from_table is not None and len(from_sql) > 20
        assert from_table == from_sql
        ids = set(from_sql)
        archived = {r[0] for r in app.store.query_tuples("SELECT id FROM documents WHERE is_archive = 1")}
        assert from_sql == sorted(ids, key=lambda i: (i in archived, i))  # not archived first, then lowest id
    finally:
        app.close()


def test_the_table_answers_a_family_only_where_the_fact_retriever_says_sql_lists_it_firm_wide(app: App) -> None:
    """``FactRetriever.firm_family`` is the one rule for when the candidate table may list a family:
    wherever it holds, the table's list is SQL's; any scope, number or repeated type turns it off."""
    from quicknav_mcp.search.facts import FactRetriever

    facts = FactRetriever(app.store, candidates=25)
    table = CandidateTable(app.store, app.search.versions)
    assert table.ready(30)
    pid = app.store.query_one("SELECT min(id) FROM projects")[0]
    where = Scope()
    where.add("d.is_archive = ?", 0)
    joined = Scope()
    joined.uses_projects = True
    scopes = {
        "none": Scope(),
        "where": where,
        "projects": Scope(project_ids={pid}),
        "codes": Scope(fts_codes={"17741"}),
        "joins projects": joined,
    }
    lld = parse_query("lld")
    queries = {
        "family": lld,
        "as built": parse_query("as built design"),
        "two families": dataclasses.replace(lld, doc_types=["lld", "sales_po"]),
        "repeated": dataclasses.replace(lld, doc_types=["lld", "lld"]),
        "revision": parse_query("rev 3 lld"),
        "room": parse_query("room 101 lld"),
        "change order": parse_query("co 5 drawing"),
        "no family": parse_query("anything"),
    }
    firm_wide = set()
    for qname, pq in queries.items():
        for sname, scope in scopes.items():
            if facts.firm_family(pq, scope):
                firm_wide.add((qname, sname))
                listed = table.family_newest(pq.doc_types, 25, as_built=pq.as_built)
                assert listed == facts.documents(pq, scope, force=True), (qname, sname)
    assert firm_wide == {("family", "none"), ("as built", "none"), ("two families", "none")}
