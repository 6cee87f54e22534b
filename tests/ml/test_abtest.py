"""A/B tests: stable assignment, split within tolerance, results from the event log, stopping."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from quicknav_mcp.analytics import AnalyticsService
from quicknav_mcp.analytics.feedback import impression_metadata, wilson
from quicknav_mcp.errors import InvalidInput, NotFound
from quicknav_mcp.ml.abtest import ABTests, assign, check_variants, two_proportion_p
from quicknav_mcp.ml.registry import ModelRegistry
from quicknav_mcp.store import Store


@pytest.fixture
def env(tmp_path: Path):
    store = Store(tmp_path / "ab.db")
    registry = ModelRegistry(store)
    for _ in range(3):
        registry.save("recommender", params={}, metrics={"recall@10": 0.1})
    registry.promote("recommender", 1)
    analytics = AnalyticsService(store, user="tester", start=False)
    yield store, registry, ABTests(store, registry), analytics
    analytics.close()
    store.close()


def test_assignment_is_stable_and_split_within_tolerance() -> None:
    variants = {1: 0.3, 2: 0.7}
    users = [f"user{i}" for i in range(20_000)]
    first = [assign("t1", u, variants) for u in users]
    assert first == [assign("t1", u, variants) for u in users]  # stable
    counts = Counter(first)
    assert abs(counts[1] / len(users) - 0.3) < 0.015  # binomial sd is 0.0032: 4.7 sd of slack
    # Another test reshuffles users independently of the first.
    other = [assign("t2", u, {1: 0.5, 2: 0.5}) for u in users]
    both = Counter(zip(first, other, strict=True))
    assert abs(both[(1, 1)] / len(users) - 0.15) < 0.015


def test_variants_validation_names_the_field() -> None:
    with pytest.raises(InvalidInput, match=r"sum to 1, they sum to 0\.9"):
        check_variants({"1": 0.5, "2": 0.4})
    with pytest.raises(InvalidInput, match="at least two"):
        check_variants({"1": 1.0})
    with pytest.raises(InvalidInput, match=r"variants\[1\]: share must be between 0 and 1"):
        check_variants({"1": 1.5, "2": -0.5})
    with pytest.raises(InvalidInput, match="'v2' is not a model version"):
        check_variants({"1": 0.5, "v2": 0.5})
    assert check_variants({"2": 0.25, 3: 0.75}) == {2: 0.25, 3: 0.75}


def test_statistics_helpers() -> None:
    lo, hi = wilson(10, 100)
    assert lo == pytest.approx(0.0552, abs=1e-3) and hi == pytest.approx(0.1744, abs=1e-3)
    assert wilson(0, 0) is None
    assert two_proportion_p(50, 100, 50, 100) == pytest.approx(1.0)
    assert two_proportion_p(30, 200, 10, 200) < 0.01


def test_create_serve_measure_and_stop(env) -> None:
    _, registry, tests, analytics = env
    with pytest.raises(NotFound, match="no version 7"):
        tests.create("exp", "recommender", {"1": 0.5, "7": 0.5})
    with pytest.raises(InvalidInput, match="metric must be"):
        tests.create("exp", "recommender", {"1": 0.5, "2": 0.5}, metric="revenue")
    test = tests.create("exp", "recommender", {"1": 0.5, "2": 0.5})
    assert test.status == "running" and test.variants == {1: 0.5, 2: 0.5}
    with pytest.raises(InvalidInput, match="already exists"):
        tests.create("exp", "recommender", {"1": 0.5, "2": 0.5})
    with pytest.raises(InvalidInput, match="already in the running test 'exp'"):
        tests.create("exp2", "recommender", {"1": 0.5, "3": 0.5})

    # Serve 400 users; version 2's users click 3 times as often.
    events = []
    for i in range(400):
        user = f"u{i:03d}"
        a = tests.variant_for(user, "recommender")
        assert a is not None and a.test == "exp"
        ts = f"2026-03-02T10:{i % 60:02d}:00Z"
        meta = impression_metadata(
            model="recommender", model_version=a.version, items=["21614", "20865"], ab_test=a.test, variant=a.version
        )
        events.append({"user_id": user, "event_type": "recommendation_impression", "metadata": meta, "timestamp": ts})
        if (a.version == 2 and i % 10 < 6) or (a.version == 1 and i % 10 < 2):
            events.append(
                {
                    "user_id": user,
                    "event_type": "recommendation_click",
                    "project_id": "21614",
                    "metadata": {"impression_id": meta["impression_id"]},
                    "timestamp": ts,
                }
            )
    result = analytics.track_events(events)
    assert not result.errors
    assert tests.variant_for(None, "recommender") is None
    assert tests.variant_for("u1", "other_model") is None

    res = tests.results("exp")
    by_version = {v["version"]: v for v in res["variants"]}
    assert by_version[1]["impressions"] + by_version[2]["impressions"] == 400
    assert 150 < by_version[1]["impressions"] < 250
    assert by_version[2]["ctr"] > by_version[1]["ctr"]
    lo, hi = by_version[2]["ctr_ci95"]
    assert lo < by_version[2]["ctr"] < hi
    assert by_version[2]["hit_rate"] == by_version[2]["ctr"]  # every click is also a hit here
    assert res["winner"] == 2 and "version 2 wins on ctr" in res["verdict"]

    stopped = tests.stop("exp", promote=True)
    assert stopped["promoted"] == 2 and registry.active_version("recommender") == 2
    assert tests.get("exp").status == "stopped" and tests.get("exp").outcome["winner"] == 2
    assert tests.variant_for("u001", "recommender") is None
    with pytest.raises(InvalidInput, match="already stopped"):
        tests.stop("exp")
    with pytest.raises(NotFound, match="no A/B test called 'nope'"):
        tests.results("nope")


def test_small_tests_get_no_verdict(env) -> None:
    _, registry, tests, _ = env
    tests.create("tiny", "recommender", {"1": 0.5, "2": 0.5})
    res = tests.results("tiny")
    assert res["winner"] is None and "not enough data" in res["verdict"]
    stopped = tests.stop("tiny", promote=True)
    assert stopped["promoted"] is None and "no significant winner" in stopped["note"]
    assert registry.active_version("recommender") == 1
