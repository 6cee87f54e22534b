"""What the candidate table answers in place of SQL gives what SQL gives: a page's rows (the table's
columns with those it lacks, only while it provably matches the store) and one project's fact lists."""

from __future__ import annotations

import contextlib
import dataclasses

import numpy as np
import pytest

from quicknav_mcp.app import App
from quicknav_mcp.search.candidates import CandidateTable
from quicknav_mcp.search.facts import FactRetriever
from quicknav_mcp.search.intent import related_words
from quicknav_mcp.search.query import parse_query
from quicknav_mcp.search.scope import Scope, document_scope


@pytest.fixture()
def app(firm12_app: App) -> App:
    return firm12_app


def _ids(app: App) -> list[int]:
    return [r[0] for r in app.store.query("SELECT id FROM documents ORDER BY id")]


def _same(found: list, whole: list) -> None:
    """Equal rows and texts (``is_current`` apart: rows read whole are not marked; the page's facts are)."""
    found = [(dataclasses.replace(r, is_current=False), text) for r, text in found]
    assert [(dataclasses.asdict(r), text) for r, text in found] == [(dataclasses.asdict(r), text) for r, text in whole]


def test_page_rows_from_the_table_are_the_rows_read_whole(app: App) -> None:
    table, rows, current = app.search.candidates, app.search.document_search.rows, app.search.current
    assert table.ready(30)
    ids = _ids(app)
    with app.store.transaction() as conn:  # some extracted text (its counter is not the table's)
        conn.execute(
            "INSERT INTO document_content (doc_id, size, mtime, status, text, chars, truncated, extracted_at) "
            "VALUES (?, 1, 1, 'ok', 'hearing loop commissioning', 26, 0, 'x')",
            (ids[2],),
        )
    page = list(table.read(ids).values())
    current.mark({d.id: d for d in page})
    found = table.rows_with_content(page)
    assert found is not None and len(found) == len(ids)
    _same(found, rows.with_content(ids))
    assert dict((r.id, text) for r, text in found)[ids[2]] == "hearing loop commissioning"
    assert any(r.is_current for r, _ in found) and [r.is_current for r, _ in found] == [d.is_current for d in page]
    # Facts of another build (or read with SQL) are completed from this build's.
    stale = [dataclasses.replace(d, name="old name", mtime=1.0) for d in page[:5]]
    found = table.rows_with_content(stale)
    assert found is not None
    _same(found, rows.with_content(ids[:5]))


