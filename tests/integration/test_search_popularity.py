"""Search learns about use only through its popularity interface, which analytics implements."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from quicknav_mcp.analytics.popularity import Popularity
from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.search.service import SearchService

SEARCH = Path(__file__).resolve().parents[2] / "quicknav_mcp" / "search"


class FixedSource:
    """A popularity source with fixed figures (what analytics would report)."""

    def __init__(self, popular: dict[str, float], recent: dict[str, float], queries: list[tuple[str, int]]) -> None:
        self.popular, self.recent, self.queries = popular, recent, queries

    def popularity_map(self) -> dict[str, float]:
        return self.popular

    def recent_for(self, user_id: str | None) -> dict[str, float]:
        return self.recent if user_id == "alice" else {}

    def frequent_queries(self) -> list[tuple[str, int]]:
        return self.queries


@pytest.fixture(scope="module")
def app(sample_root: Path, tmp_path_factory: pytest.TempPathFactory):
    db = tmp_path_factory.mktemp("pop") / "q.db"
    with App.open(load_config(db=db, roots=[sample_root], env={"QUICKNAV_EMBED_MODEL": "none"})) as app:
        app.indexing.reindex()
        yield app


def test_search_never_reads_analytics_tables() -> None:
    pattern = re.compile(r"\ban_[a-z]+_(day|hour|user|day_user)\b|\ban_(events|sessions)\b")
    offenders = [p.name for p in SEARCH.glob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_an_injected_source_boosts_and_suggests(app: App) -> None:
    projects = app.projects.all()
    hot, mine = projects[0].code, projects[1].code
    source = FixedSource({hot: 1.0}, {mine: 1.0}, [("zebra crossing plan", 5)])
    plain = SearchService(app.store, app.projects)
    fed = SearchService(app.store, app.projects, popularity=source)

    def why(svc: SearchService, code: str, user: str | None) -> list[str]:
        found = svc.search_documents(project_number=code, limit=1, user_id=user, mode="lexical")
        return found.documents[0].why

    assert "popular" in why(fed, hot, None) and "popular" not in why(plain, hot, None)
    assert "your recent project" in why(fed, mine, "alice")
    assert "your recent project" not in why(fed, mine, "bob") + why(plain, mine, "alice")
    projects_why = {p.project_number: p.why for p in fed.search_projects(mine, user_id="alice").projects}
    assert "your recent project" in projects_why[mine]
    assert [s.text for s in fed.suggest("zebra").suggestions if s.kind == "query"] == ["zebra crossing plan"]
    assert not [s for s in plain.suggest("zebra").suggestions if s.kind == "query"]


def test_analytics_popularity_reads_the_rollups(app: App) -> None:
    projects = app.projects.all()
    busy, quiet = projects[0].code, projects[2].code
    today = int(time.time() // 86400)
    with app.store.transaction() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO an_project_day (project_id, day, views, document_opens, searches, events, last_ms) "
            "VALUES (?, ?, ?, 0, 0, ?, 0)",
            [(busy, today, 40, 40), (quiet, today - 1, 3, 3), (quiet, today - 400, 900, 900)],
        )
        conn.execute(
            "INSERT OR REPLACE INTO an_project_day_user (project_id, day, user_id, events) VALUES (?, ?, 'alice', 4)",
            (quiet, today - 2),
        )
    pop = Popularity(app.store)
    figures = pop.popularity_map()
    assert figures[busy] == 1.0 and 0 < figures[quiet] < 0.5  # the 400-day-old burst is outside the window
    assert pop.popularity_map() is figures  # cached: the suggester keys its rebuilds on identity
    assert pop.recent_for("alice") == {quiet: 1.0} and pop.recent_for("bob") == {} and pop.recent_for(None) == {}
    assert isinstance(app.search.popularity, Popularity)  # the application wires it in
