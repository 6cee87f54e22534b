"""The next-project GRU: learns a habit, round-trips through the registry without pickle, and is
promoted only when it beats the re-ranker it measured itself against."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from quicknav_mcp.ml.registry import ModelRegistry
from quicknav_mcp.ml.trainer import Trainer, TrainResult
from quicknav_mcp.predict.gru import GRUScorer, collapse, fit_gru, to_torch
from quicknav_mcp.store import Store

pytest.importorskip("torch")
CODES = ["17001", "17002", "17003", "17004", "17005"]
A, B = 0, 1


def _habit_log(seed: int = 3) -> list[list[int]]:
    """Users who wander between projects at random, except that A is always followed by B."""
    rng = random.Random(seed)
    seqs = []
    for _ in range(6):
        seq: list[int] = []
        while len(seq) < 60:
            nxt = B if seq and seq[-1] == A else rng.choice([A, 2, 3, 4])
            if not seq or nxt != seq[-1]:
                seq.append(nxt)
        seqs.append(seq)
    return seqs


@pytest.fixture(scope="module")
def habit_arrays() -> dict[str, np.ndarray]:
    arrays = fit_gru(_habit_log(), len(CODES), seed=1, epochs=25, time_budget_s=30)
    arrays["codes"] = np.array(CODES)
    return arrays


def test_collapse_drops_consecutive_repeats() -> None:
    assert collapse([1, 1, 2, 2, 2, 1, 3, 3]) == [1, 2, 1, 3]


def test_a_gru_learns_that_b_follows_a(habit_arrays: dict[str, np.ndarray]) -> None:
    scorer = GRUScorer(habit_arrays)
    for history in ([2, 3, A], [4, A], [A, B, 3, A]):
        assert int(np.argmax(scorer.logits(history))) == B, history
    p = scorer.score_codes(["17003", "17001"], CODES)
    assert CODES[int(np.argmax(p))] == "17002" and p.max() > 0.5 and abs(p.sum() - 1) < 1e-9
    # After B the habit says nothing: B is not the favourite.
    assert int(np.argmax(scorer.logits([3, A, B]))) != B


def test_round_trip_through_the_registry_without_pickle(habit_arrays: dict[str, np.ndarray], tmp_path: Path) -> None:
    import torch

    store = Store(tmp_path / "r.db")
    try:
        registry = ModelRegistry(store)
        assert all(a.dtype != object for a in habit_arrays.values())
        version = registry.save("next_project_gru", params={}, arrays=habit_arrays, metrics={"hr@3": 0.5})
        loaded = registry.load("next_project_gru", version)
        assert loaded is not None and set(loaded.arrays) == set(habit_arrays)
        # The numpy server and the torch module rebuilt from the stored arrays agree.
        module = to_torch(loaded.arrays)
        with torch.no_grad():
            torch_logits = module(torch.tensor([[3, A + 1, B + 1, 4]]))[0, -1, 1:].numpy()
        np.testing.assert_allclose(GRUScorer(loaded.arrays).logits([2, A, B, 3]), torch_logits, rtol=1e-4, atol=1e-4)
    finally:
        store.close()
    broken = dict(habit_arrays, **{"out.weight": habit_arrays["out.weight"][:, :10]})
    with pytest.raises(ValueError, match="shapes"):
        GRUScorer(broken)


class Challenger:
    """A Trainable that reports its own metric and whether it beat its rival on the same data."""

    name = "next_project_gru"
    metric = "hr@3"

    def __init__(self, runs: list[tuple[float, bool]]) -> None:
        self.runs = runs

    def train(self, progress) -> TrainResult:
        value, beats = self.runs.pop(0)
        metrics = {"hr@3": value, "rival": "reranker", "reranker.hr@3": 0.6, "beats_rival": beats}
        return TrainResult(params={}, arrays={}, metrics=metrics, trained_on=("a", "b"))

    def reload(self) -> None:
        pass


def test_a_challenger_is_promoted_only_when_it_beats_its_rival(tmp_path: Path) -> None:
    store = Store(tmp_path / "t.db")
    try:
        registry = ModelRegistry(store)
        trainer = Trainer(registry)
        trainer.register(Challenger([(0.55, False), (0.65, True), (0.7, False)]))
        outcomes = []
        for _ in range(3):
            run, started = trainer.start()
            assert started and run.done.wait(10)
            outcomes.append(run.outcomes[0])
        assert [o.status for o in outcomes] == ["candidate", "promoted", "kept_active"]
        assert "does not beat 0.6000 of the reranker on the same held-out data" in outcomes[0].message
        assert registry.active_version("next_project_gru") == 2
    finally:
        store.close()