def test_a_page_is_read_whole_unless_the_table_matches_the_store_at_that_read(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    table, rows = app.search.candidates, app.search.document_search.rows
    assert table.ready(30)
    ids = _ids(app)
    page = list(table.read(ids[:10]).values())
    with app.store.transaction() as conn:  # a document changes after the table was built
        conn.execute("UPDATE documents SET revision_raw = 'Rev Z', revision = 999 WHERE id = ?", (ids[0],))
    assert table.rows_with_content(page) is None  # (its counter moved: rows are read whole)
    assert table.ready(30)
    page = list(table.read(ids[:10]).values())
    with app.store.transaction() as conn:  # a document is deleted
        conn.execute("DELETE FROM documents WHERE id = ?", (ids[1],))
    assert table.rows_with_content(page) is None
    assert table.ready(30)
    found = table.rows_with_content(list(table.read(ids[:10]).values()))
    assert found is not None and ids[1] not in {r.id for r, _ in found}
    _same(found, rows.with_content(ids[:10]))
    assert dict((r.id, r.revision_raw) for r, _ in found)[ids[0]] == "Rev Z"
    # A change committed while a search runs (its counters pinned before it): still read whole.
    with app.search.versions.pinned():
        with app.store.transaction() as conn:
            conn.execute("UPDATE documents SET sheet = 'S9' WHERE id = ?", (ids[2],))
        assert table.rows_with_content(list(table.read(ids[:10]).values())) is None
    # Without the counters (an old schema) nothing is taken from the table.
    monkeypatch.setattr(app.search.versions, "columns", lambda *names: None)
    assert table.ready(30)
    assert table.rows_with_content(list(table.read(ids[:10]).values())) is None


def test_scopes_of_projects_only_are_told_apart(app: App) -> None:
    code = app.projects.all()[0].code
    with app.search.versions.pinned():
        for text, only in ((f"{code} swms", True), (f"{code} rev 2", True), ("swms", False)):
            scope = document_scope(app.projects, parse_query(text), {}, None, None, False, [])
            assert scope.only_projects() is only, text
        filtered = document_scope(app.projects, parse_query(code), {"ext": ["pdf"]}, None, None, False, [])
        assert not filtered.only_projects()
        current = document_scope(app.projects, parse_query(code), {}, None, None, True, [])
        assert not current.only_projects()
    pid = app.projects.all()[0].id
    assert not Scope().within({pid}, {code}).only_projects()


def test_a_projects_fact_lists_come_from_the_table_as_sql_lists_them(app: App) -> None:
    """Revisions, rooms and change orders (with documents lacking them: SQL's NULL sums sort last),
    as-built, families and documents filed as "other" under a related name (matched as ``LIKE``
    does: ASCII letters in any case, nothing else folded), alone and together, over every project
    and two together; with no fact asked, nothing (SQL's ``force`` path is the project's newest)."""
    ids = _ids(app)
    others = ("Site SDS Sheet.pdf", "JOB SAFETY ANALYSIS L2.pdf", "JSA_Form.pdf", "RIS\u212a Assessment.pdf")
    with app.store.transaction() as conn:
        for n, name in enumerate(others):
            conn.execute(
                "UPDATE documents SET doc_type = 'other', project_rel_path = ?, name_at = 1 WHERE id = ?",
                (name, ids[n * 7]),
            )
        conn.execute("UPDATE documents SET mtime = 1700000000.5 WHERE id % 4 = 0")  # ties of mtime
        conn.execute("UPDATE documents SET revision = 101 WHERE id % 5 = 0 AND revision IS NULL")
    table = CandidateTable(app.store, app.search.versions)
    assert table.ready(30)
    facts = FactRetriever(app.store)
    revisions = [r[0] for r in app.store.query("SELECT DISTINCT revision FROM documents WHERE revision IS NOT NULL")]
    texts = ["swms", "scope", "as built", "as built design", "swms as built", "floor plan", "handover"]
    texts += [f"rev {v}" for v in revisions[:4]] + [f"rev {revisions[0]} swms", "CO1", "CO2 as built", "room 1"]
    projects = app.projects.all()
    scopes = [([p], p.code) for p in projects] + [(projects[:2], f"{projects[0].code} {projects[1].code}")]
    listed = 0
    with app.search.versions.pinned():
        for chosen, codes in scopes:
            for text in texts:
                pq = parse_query(f"{codes} {text}")
                scope = document_scope(app.projects, pq, {}, None, None, False, [])
                assert scope.only_projects() and scope.project_ids == {p.id for p in chosen}
                expected = facts.documents(pq, scope, force=True)
                found = table.facts_newest(
                    scope.project_ids,
                    facts.candidates,
                    numbers=(pq.revision, pq.room, pq.change_order),
                    as_built=pq.as_built,
                    doc_types=pq.doc_types,
                    related=related_words(pq.doc_types),
                )
                assert found == expected, (codes, text)
                listed += len(found)
            assert table.facts_newest({p.id for p in chosen}, 200) == []
    assert listed > 100
    named = ids[: 4 * 7 : 7]
    found = table.facts_newest({p.id for p in projects}, 10_000, doc_types=["swms"], related=related_words(["swms"]))
    assert found is not None and set(named[:3]) <= set(found)
    assert named[3] not in found  # (the Kelvin sign lowers to "k" in Python, not in LIKE)


def test_ids_within_projects_are_kept_as_the_sql_condition_keeps_them(app: App) -> None:
    """A scope of projects only is checked on the table's columns (no SQL): the ids of those
    projects that exist, in their order, repeats and unknown ids among them; copy groups alike."""
    import random

    table = app.search.candidates
    assert table.ready(30)
    ids = _ids(app)
    projects = app.projects.all()
    rng = random.Random(7)
    with app.search.versions.pinned():
        for chosen in (projects[:1], projects[2:4]):
            scope = document_scope(
                app.projects, parse_query(" ".join(p.code for p in chosen)), {}, None, None, False, []
            )
            assert scope.only_projects()
            same = Scope(list(scope.where), list(scope.params), None, set(), True)  # the same condition, read with SQL
            assert not same.only_projects()
            for _ in range(20):
                asked = [rng.choice([*ids, -3, 10**9]) for _ in range(rng.randint(0, 120))]
                found = table.existing(asked, scope)
                assert found is not None and found == table.existing(asked, same)
                assert found == [i for i in asked if i in set(table.existing(ids, same) or ())]
                keys = np.array(asked, np.int64)
                for s in (scope, same, Scope()):  # the mask keeps what the list does
                    assert keys[table.existing_mask(keys, s)].tolist() == table.existing(asked, s)
                assert table.copy_groups(asked, scope) == table.copy_groups(asked, same)
            assert table.existing(ids, scope)


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_no_table_is_built_inside_a_write_transaction(app: App, end: str) -> None:
    """Counters read inside this store's own transaction may never be committed (or be committed with
    other rows): a table built then would read committed rows under that label and pass for current."""
    table, rows = app.search.candidates, app.search.document_search.rows
    assert table.ready(30)
    x = app.store.query_one("SELECT min(id) FROM documents")[0]

    class Abort(Exception):
        pass

    stopped = pytest.raises(Abort) if end == "rollback" else contextlib.nullcontext()
    with stopped, app.store.transaction() as conn:
        conn.execute("UPDATE documents SET revision = 777, revision_raw = 'Rev 777' WHERE id = ?", (x,))
        table.current()  # a search inside the transaction: SQL serves it
        if end == "rollback":
            raise Abort
    if end == "rollback":  # the same counters again, other rows
        with app.store.transaction() as conn:
            conn.execute("UPDATE documents SET revision = 778, revision_raw = 'Rev 778' WHERE id = ?", (x,))
    assert table.ready(30)
    found = table.rows_with_content(list(table.read([x]).values()))
    whole = rows.with_content([x])
    assert found is not None
    _same(found, whole)
    assert found[0][0].revision == (777 if end == "commit" else 778)
