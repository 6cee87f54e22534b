"""Project search gives its reasons for the rows it shows only; the scores and order never depend on it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.search.project_about import boost
from quicknav_mcp.search.query import parse_query


@pytest.fixture(scope="module")
def app(sample_db: Path, sample_root: Path, tmp_path_factory: pytest.TempPathFactory):
    """The indexed sample firm (a copy: opening may write)."""
    db = Path(shutil.copyfile(sample_db, tmp_path_factory.mktemp("reasons") / "q.db"))
    with App.open(load_config(db=db, roots=[sample_root], env={"QUICKNAV_EMBED_MODEL": "none"})) as app:
        yield app


def requests(app: App) -> list[str]:
    """A code, a client, folder words and a typo of one, from the sample firm itself."""
    rec = app.projects.all()[0]
    words = [w for w in rec.name.split() if w.isalpha() and len(w) > 3]
    out = [rec.code, " ".join(words[:2]), words[0][:1] + words[0][2:1:-1] + words[0][3:]]
    return out + ([rec.client] if rec.client else [])


def test_the_rows_shown_get_the_reasons_all_rows_would(app: App) -> None:
    search = app.search.project_search
    for text in requests(app):
        pq = parse_query(text)
        with app.search.versions.pinned():
            every, *_ = search.rank(pq, {}, None, "lexical")
            few, *_ = search.rank(pq, {}, None, "lexical", shown=2)
        assert [(r.id, s) for r, s, _ in few] == [(r.id, s) for r, s, _ in every], text
        assert [w for _, _, w in few[:2]] == [w for _, _, w in every[:2]], text
        assert all(w == [] for _, _, w in few[2:]), text
        assert all(w for _, _, w in every), text  # every fused row was found by some list
        page2 = app.search.search_projects(text, mode="lexical", limit=2, offset=2).projects
        assert [(p.score, p.why) for p in page2] == [(s, w) for _, s, w in every[2:4]], text


def test_boost_keeps_the_rows_without_a_share() -> None:
    class Row:
        def __init__(self, i: int) -> None:
            self.id = i

    ranked = [(Row(1), 0.5, ["lexical"]), (Row(2), 0.33333, ["about"])]
    out = boost(ranked, [(2, 0.8)])
    assert out[0] is ranked[0] and out[1][1] == round(0.33333 * 3.5, 5)


def test_a_hit_carries_the_summary_of_its_project(app: App) -> None:
    for rec in app.projects.all():
        assert rec.summary_fields() == rec.summary().model_dump()
    hit = app.search.search_projects(app.projects.all()[0].code, mode="lexical").projects[0]
    assert hit.model_dump(include=set(rec.summary_fields())) == app.projects.all()[0].summary().model_dump()
