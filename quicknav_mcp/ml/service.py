"""The model service: one object the tools and the other services use.

It holds the registry, the trainer (with every registered :class:`Trainable`), the A/B tests,
the document classifier and the usage insights (segments, forecasts, anomalies), and answers
the questions about models that need more than one of them (offline plus online metrics).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, tzinfo
from typing import TYPE_CHECKING, Any

from ..analytics import feedback
from ..predict.insights import InsightsService
from .abtest import ABTests, Assignment
from .annotate import DocTypeAnnotator
from .classify import DocClassifier
from .registry import ModelInfo, ModelRegistry, check_name
from .trainer import Trainable, Trainer, TrainingRun

if TYPE_CHECKING:
    from ..services.documents import DocumentService
    from ..services.projects import ProjectService
    from ..store import Store


class MLService:
    """Registry, trainer, A/B tests and the document classifier of one store."""

    def __init__(self, store: Store, projects: ProjectService, documents: DocumentService, *, tz: tzinfo = UTC) -> None:
        self.store = store
        self.registry = ModelRegistry(store)
        self.trainer = Trainer(self.registry)
        self.abtests = ABTests(store, self.registry)
        self.classifier = DocClassifier(self.registry, projects, documents)
        self.doc_types = DocTypeAnnotator(self.classifier)  # the classifier on documents shown to people
        self.trainer.register(self.classifier)
        # Segments, forecasts and anomalies: local-day buckets in ``tz``.
        self.insights = InsightsService(store, projects, tz=tz)

    def register(self, model: Trainable) -> None:
        """Add a model (recommender, predictor, ...) to what ``train_models`` trains."""
        self.trainer.register(model)

    def variant_for(self, user: str | None, model: str) -> Assignment | None:
        """Which version of ``model`` to serve ``user`` while an A/B test runs (else None: the active one)."""
        return self.abtests.variant_for(user, model)

    # ---- models ----------------------------------------------------------------------------
    def list_models(self) -> list[ModelInfo]:
        return self.registry.list_models()

    def model_metrics(self, name: str, version: int | None = None) -> dict[str, Any]:
        """Offline metrics of a version plus its online CTR and hit rate from the event log."""
        info = self.registry.info(name, version)
        shown = feedback.impressions(self.store, info.name)
        groups = feedback.tally(self.store, shown, key="version")
        t = groups.get(info.version, feedback.Tally())
        online = {
            "impressions": t.impressions,
            "clicks": t.clicks,
            "users": len(t.users),
            "ctr": t.ctr,
            "ctr_ci95": feedback.wilson(t.clicks, t.impressions),
            "hit_rate": t.hit_rate,
            "hit_rate_ci95": feedback.wilson(t.hits, t.impressions),
        }
        return {"info": info, "online": online}

    def promote(self, name: str, version: int) -> ModelInfo:
        self.registry.promote(name, version)
        self._reload(name)
        return self.registry.info(name, version)

    def rollback(self, name: str) -> ModelInfo:
        version = self.registry.rollback(name)
        self._reload(name)
        return self.registry.info(name, version)

    def _reload(self, name: str) -> None:
        model = self.trainer.get(name)
        if model is not None:
            model.reload()

    # ---- training --------------------------------------------------------------------------
    def train(
        self,
        models: Sequence[str] | None = None,
        *,
        wait: bool = False,
        timeout: float = 600.0,
        on_progress: Callable[[TrainingRun], None] | None = None,
        poll: float = 0.5,
    ) -> tuple[TrainingRun, bool]:
        """Start training (``(run, started)``); with ``wait`` block until done, calling ``on_progress``."""
        if models is not None:
            models = [check_name(m, "models") for m in models]
        run, started = self.trainer.start(models)
        if wait and started:
            waited = 0.0
            while not run.done.wait(poll) and waited < timeout:
                waited += poll
                if on_progress:
                    on_progress(run)
        return run, started
