"""Training in the background: one run at a time, candidates promoted only when they win.

Each model is a :class:`Trainable`. ``train()`` evaluates itself on a time split and returns its
metrics; the trainer stores the result as a candidate and promotes it only when its ``metric``
beats the active version's (or when there is no active version). Serving never waits: models
keep answering from the active version while a run is in progress.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ..errors import InvalidInput
from .errors import InsufficientData
from .registry import ModelRegistry, now_iso

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]


@dataclass
class TrainResult:
    """What one training produced: stored as a new registry version."""

    params: dict[str, Any]
    arrays: dict[str, Any]
    metrics: dict[str, Any]
    trained_on: tuple[str, str] | None


@runtime_checkable
class Trainable(Protocol):
    """A model the trainer can (re)train; one per registry name."""

    name: str
    metric: str  # offline metric deciding promotion; higher is better

    def train(self, progress: Progress) -> TrainResult: ...

    def reload(self) -> None: ...


@dataclass
class ModelOutcome:
    """What happened to one model in a run."""

    name: str
    status: str  # promoted | kept_active | candidate (lost to its rival, none active) | insufficient_data | failed
    version: int | None = None
    metric: str | None = None
    value: float | None = None
    active_value: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""


@dataclass
class TrainingRun:
    """One run over several models; shared between the thread and whoever asks about it."""

    models: list[str]
    started_at: str
    finished_at: str | None = None
    progress: float = 0.0
    message: str = "starting"
    outcomes: list[ModelOutcome] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def running(self) -> bool:
        return not self.done.is_set()


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


class Trainer:
    """Owns the trainables and runs at most one training at a time, on a background thread."""

    def __init__(self, registry: ModelRegistry) -> None:
        self.registry = registry
        self._models: dict[str, Trainable] = {}
        self._lock = threading.Lock()
        self._current: TrainingRun | None = None
        self.last: TrainingRun | None = None

    def register(self, model: Trainable) -> None:
        self._models[model.name] = model

    @property
    def names(self) -> list[str]:
        return sorted(self._models)

    def get(self, name: str) -> Trainable | None:
        return self._models.get(name)

    @property
    def current(self) -> TrainingRun | None:
        run = self._current
        return run if run is not None and run.running else None

    def start(self, models: Sequence[str] | None = None) -> tuple[TrainingRun, bool]:
        """Start a run in the background; ``(run, started)``.

        When a run is already going, nothing new starts: ``(that run, False)``.
        """
        names = self._check(models)
        with self._lock:
            if self._current is not None and self._current.running:
                return self._current, False
            run = TrainingRun(models=names, started_at=now_iso())
            self._current = run
        thread = threading.Thread(target=self._run, args=(run,), name="ml-training", daemon=True)
        thread.start()
        return run, True

    def _check(self, models: Sequence[str] | None) -> list[str]:
        if models is None or len(models) == 0:
            if not self._models:
                raise InvalidInput("no trainable models are registered")
            return self.names
        unknown = [m for m in models if m not in self._models]
        if unknown:
            known = ", ".join(self.names) or "none"
            raise InvalidInput(f"models: unknown model(s) {', '.join(map(repr, unknown))}; known: {known}")
        return list(dict.fromkeys(models))

    def _run(self, run: TrainingRun) -> None:
        try:
            total = len(run.models)
            for i, name in enumerate(run.models):
                base = i / total

                def progress(fraction: float, message: str, base: float = base, name: str = name) -> None:
                    run.progress = min(1.0, base + max(0.0, min(1.0, fraction)) / total)
                    run.message = f"{name}: {message}"

                progress(0.0, "training")
                try:
                    run.outcomes.append(self._train_one(self._models[name], progress))
                except Exception as exc:  # storing failed (disk full, read-only): report it, go on
                    log.exception("storing %s failed", name)
                    run.outcomes.append(ModelOutcome(name=name, status="failed", message=f"not stored: {exc}"))
            run.progress = 1.0
            run.message = "done"
        finally:
            run.finished_at = now_iso()
            self.last = run
            run.done.set()

    def _train_one(self, model: Trainable, progress: Progress) -> ModelOutcome:
        t0 = time.perf_counter()
        outcome = ModelOutcome(name=model.name, status="failed", metric=model.metric)
        try:
            result = model.train(progress)
        except InsufficientData as exc:
            outcome.status, outcome.message = "insufficient_data", str(exc)
            outcome.seconds = time.perf_counter() - t0
            return outcome
        except Exception as exc:  # one model's bug must not stop the others; stored models stay as they were
            log.exception("training %s failed", model.name)
            outcome.message = f"training failed: {type(exc).__name__}: {exc}"
            outcome.seconds = time.perf_counter() - t0
            return outcome
        outcome.seconds = time.perf_counter() - t0
        metrics = dict(result.metrics)
        metrics.setdefault("train_seconds", round(outcome.seconds, 3))
        value = _number(metrics.get(model.metric))
        active = self.registry.active_version(model.name)
        active_value = None
        if active is not None:  # the row's metrics only: no need to unpack the active model's arrays
            active_value = _number(self.registry.info(model.name, active).metrics.get(model.metric))
        wins = active is None or active_value is None or (value is not None and value > active_value)
        # A challenger of another model (it measured itself against it on the same data) must beat that too.
        lost_to = metrics.get("rival") if metrics.get("beats_rival") is False else None
        wins = wins and lost_to is None
        version = self.registry.save(
            model.name,
            params=result.params,
            arrays=result.arrays,
            metrics=metrics,
            trained_on=result.trained_on,
            status="active" if wins else "candidate",
        )
        outcome.version, outcome.value, outcome.active_value, outcome.metrics = version, value, active_value, metrics
        if wins:
            outcome.status = "promoted"
            outcome.message = f"version {version} is active ({model.metric} {_fmt(value)}" + (
                f" > {_fmt(active_value)} of version {active})" if active is not None else ", first version)"
            )
            model.reload()
        elif lost_to is not None:
            outcome.status = "kept_active" if active is not None else "candidate"
            rival_value = _number(metrics.get(f"{lost_to}.{model.metric}"))
            outcome.message = (
                f"version {version} stays a candidate: {model.metric} {_fmt(value)} does not beat "
                f"{_fmt(rival_value)} of the {lost_to} on the same held-out data"
            )
            if metrics.get("loses_on"):  # or it is significantly worse on some kind of query
                outcome.message = (
                    f"version {version} stays a candidate: it is significantly worse than the {lost_to} on held-out "
                    f"{', '.join(map(str, metrics['loses_on']))} queries ({model.metric} {_fmt(value)} against "
                    f"{_fmt(rival_value)} over all held-out data)"
                )
        else:
            outcome.status = "kept_active"
            outcome.message = (
                f"version {version} stays a candidate: {model.metric} {_fmt(value)} does not beat "
                f"{_fmt(active_value)} of active version {active}"
            )
        progress(1.0, outcome.status)
        return outcome


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"
