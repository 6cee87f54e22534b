"""The recommender's registry entry point, importable without numpy or scikit-learn.

The model service registers it at start-up; everything heavy is imported inside ``train``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ..analytics import history
from ..analytics.events import iso

if TYPE_CHECKING:
    from ..store import Store

NAME = "recommender"
METRIC = "recall@10"


class RecommenderTrainable:
    """Registry name ``recommender``; promoted when its hybrid Recall@10 wins."""

    name = NAME
    metric = METRIC

    def __init__(self, store: Store, on_reload: Callable[[], None] | None = None, *, seed: int = 0) -> None:
        self.store = store
        self._on_reload = on_reload
        self.seed = seed

    def train(self, progress: Callable[[float, str], None]) -> Any:
        from ..analytics.db import Conn
        from ..ml.trainer import TrainResult
        from ..services.corpus import project_texts
        from .model import train_recommender

        progress(0.0, "reading the event log")
        conn = Conn(self.store.path)  # its own connection: training runs beside serving
        try:
            cols = history.columns(conn)
        finally:
            conn.close()
        texts = project_texts(self.store)
        params, arrays, metrics = train_recommender(cols, texts, seed=self.seed, progress=progress)
        span = (iso(int(cols.ts_ms[0])), iso(int(cols.ts_ms[-1])))
        return TrainResult(params=params, arrays=arrays, metrics=metrics, trained_on=span)  # type: ignore[arg-type]

    def reload(self) -> None:
        if self._on_reload is not None:
            self._on_reload()
