"""Model-service tools: the registry, training, A/B tests and document classification."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from mcp.server.mcpserver import Context
from mcp.types import ToolAnnotations
from pydantic import Field

from ..domain.doc_types import DOC_TYPES
from ..ml.models import (
    ABTestResult,
    ClassifyResult,
    DocTypeGuess,
    ModelChange,
    ModelList,
    ModelMetrics,
    ModelSummary,
    OnlineMetrics,
    TrainingStatus,
    TrainModelsResult,
    TrainOutcome,
)
from ._common import READ_ONLY, tool_errors

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from ..ml.abtest import ABTest
    from ..ml.registry import ModelInfo
    from ..ml.trainer import TrainingRun
    from ..server import AppHolder

CHANGE = ToolAnnotations(read_only_hint=False, idempotent_hint=False, destructive_hint=False, open_world_hint=False)
ModelName = Annotated[
    str, Field(description="Registry name, e.g. doc_classifier, recommender, next_project, search_ranker")
]
WAIT_LIMIT_S = 600.0


def _summary(m: ModelInfo) -> ModelSummary:
    return ModelSummary(
        name=m.name,
        version=m.version,
        status=m.status,
        created_at=m.created_at,
        metrics=m.metrics,
        trained_on=list(m.trained_on) if m.trained_on else None,
        size_bytes=m.size_bytes,
    )


def _status(run: TrainingRun) -> TrainingStatus:
    return TrainingStatus(
        running=run.running,
        progress=round(run.progress, 3),
        message=run.message,
        models=run.models,
        started_at=run.started_at,
        finished_at=run.finished_at,
    )


def _ab(test: ABTest, res: dict[str, Any], message: str = "") -> ABTestResult:
    return ABTestResult(
        name=test.name,
        model=test.model,
        metric=test.metric,
        status=test.status,
        variants=res["variants"],
        verdict=res["verdict"],
        winner=res["winner"],
        p_value=res["p_value"],
        created_at=test.created_at,
        stopped_at=test.stopped_at,
        promoted=res.get("promoted"),
        message=message,
    )


def register(server: MCPServer, holder: AppHolder) -> None:
    @server.tool(title="List models", annotations=READ_ONLY)
    @tool_errors
    def list_models() -> ModelList:
        """Every trained model version in the registry (active = served, candidate = trained but not
        better than the active one, retired = served before) with its offline metrics, the models
        train_models can train, and the training run in progress or the last one."""
        ml = holder.get().ml
        run = ml.trainer.current or ml.trainer.last
        return ModelList(
            models=[_summary(m) for m in ml.list_models()],
            trainable=ml.trainer.names,
            training=_status(run) if run else None,
        )

    @server.tool(title="Model metrics", annotations=READ_ONLY)
    @tool_errors
    def model_metrics(
        name: ModelName,
        version: Annotated[int | None, Field(strict=True, ge=1, description="Default: the active version")] = None,
    ) -> ModelMetrics:
        """A model version's offline metrics (from its held-out evaluation) and its online results
        from the event log: impressions, clicks and CTR with a 95 % interval, and hit rate."""
        ml = holder.get().ml
        res = ml.model_metrics(name, version)
        info, online = res["info"], res["online"]
        if online["impressions"]:
            seen = f"shown {online['impressions']} times to {online['users']} users, CTR {online['ctr']:.1%}"
        else:
            seen = "no impressions logged for this version yet"
        return ModelMetrics(
            name=info.name,
            version=info.version,
            status=info.status,
            offline=info.metrics,
            online=OnlineMetrics(**online),
            summary=f"{info.name} v{info.version} ({info.status}): {seen}",
        )

    @server.tool(title="Promote a model version", annotations=CHANGE)
    @tool_errors
    def promote_model(
        name: ModelName, version: Annotated[int, Field(strict=True, ge=1, description="The version to serve")]
    ) -> ModelChange:
        """Serve ``version`` of a model from now on (the active version is retired). Takes effect on
        the next request; no restart."""
        info = holder.get().ml.promote(name, version)
        return ModelChange(name=info.name, active_version=info.version, message=f"{name} v{version} is now active")

    @server.tool(title="Roll back a model", annotations=CHANGE)
    @tool_errors
    def rollback_model(name: ModelName) -> ModelChange:
        """Go back to the version that was active before the current one (the current is retired)."""
        info = holder.get().ml.rollback(name)
        return ModelChange(
            name=info.name, active_version=info.version, message=f"{name} rolled back to v{info.version}"
        )

    @server.tool(title="Train models", annotations=CHANGE)
    async def train_models(
        ctx: Context,
        models: Annotated[
            list[str] | None, Field(description="Which models to train; default all (see list_models 'trainable')")
        ] = None,
        wait: Annotated[
            bool, Field(strict=True, description="Wait for the result (with progress notifications)")
        ] = False,
    ) -> TrainModelsResult:
        """Retrain models from the event log and the index in the background. Each is evaluated on a
        held-out time split and promoted only when it beats the active version on its metric; too few
        events is reported, not an error, and changes nothing. Serving goes on from the active
        versions meanwhile. Only one training runs at a time: a second call is told so."""
        ml = holder.get().ml
        run, started = tool_errors(ml.train)(models)
        if not started:
            return TrainModelsResult(
                status="already_running",
                message=f"training of {', '.join(run.models)} is already running ({run.progress:.0%}); "
                "call list_models to follow it",
                training=_status(run),
            )
        if not wait:
            return TrainModelsResult(
                status="started",
                message=f"training {', '.join(run.models)} in the background; list_models shows progress",
                training=_status(run),
            )
        waited = 0.0
        while run.running and waited < WAIT_LIMIT_S:
            await anyio.sleep(0.25)  # training runs on its own thread; this only reports on it
            waited += 0.25
            with contextlib.suppress(Exception):  # the client may have gone; training goes on
                await ctx.report_progress(run.progress, 1.0, run.message)
        outcomes = [
            TrainOutcome(
                name=o.name,
                status=o.status,
                version=o.version,
                metric=o.metric,
                value=o.value,
                active_value=o.active_value,
                seconds=round(o.seconds, 2),
                message=o.message,
            )
            for o in run.outcomes
        ]
        done = not run.running
        return TrainModelsResult(
            status="done" if done else "still_running",
            message="; ".join(f"{o.name}: {o.message}" for o in outcomes) or run.message,
            training=_status(run),
            outcomes=outcomes,
        )

    @server.tool(title="Create an A/B test", annotations=CHANGE)
    @tool_errors
    def create_ab_test(
        name: Annotated[str, Field(description="A new test name, e.g. reco-v4-vs-v5")],
        model: ModelName,
        variants: Annotated[
            dict[str, float], Field(description='Version → share of users, shares sum to 1: {"4": 0.5, "5": 0.5}')
        ],
        metric: Annotated[str, Field(description="ctr (clicks per impression) or hit_rate")] = "ctr",
    ) -> ABTestResult:
        """Split users between versions of a model. Each user always gets the same version (a hash of
        user and test); answers of that model carry the variant. One running test per model."""
        ml = holder.get().ml
        test = ml.abtests.create(name, model, variants, metric)
        return _ab(test, ml.abtests.results(test.name), f"test {test.name} is running")

    @server.tool(title="A/B test results", annotations=READ_ONLY)
    @tool_errors
    def ab_test_results(name: Annotated[str, Field(description="The test name")]) -> ABTestResult:
        """Impressions, clicks, CTR and hit rate per variant with 95 % intervals, and a verdict (a
        two-proportion z-test; no verdict before 100 impressions per variant)."""
        ml = holder.get().ml
        res = ml.abtests.results(name)
        return _ab(res["test"], res)

    @server.tool(title="Stop an A/B test", annotations=CHANGE)
    @tool_errors
    def stop_ab_test(
        name: Annotated[str, Field(description="The test name")],
        promote: Annotated[
            bool, Field(strict=True, description="Also make a significant winner the active version")
        ] = False,
    ) -> ABTestResult:
        """Stop a test (everyone gets the active version again), keeping its final results."""
        res = holder.get().ml.abtests.stop(name, promote)
        return _ab(res["test"], res, res["note"] or f"test {name} stopped")

    @server.tool(title="Classify a document", annotations=READ_ONLY)
    @tool_errors
    def classify_document(
        name: Annotated[str, Field(description="The file name, e.g. 'L2 Floor Plan Rev C.pdf'")],
        path: Annotated[str | None, Field(description="Its folder path (inside the project), if known")] = None,
        text: Annotated[str | None, Field(description="Some of its text, if known (first 600 characters used)")] = None,
    ) -> ClassifyResult:
        """The document family (lld, change_order, sales_po, swms, ...) of any file name, with a
        confidence and the runners-up, from a model trained on the firm's own indexed documents.
        Useful for files the folder/name rules call 'other'."""
        pred = holder.get().ml.classifier.classify(name, path, text)
        top = [DocTypeGuess(doc_type=t, confidence=c, description=DOC_TYPES.get(t, t)) for t, c in pred.top]
        if pred.source == "model":
            why = (
                f"the model (v{pred.model_version}) reads the name's letter patterns as {pred.doc_type} "
                f"with {pred.confidence:.0%} confidence"
            )
            if pred.rule_doc_type not in ("other", pred.doc_type):
                why += f"; the folder/name rules say {pred.rule_doc_type}"
            elif pred.rule_doc_type == pred.doc_type:
                why += "; the folder/name rules agree"
        else:
            why = f"the folder/name rules say {pred.rule_doc_type}"
        return ClassifyResult(
            doc_type=pred.doc_type,
            confidence=round(pred.confidence, 4),
            top=top,
            rule_doc_type=pred.rule_doc_type,
            source=pred.source,
            model_version=pred.model_version,
            reasoning=why,
            warnings=pred.warnings,
        )
