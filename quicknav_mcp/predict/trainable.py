"""The next-project model's registry entry point, importable without numpy or scikit-learn."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..analytics import history
from ..analytics.events import iso

if TYPE_CHECKING:
    from ..store import Store

NAME = "next_project"
GRU_NAME = "next_project_gru"
METRIC = "hr@3"
MIN_EVENTS = 50


class NextProjectTrainable:
    """Registry name ``next_project``; promoted when its HR@3 wins."""

    name = NAME
    metric = METRIC

    def __init__(self, store: Store, on_reload: Callable[[], None] | None = None, *, seed: int = 0) -> None:
        self.store = store
        self._on_reload = on_reload
        self.seed = seed

    def train(self, progress: Callable[[float, str], None]) -> Any:
        from ..ml.errors import InsufficientData
        from ..ml.trainer import TrainResult
        from .features import FEATURES
        from .train import train_next_project

        cols = self._project_log(progress, "next-project prediction")
        started = time.monotonic()
        gbm, metrics = train_next_project(cols, seed=self.seed, progress=lambda f, m: progress(0.9 * f, m))
        if gbm is None:
            raise InsufficientData("too few project-to-project transitions in the log to learn from")
        flat: dict[str, Any] = dict(metrics.pop("reranker", {}))  # the model's own hr@1, hr@3, mrr
        for key, value in metrics.items():
            if isinstance(value, dict):
                flat.update({f"{key}.{m}": v for m, v in value.items()})
            else:
                flat[key] = value
        metrics = flat
        metrics["train_seconds"] = round(time.monotonic() - started, 2)
        progress(1.0, "next-project model trained")
        params = {"features": list(FEATURES), "trees": int(gbm.feature.shape[0]), "depth": gbm.depth}
        span = (iso(int(cols.ts_ms[0])), iso(int(cols.ts_ms[-1])))
        return TrainResult(params=params, arrays=gbm.arrays(), metrics=metrics, trained_on=span)  # type: ignore[arg-type]

    def _project_log(self, progress: Callable[[float, str], None], what: str) -> Any:
        """The event log as columns, on its own connection; too little of it is ``InsufficientData``."""
        from ..analytics.db import Conn
        from ..ml.errors import InsufficientData

        progress(0.0, "reading the event log")
        conn = Conn(self.store.path)  # its own connection: training runs beside serving
        try:
            cols = history.columns(conn)
        finally:
            conn.close()
        if len(cols) < MIN_EVENTS or len(cols.users) < 2:
            raise InsufficientData(
                f"{what} needs at least {MIN_EVENTS} project events from 2 users; "
                f"the log has {len(cols)} from {len(cols.users)}"
            )
        return cols

    def reload(self) -> None:
        if self._on_reload is not None:
            self._on_reload()


class NextProjectGRUTrainable(NextProjectTrainable):
    """Registry name ``next_project_gru``: the sequence-model candidate.

    Its HR@3 is measured beside the re-ranker's on the same held-out transitions; the trainer
    promotes it only when it also beats the re-ranker there (``beats_rival``), so the re-ranker
    stays what ``predict_next`` serves unless the GRU wins offline.
    """

    name = GRU_NAME
    metric = METRIC

    def train(self, progress: Callable[[float, str], None]) -> Any:
        from ..ml.errors import InsufficientData
        from ..ml.trainer import TrainResult
        from .gru import EMBED, EPOCHS, HIDDEN, SEQ_LEN, train_next_project_gru

        cols = self._project_log(progress, "the sequence model")
        started = time.monotonic()
        arrays, metrics = train_next_project_gru(cols, seed=self.seed, progress=progress)
        if not metrics["test_transitions"]:
            raise InsufficientData("no project-to-project transitions in the last week to measure the GRU on")
        metrics["train_seconds"] = round(time.monotonic() - started, 2)
        progress(1.0, "sequence model trained")
        params = {"embed": EMBED, "hidden": HIDDEN, "seq_len": SEQ_LEN, "epochs": EPOCHS}
        params["projects"] = len(arrays["codes"])
        span = (iso(int(cols.ts_ms[0])), iso(int(cols.ts_ms[-1])))
        return TrainResult(params=params, arrays=arrays, metrics=metrics, trained_on=span)  # type: ignore[arg-type]
