"""Type-ahead: every answer is a real match of what is typed, the last word being unfinished."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.errors import InvalidInput
from quicknav_mcp.search.text import tokens
from quicknav_mcp.search.typeahead import prefix_matches

TYPED = ("system design", "floor plan", "as built", "hearing loop", "change order", "swms", "proposal rev")


@pytest.fixture(scope="module")
def qn(demo_db: Path) -> Iterator[App]:
    with App.open(load_config(db=demo_db, env={}, embed_model="none"), readonly=True) as app:
        yield app


def indexed_words(app: App, doc_id: int) -> list[str]:
    """What the full-text index holds for a document: name, folders, project folder, family words, text."""
    row = app.store.query_one(
        "SELECT d.project_rel_path, p.folder_name, p.code, coalesce(f.words, ''), coalesce(c.text, '') "
        "FROM documents d JOIN projects p ON p.id = d.project_id "
        "LEFT JOIN search_family_words f ON f.doc_type = d.doc_type "
        "LEFT JOIN document_content c ON c.doc_id = d.id WHERE d.id = ?",
        (doc_id,),
    )
    assert row is not None
    return tokens(" ".join(str(v) for v in row))


def prefixes(text: str) -> list[str]:
    return [text[:i] for i in range(2, len(text) + 1)]


@pytest.mark.parametrize("typed", TYPED)
def test_every_prefix_answers_with_real_matches(qn: App, typed: str) -> None:
    answered = 0
    for text in prefixes(typed):
        out = qn.search.typeahead.search(text, limit=10)
        *done, last = tokens(text)
        for d in out.documents:
            have = indexed_words(qn, d.id)
            assert all(w in have for w in done if w in qn.search.vocab), (text, d.name)
            assert any(h.startswith(last) for h in have), (text, d.name)  # the word being typed
        for p in out.projects:
            assert prefix_matches(" ".join((p.project_number, p.name, p.client or "", *p.client_names)), text)
        answered += bool(out.documents)
    assert answered >= len(prefixes(typed)) - 2  # a real query's prefixes find documents at nearly every key


def test_file_names_holding_the_words_come_first(qn: App) -> None:
    out = qn.search.typeahead.search("floor pl", limit=5)
    assert out.documents
    top = out.documents[0]
    assert prefix_matches(top.name, "floor pl") and top.why[0].startswith("name: ")
    assert "**" in top.snippet  # the matched words highlighted in the name
    assert out.words[0] == ["floor"] and "plan" in out.words[1]  # the last word stood for its completions


def test_a_trailing_space_finishes_the_last_word(qn: App) -> None:
    typing = qn.search.typeahead.search("floor", limit=5)
    done = qn.search.typeahead.search("floor ", limit=5)
    assert typing.words[0][0] == "floor" and len(typing.words[0]) > 1  # floor, floorplan...
    assert done.words == [["floor"]]  # a finished word stands for itself
    assert done.documents and all("floor" in indexed_words(qn, d.id) for d in done.documents)
    unknown = qn.search.typeahead.search("flo ", limit=5)  # a finished word the index lacks: still a prefix
    assert "floor" in unknown.words[0]


def test_projects_by_code_prefix_and_name_words(qn: App) -> None:
    code = qn.projects.all()[0].code
    by_code = qn.search.typeahead.search(code[:3], limit=0, projects_limit=20)
    assert by_code.projects and all(p.project_number.startswith(code[:3]) for p in by_code.projects)
    assert by_code.projects[0].why[0] == "code starts" and by_code.documents == []
    exact = qn.search.typeahead.search(code, limit=0)
    assert exact.projects[0].project_number == code and exact.projects[0].why == ["code"]
    word = tokens(qn.projects.all()[0].name.split(" - ", 1)[-1])[0]
    by_name = qn.search.typeahead.search(word[:3], limit=0)
    assert by_name.projects and all(prefix_matches(p.name + " " + (p.client or ""), word[:3]) for p in by_name.projects)


def test_current_revisions_are_marked_like_the_full_search(qn: App) -> None:
    quick = qn.search.typeahead.search("system design", limit=20)
    full = {d.id: d.is_current for d in qn.search.search_documents("system design", limit=50).documents}
    shared = [d for d in quick.documents if d.id in full]
    assert shared and all(d.is_current == full[d.id] for d in shared)


@pytest.mark.parametrize(
    ("text", "limit", "problem"),
    [("", 10, "q is empty"), ("   ", 10, "q is empty"), ("floor", 51, "limit"), ("floor", "5", "limit"), ([1], 5, "q")],
)
def test_bad_input_is_refused_by_name(qn: App, text: object, limit: object, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        qn.search.typeahead.search(text, limit=limit)
    assert qn.search.typeahead.search("floor").documents  # and it keeps answering


def test_nothing_typed_that_the_index_lacks(qn: App) -> None:
    out = qn.search.typeahead.search("zzqx")
    assert out.projects == [] and out.documents == [] and out.search_time_ms >= 0
