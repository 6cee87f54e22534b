"""The recommender as a registry model: training (a Trainable) and loading (no pickle).

A version stores the hybrid's weights (params), the TF-IDF rows and neighbours of the content
model and the SVD factors of the collaborative model (npz arrays), and the offline metrics of
every algorithm on the held-out week.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..analytics import history
from .collab import CollabModel, fit_collab
from .content import ContentModel, fit_content
from .hybrid import DEFAULT_WEIGHTS

if TYPE_CHECKING:
    from ..services.corpus import ProjectText

from .trainable import METRIC

MIN_EVENTS = 50
MIN_USERS = 2
MIN_SPAN_DAYS = 15  # two one-week windows (validation, test) and some history before them


@dataclass
class RecommenderModel:
    version: int | None
    weights: dict[str, float]
    content: ContentModel | None
    collab: CollabModel | None
    metrics: dict[str, Any]
    warnings: tuple[str, ...] = ()

    @classmethod
    def from_artifact(cls, artifact: Any) -> RecommenderModel:
        weights = {k: float(v) for k, v in (artifact.params.get("weights") or DEFAULT_WEIGHTS).items()}
        return cls(
            version=artifact.version,
            weights=weights,
            content=ContentModel.from_arrays(artifact.arrays),
            collab=CollabModel.from_arrays(artifact.arrays),
            metrics=dict(artifact.metrics),
            warnings=tuple(artifact.warnings),
        )


def _flatten(report: dict[str, Any]) -> dict[str, Any]:
    metrics: dict[str, Any] = {}
    for algo, values in report["algorithms"].items():
        for key, value in values.items():
            if key != "users":
                metrics[key if algo == "hybrid" else f"{algo}.{key}"] = value
    metrics["users_evaluated"] = report["algorithms"]["hybrid"]["users"]
    metrics["validation_recall@10"] = report.get("validation_recall@10")
    return metrics


def train_recommender(
    cols: history.InteractionColumns,
    texts: dict[str, ProjectText],
    *,
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(params, arrays, metrics): weights tuned and metrics measured on time splits, then refit on all."""
    from ..ml.errors import InsufficientData
    from .evaluate import evaluate_recommender
    from .state import DAY_MS, UsageState, replay

    say = progress or (lambda _f, _m: None)
    if len(cols) < MIN_EVENTS or len(cols.users) < MIN_USERS:
        raise InsufficientData(
            f"the recommender needs at least {MIN_EVENTS} project events from {MIN_USERS} users; "
            f"the log has {len(cols)} from {len(cols.users)}"
        )
    span = (int(cols.ts_ms[-1]) - int(cols.ts_ms[0])) / DAY_MS
    started = time.monotonic()
    metrics: dict[str, Any] = {}
    weights = dict(DEFAULT_WEIGHTS)
    state = UsageState()
    say(0.02, "content similarity of the projects")
    content = fit_content(texts) if texts else None
    if span >= MIN_SPAN_DAYS:
        report = evaluate_recommender(
            cols, texts, seed=seed, progress=lambda f, m: say(0.7 * f, m), state=state, content=content
        )
        weights = report["weights"]
        metrics = _flatten(report)
    else:
        metrics = {METRIC: None, "note": f"only {span:.0f} days of history: default weights, no offline metrics"}
    say(0.75, "fitting the collaborative model on all events")
    replay(cols, state=state)  # continues from the test cut
    collab = fit_collab(state, int(cols.ts_ms[-1]), seed=seed)
    arrays: dict[str, Any] = {}
    if content is not None:
        arrays.update(content.arrays())
    if collab is not None:
        arrays.update(collab.arrays())
    params = {
        "weights": weights,
        "components": int(collab.item.shape[1]) if collab is not None else 0,
        "projects": state.n_projects,
        "users": len(state.users),
        "events": len(cols),
    }
    metrics["train_seconds"] = round(time.monotonic() - started, 2)
    say(1.0, "recommender trained")
    return params, arrays, metrics
