"""The trainer (one run at a time, promotion only on a win, failed runs change nothing) and the
document classifier trained on a generated firm."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.errors import InvalidInput
from quicknav_mcp.ml.classify import char_ngrams
from quicknav_mcp.ml.errors import InsufficientData
from quicknav_mcp.ml.registry import ModelRegistry
from quicknav_mcp.ml.trainer import Trainable, Trainer, TrainResult
from quicknav_mcp.store import Store


class Scripted:
    """A Trainable whose scores are given; it can block until released, to test concurrency."""

    metric = "score"

    def __init__(self, name: str, scores: list[float | None], gate: threading.Event | None = None) -> None:
        self.name = name
        self.scores = scores
        self.gate = gate
        self.reloads = 0
        self.started = threading.Event()

    def train(self, progress) -> TrainResult:
        self.started.set()
        if self.gate is not None:
            assert self.gate.wait(10)
        score = self.scores.pop(0)
        if score is None:
            raise InsufficientData(f"{self.name}: 3 events, at least 100 needed")
        progress(0.5, "half way")
        return TrainResult(params={"s": score}, arrays={}, metrics={"score": score}, trained_on=("a", "b"))

    def reload(self) -> None:
        self.reloads += 1


@pytest.fixture
def registry(tmp_path: Path):
    store = Store(tmp_path / "t.db")
    yield ModelRegistry(store)
    store.close()


def test_candidates_are_promoted_only_when_they_win(registry: ModelRegistry) -> None:
    model = Scripted("m", [0.5, 0.4, 0.7])
    assert isinstance(model, Trainable)
    trainer = Trainer(registry)
    trainer.register(model)
    outcomes = []
    for _ in range(3):
        run, started = trainer.start()
        assert started and run.done.wait(10)
        outcomes.append(run.outcomes[0])
    assert [o.status for o in outcomes] == ["promoted", "kept_active", "promoted"]
    assert "does not beat 0.5000 of active version 1" in outcomes[1].message
    assert registry.active_version("m") == 3 and model.reloads == 2
    assert [(m.version, m.status) for m in registry.list_models()] == [(1, "retired"), (2, "candidate"), (3, "active")]


def test_too_few_events_is_a_status_and_changes_nothing(registry: ModelRegistry) -> None:
    trainer = Trainer(registry)
    trainer.register(Scripted("m", [0.5, None]))
    run, _ = trainer.start()
    run.done.wait(10)
    before = registry.list_models()
    run, _ = trainer.start()
    run.done.wait(10)
    assert run.outcomes[0].status == "insufficient_data" and "at least 100 needed" in run.outcomes[0].message
    assert registry.list_models() == before
    with pytest.raises(InvalidInput, match=r"unknown model.*'nope'"):
        trainer.start(["nope"])


def test_two_concurrent_calls_one_trains_the_other_is_told(registry: ModelRegistry) -> None:
    gate = threading.Event()
    model = Scripted("m", [0.5], gate)
    trainer = Trainer(registry)
    trainer.register(model)
    results: list[tuple[object, bool]] = []
    threads = [threading.Thread(target=lambda: results.append(trainer.start())) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(started for _, started in results) == [False, True]
    assert results[0][0] is results[1][0]  # the refused caller is handed the run in progress
    assert model.started.wait(10) and trainer.current is not None
    gate.set()
    assert results[0][0].done.wait(10)
    assert trainer.current is None and len(registry.versions("m")) == 1


def test_char_ngrams_match_scikit_learn_char_wb() -> None:
    from sklearn.feature_extraction.text import CountVectorizer

    text = "floor plan l2 rev 3 pdf a"
    ours = sorted(char_ngrams(text))
    theirs = CountVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=False).build_analyzer()(text)
    assert ours == sorted(theirs)


def test_classifier_learns_the_firm(firm_copy: tuple[Path, Path]) -> None:
    db, root = firm_copy
    with App.open(load_config(db=db, roots=[root], env={})) as app:
        ml = app.ml
        before = ml.classifier.classify("Floor Plan Level 2.pdf")
        assert before.source == "rules" and "no doc_classifier model" in before.warnings[0]
        run, started = ml.train(["doc_classifier"], wait=True)
        assert started and run.done.is_set(), run
        outcome = run.outcomes[0]
        assert outcome.status == "promoted", outcome.message
        assert outcome.metrics["accuracy"] >= 0.85, outcome.metrics
        assert outcome.metrics["test_documents"] >= 50
        pred = ml.classifier.classify("SWMS - Cable installation works v2.pdf", "9. Safety/SWMS")
        assert pred.source == "model" and pred.doc_type == "swms" and pred.model_version == 1
        assert len(pred.top) == 3 and pred.top[0][1] >= pred.top[1][1] >= pred.top[2][1]
        assert 0 < pred.confidence <= 1
        # A damaged artifact: the classifier falls back to the rules and says why.
        with app.store.transaction() as c:
            c.execute("UPDATE ml_models SET artifact = x'504b0304' WHERE name = 'doc_classifier'")
        ml.classifier.reload()
        fallback = ml.classifier.classify("SWMS - Cable installation works v2.pdf")
        assert fallback.source == "rules" and fallback.doc_type == "swms"
        assert any("corrupt" in w for w in fallback.warnings)
        with pytest.raises(InvalidInput, match="name must be"):
            ml.classifier.classify("  ")


def test_a_store_failure_is_reported_and_the_run_ends(registry: ModelRegistry, monkeypatch) -> None:
    from quicknav_mcp.errors import StoreError

    def full(*_a, **_k):
        raise StoreError("the disk holding t.db is full")

    trainer = Trainer(registry)
    trainer.register(Scripted("m", [0.5]))
    trainer.register(Scripted("n", [0.5]))
    monkeypatch.setattr(registry, "save", full)
    run, _ = trainer.start()
    assert run.done.wait(10)
    assert [(o.name, o.status) for o in run.outcomes] == [("m", "failed"), ("n", "failed")]
    assert "disk holding t.db is full" in run.outcomes[0].message
    assert registry.list_models() == []
