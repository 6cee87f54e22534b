"""Each algorithm on small hand-made logs whose answers are worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from quicknav_mcp.predict.features import FEATURES, context_rows
from quicknav_mcp.predict.gbm import ArrayGBM
from quicknav_mcp.recommend.collab import fit_collab
from quicknav_mcp.recommend.content import fit_content
from quicknav_mcp.recommend.hybrid import DEFAULT_WEIGHTS, Scorer
from quicknav_mcp.recommend.reasons import similar_sentence
from quicknav_mcp.recommend.signals import user_view
from quicknav_mcp.recommend.state import DAY_MS, HOUR_MS, UsageState
from quicknav_mcp.services.corpus import ProjectText

T0 = 1_750_000_000_000


def build(events: list[tuple[str, str, int]]) -> UsageState:
    state = UsageState()
    for k, (user, code, minutes) in enumerate(sorted(events, key=lambda e: e[2])):
        state.add(user, code, "project_view", T0 + minutes * 60_000, seq=k + 1)
    return state


def test_two_users_with_the_same_history_get_each_others_projects() -> None:
    # ann and bob share 10001-10003; each has one project of their own. cat works elsewhere.
    events = []
    for day in range(5):
        m = day * 1440
        events += [("ann", c, m + i) for i, c in enumerate(["10001", "10002", "10003", "10004"])]
        events += [("bob", c, m + i) for i, c in enumerate(["10001", "10002", "10003", "10005"])]
        events += [("cat", c, m + i) for i, c in enumerate(["10006", "10007"])]
    state = build(events)
    at = T0 + 5 * DAY_MS
    scorer = Scorer(state, None, fit_collab(state, at))
    for user, mine, theirs in (("ann", "10004", "10005"), ("bob", "10005", "10004")):
        view = user_view(state, user, at)
        seen = set(view.count)
        ranked = scorer.rank(view, DEFAULT_WEIGHTS, limit=3, exclude=seen)
        assert state.codes[ranked[0].index] == theirs
        assert mine not in [state.codes[r.index] for r in ranked]
        # collaborative filtering alone agrees
        sig = scorer.signals(view)
        assert (
            state.codes[int(np.argmax(np.where([j in seen for j in range(state.n_projects)], -1, sig["collab"])))]
            == theirs
        )


def test_own_frecency_prefers_recent_and_frequent() -> None:
    # Half-life 10 days, at day 6: 10002 (2 views, 1 day old) 2*0.93; 10001 (2 views, 6 days) 2*0.66;
    # 10003 (1 view, 6 days) 0.66.
    events = [("ann", "10001", 0), ("ann", "10001", 10), ("ann", "10003", 20)]
    state = build([*events, ("ann", "10002", 5 * 1440), ("ann", "10002", 5 * 1440 + 1)])
    view = user_view(state, "ann", T0 + 6 * DAY_MS)
    ranked = Scorer(state, None, None).rank(view, {"own": 1.0}, limit=3)
    assert [state.codes[r.index] for r in ranked] == ["10002", "10001", "10003"]
    assert view.count[state.index["10001"]] == 2


def test_only_events_up_to_the_context_time_count() -> None:
    state = build([("ann", "10001", 0), ("ann", "10002", 3 * 1440)])
    early = user_view(state, "ann", T0 + DAY_MS)
    assert set(early.count) == {state.index["10001"]}
    assert user_view(state, "ann", T0 - 1).known is False


def test_cold_start_ranks_popular_and_recent() -> None:
    events = [(f"u{i}", "10001", i) for i in range(5)] + [("u9", "10002", 10)]
    state = build(events)
    view = user_view(state, "stranger", T0 + HOUR_MS)
    ranked = Scorer(state, None, None).rank(view, DEFAULT_WEIGHTS, limit=2)
    assert [state.codes[r.index] for r in ranked] == ["10001", "10002"]
    assert set(ranked[0].parts) == {"popularity", "recent"}


def test_transitions_and_fold_in() -> None:
    state = build([("ann", "10001", 0), ("ann", "10002", 5)])
    a, b = state.index["10001"], state.index["10002"]
    assert state.transitions[a] == {b: 1.0}
    # one more event changes the next answer at once
    state.add("ann", "10001", "project_view", T0 + 10 * 60_000)
    state.add("ann", "10003", "project_view", T0 + 11 * 60_000)
    assert state.transitions[a] == {b: 1.0, state.index["10003"]: 1.0}
    # a switch after a long gap is not a transition
    state.add("ann", "10004", "project_view", T0 + 2 * DAY_MS)
    assert state.index["10004"] not in state.transitions.get(state.index["10003"], {})


def texts() -> dict[str, ProjectText]:
    return {
        "21614": ProjectText(
            "21614", "21614 - PLWRX TR L1 hearing loop upgrade", "PLWRX", ["Poolwerx"], "hearing loop"
        ),
        "21700": ProjectText("21700", "21700 - PLWRX hearing loop boardroom", "PLWRX", ["Poolwerx"], "hearing loop"),
        "18810": ProjectText("18810", "18810 - SAAB auditorium projector", "SAAB", ["Saab"], "projector"),
        "18811": ProjectText("18811", "18811 - DWNR video wall", "DWNR", ["Downer"], "video wall"),
    }


def test_content_similarity_names_client_and_shared_work() -> None:
    model = fit_content(texts())
    assert model is not None
    assert model.neighbours("21614")[0][0] == "21700"
    sentence = similar_sentence(model, "21614", "21700")
    assert sentence == "similar to 21614: same client Poolwerx, both hearing loop work"
    assert model.same_client("21614", "18810") is None
    q = model.query_scores("hearing loop")
    assert {model.codes[i] for i in q} == {"21614", "21700"}


def test_array_gbm_equals_sklearn() -> None:
    from sklearn.ensemble import GradientBoostingClassifier

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 5)).astype(np.float32)
    y = (x[:, 0] + 0.5 * x[:, 1] * x[:, 2] > 0).astype(int)
    clf = GradientBoostingClassifier(n_estimators=20, max_depth=3, random_state=0).fit(x, y)
    gbm = ArrayGBM.from_sklearn(clf, x)
    assert np.allclose(gbm.decision(x), clf.decision_function(x))
    again = ArrayGBM.from_arrays(gbm.arrays())
    assert again is not None and np.allclose(again.proba(x), clf.predict_proba(x)[:, 1])


def test_user_who_always_opens_b_after_a_gets_b_first() -> None:
    events = []
    for day in range(10):
        m = day * 1440
        events += [("ann", "10001", m), ("ann", "10002", m + 5), ("ann", "10003", m + 60), ("ann", "10004", m + 90)]
        events += [("bob", "10001", m + 3), ("bob", "10004", m + 9)]
    state = build(events)
    view = user_view(state, "ann", T0 + 10 * DAY_MS)
    a = state.index["10001"]
    cands, x, _, _ = context_rows(state, view, a)
    assert state.index["10002"] in cands and a not in cands
    # the heuristic ranking and the features both put B first
    own = x[:, FEATURES.index("own_transition_log")]
    assert state.codes[cands[int(np.argmax(own))]] == "10002"


@pytest.mark.parametrize("bad", [{"time": "yesterday"}, {"time": "1990-01-01T00:00:00Z"}, {"when": 1}, []])
def test_context_errors_name_the_field(bad: object) -> None:
    from quicknav_mcp.errors import InvalidInput
    from quicknav_mcp.recommend.context import parse_context

    with pytest.raises(InvalidInput, match="context"):
        parse_context(bad)


def test_bulk_replay_equals_folding_in_one_by_one() -> None:
    from quicknav_mcp.demo.usage import simulate, to_columns
    from quicknav_mcp.recommend.state import replay

    cols = to_columns(simulate(40, users=8, days=20, seed=2, end_ms=T0).events)
    cut = int(cols.ts_ms[len(cols) // 2])
    fast = replay(cols, until_ms=cut)
    slow = UsageState()
    n = int(np.searchsorted(cols.ts_ms, cut, side="right"))
    for k in range(n):
        slow.add(cols.users[cols.user[k]], cols.projects[cols.project[k]], cols.types[cols.type[k]], int(cols.ts_ms[k]))
    assert fast.codes == slow.codes and fast.events == slow.events == n
    assert fast.transitions == slow.transitions and fast.user_transitions == slow.user_transitions
    assert fast.project_users == slow.project_users
    assert {u: (v.ts, v.project, v.weight, v.doc) for u, v in fast.users.items()} == {
        u: (v.ts, v.project, v.weight, v.doc) for u, v in slow.users.items()
    }
    assert np.allclose(fast.popularity(cut), slow.popularity(cut))
    assert (fast.last_activity() == slow.last_activity()).all()
    # continuing from the bulk state event by event reaches the same end
    replay(cols, state=fast)
    for k in range(n, len(cols)):
        slow.add(cols.users[cols.user[k]], cols.projects[cols.project[k]], cols.types[cols.type[k]], int(cols.ts_ms[k]))
    assert fast.transitions == slow.transitions and np.allclose(fast.popularity(T0), slow.popularity(T0))
