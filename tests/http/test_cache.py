"""The response cache: TTL, LRU bound, tags, index-change invalidation, stats."""

from __future__ import annotations

import pytest

from quicknav_mcp.http.cache import EVENTS, INDEX, ResponseCache, cache_key, user_tag


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_key_is_canonical_and_separates_route_user_body() -> None:
    a = cache_key("/s", "dana", {"q": "x", "limit": 5})
    assert a == cache_key("/s", "dana", {"limit": 5, "q": "x"})
    assert a != cache_key("/s", "eve", {"q": "x", "limit": 5})
    assert a != cache_key("/d", "dana", {"q": "x", "limit": 5})
    assert a != cache_key("/s", "dana", {"q": "x", "limit": 6})


def test_ttl_expiry_and_stats() -> None:
    clock = Clock()
    c = ResponseCache(ttl=10, clock=clock)
    assert c.get("k") is None
    c.put("k", b"v")
    assert c.get("k") == b"v"
    clock.now = 9.9
    assert c.get("k") == b"v"
    clock.now = 10.0
    assert c.get("k") is None
    s = c.stats()
    assert (s["hits"], s["misses"], s["entries"]) == (2, 2, 0)
    assert s["hit_ratio"] == 0.5


def test_lru_bound_by_entries_and_bytes() -> None:
    c = ResponseCache(ttl=60, max_entries=3, clock=Clock())
    for k in "abc":
        c.put(k, k.encode())
    c.get("a")  # a is now the most recent
    c.put("d", b"d")
    assert c.get("b") is None and c.get("a") == b"a"
    assert c.stats()["evictions"] == 1
    small = ResponseCache(ttl=60, max_bytes=400, clock=Clock())
    for i in range(10):
        small.put(str(i), b"x" * 90)
    assert small.stats()["bytes"] <= 400 and small.stats()["entries"] == 4
    small.put("huge", b"x" * 200)  # more than a quarter of the budget: not cached
    assert small.get("huge") is None


def test_tags_invalidate_exactly_their_entries() -> None:
    c = ResponseCache(ttl=60, clock=Clock())
    c.put("search", {"r": 1}, [INDEX])
    c.put("dash", {"r": 2}, [EVENTS])
    c.put("reco-dana", {"r": 3}, [INDEX, user_tag("dana")])
    c.put("reco-eve", {"r": 4}, [INDEX, user_tag("eve")])
    assert c.invalidate(user_tag("dana")) == 1
    assert c.get("reco-dana") is None and c.get("reco-eve") == {"r": 4}
    assert c.invalidate(INDEX) == 2
    assert c.get("search") is None and c.get("dash") == {"r": 2}
    assert c.invalidate("nothing") == 0


def test_watched_version_change_drops_that_tags_entries() -> None:
    version = {INDEX: 1, EVENTS: 1}
    c = ResponseCache(ttl=60, clock=Clock(), watch={t: (lambda t=t: version[t]) for t in version})
    c.put("search", 1, [INDEX])
    c.put("dash", 2, [EVENTS])
    assert c.get("search") == 1
    version[INDEX] = 2
    assert c.get("search") is None
    assert c.get("dash") == 2
    version[EVENTS] = 2
    assert c.get("dash") is None


def test_index_version_from_the_real_counters(tmp_path) -> None:
    from quicknav_mcp.search.versions import Versions
    from quicknav_mcp.store import Store

    store = Store(tmp_path / "q.db")
    try:
        c = ResponseCache(ttl=60, watch={INDEX: Versions(store).get})
        c.put("search", "answer", [INDEX])
        assert c.get("search") == "answer"
        with store.transaction() as conn:
            conn.execute("INSERT INTO roots(id, path) VALUES (1, '/p')")
            conn.execute(
                "INSERT INTO projects(root_id, code, folder_name, rel_path) VALUES (1, '10001', '1 - T', '1 - T')"
            )
        assert c.get("search") is None
    finally:
        store.close()


def test_get_or_compute_and_disabled_cache() -> None:
    c = ResponseCache(ttl=60, clock=Clock())
    assert c.get_or_compute("k", lambda: 5) == (5, False)
    assert c.get_or_compute("k", lambda: 6) == (5, True)
    off = ResponseCache(ttl=0)
    off.put("k", 1)
    assert off.get_or_compute("k", lambda: 2) == (2, False)
    with pytest.raises(ValueError):
        ResponseCache(max_entries=0)


def test_events_invalidate_through_the_live_gateway(sample_db, sample_root, tmp_path) -> None:
    """A tracked event drops analytics answers and its user's, not the index's, on a running gateway."""
    import shutil

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    from .edge_harness import edge_app, serve, wait_for

    db = tmp_path / "q.db"
    shutil.copy(sample_db, db)
    qn = App.open(load_config(db=db, roots=[sample_root], env={}, embed_model="none", search_background=False))
    try:
        app = edge_app(qn)
        with serve(app):
            cache = app.state.edge.cache
            # What drops entries here must be the events, not the answers' age: the waits below
            # have taken longer than the default 30 s lifetime on a loaded machine.
            cache.ttl = 3600
            cache.put("dash", "figures", [EVENTS])
            cache.put("reco-dana", "items", [user_tag("dana")])
            cache.put("reco-eve", "items", [user_tag("eve")])
            cache.put("search", "hits", [INDEX])
            assert cache.get("dash") == "figures"
            event = {"event_type": "project_view", "user_id": "dana", "project_id": "17741", "event_id": "c1"}
            assert qn.analytics.track_event(event).stored
            # A liveness wait, not a speed check (the feed has its own bus thread; see test_feed_start.py
            # for an event stored before that thread first got the write lock).
            assert wait_for(lambda: cache.get("reco-dana") is None, timeout=60)
            assert qn.analytics.wait_for_rollups(60)
            assert cache.get("dash") is None  # dropped by the feed (and again when the rollups fold it)
            cache.put("dash", "figures2", [EVENTS])
            assert cache.get("dash") == "figures2"  # nothing moved since: it stays
            assert cache.get("reco-eve") == "items" and cache.get("search") == "hits"
    finally:
        qn.close()
