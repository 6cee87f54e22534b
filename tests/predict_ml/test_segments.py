"""User segments on a hand-made log: two obvious groups of four users."""

from __future__ import annotations

import pytest

from quicknav_mcp.errors import InvalidInput
from quicknav_mcp.ml.errors import InsufficientData
from quicknav_mcp.predict.segments import segment_users

from .conftest import at

DESIGN_DOC = "21614 - PLWRX Hearing Loop/4. System Designs/21614 - LLD Rev {n}.pdf"


def _designers(users: list[str]) -> list[dict]:
    # Office hours, one project each, opening design drawings.
    out = []
    for i, user in enumerate(users):
        for day in ("02", "03", "04", "05", "06"):
            for n in range(4):
                out.append(
                    {
                        "user_id": user,
                        "event_type": "document_access",
                        "project_id": f"2161{i}",
                        "document_id": DESIGN_DOC.format(n=n),
                        "timestamp": at(day, 10 + n),
                    }
                )
    return out


def _searchers(users: list[str]) -> list[dict]:
    # Evenings, many projects, mostly searching.
    out = []
    for i, user in enumerate(users):
        for d, day in enumerate(("02", "03", "04", "05", "06")):
            for n in range(6):
                out.append(
                    {"user_id": user, "event_type": "project_search", "query": f"q{n}", "timestamp": at(day, 20, n)}
                )
            for n in range(2):
                project = f"3{i}{d}{n}0"
                out.append(
                    {"user_id": user, "event_type": "project_view", "project_id": project, "timestamp": at(day, 21, n)}
                )
    return out


def test_two_groups_are_found_and_named_from_their_profile(log) -> None:
    store, write = log
    designers = ["ann", "bob", "cat", "dan"]
    searchers = ["eve", "fay", "gus", "hal"]
    write(_designers(designers) + _searchers(searchers))
    result = segment_users(store)
    assert result.k == 2 and result.users == 8
    assert result.silhouette is not None and result.silhouette > 0.5
    groups = {frozenset(s.members): s for s in result.segments}
    assert set(groups) == {frozenset(designers), frozenset(searchers)}
    design, search = groups[frozenset(designers)], groups[frozenset(searchers)]
    assert design.profile["design"] == 1.0 and design.profile["projects"] == 1.0
    assert search.profile["search_share"] == pytest.approx(0.75) and search.profile["projects"] == 10.0
    assert search.profile["after_hours"] == 1.0
    # Named by what sets them apart.
    assert any(w in search.name.lower() for w in ("searchers", "after-hours", "broad"))
    assert any(w in design.name.lower() for w in ("design", "direct", "project-focused"))
    assert "events per active day" in design.description and design.size == 4
    # A fixed k is honoured, within what the data can show.
    with pytest.raises(InvalidInput, match="only 2 distinct behaviours"):
        segment_users(store, k=3)
    write([{"user_id": "ivy", "event_type": "user_login", "timestamp": at("07", 3)}])
    assert len(segment_users(store, k=3).segments) == 3


def test_bad_input_and_too_few_users(log) -> None:
    store, write = log
    with pytest.raises(InsufficientData, match="0 active users"):
        segment_users(store)
    write(_designers(["ann", "bob"]))
    with pytest.raises(InsufficientData, match="at least 4 needed"):
        segment_users(store)
    with pytest.raises(InvalidInput, match="k must be a whole number from 2 to 8"):
        segment_users(store, k=1)
