"""Result models of the model-service tools (compact, self-explanatory JSON)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ModelSummary(BaseModel):
    name: str
    version: int
    status: str = Field(description="active (served), candidate (trained, not served) or retired")
    created_at: str
    metrics: dict[str, Any] = Field(description="Offline metrics from training's held-out time split")
    trained_on: list[str] | None = Field(None, description="Event range learned from [from, to]")
    size_bytes: int


class TrainingStatus(BaseModel):
    running: bool
    progress: float = Field(description="0..1 over all models of the run")
    message: str
    models: list[str]
    started_at: str
    finished_at: str | None = None


class ModelList(BaseModel):
    models: list[ModelSummary]
    trainable: list[str] = Field(description="Models train_models can train")
    training: TrainingStatus | None = Field(None, description="The run in progress, or the last one")


class OnlineMetrics(BaseModel):
    impressions: int
    clicks: int
    users: int
    ctr: float | None = Field(None, description="clicks / impressions")
    ctr_ci95: tuple[float, float] | None = Field(None, description="Wilson 95 % interval of the CTR")
    hit_rate: float | None = Field(None, description="Impressions followed within a day by opening a shown item")
    hit_rate_ci95: tuple[float, float] | None = None


class ModelMetrics(BaseModel):
    name: str
    version: int
    status: str
    offline: dict[str, Any]
    online: OnlineMetrics
    summary: str


class ModelChange(BaseModel):
    name: str
    active_version: int
    message: str


class TrainOutcome(BaseModel):
    name: str
    status: str = Field(
        description="promoted | kept_active | candidate (lost to its rival) | insufficient_data | failed"
    )
    version: int | None = None
    metric: str | None = None
    value: float | None = None
    active_value: float | None = Field(None, description="The metric of the version that was active")
    seconds: float
    message: str


class TrainModelsResult(BaseModel):
    status: str = Field(description="started | already_running | done | still_running")
    message: str
    training: TrainingStatus
    outcomes: list[TrainOutcome] = Field(default_factory=list)


class VariantResult(BaseModel):
    version: int
    share: float
    users: int
    impressions: int
    clicks: int
    ctr: float | None = None
    ctr_ci95: tuple[float, float] | None = None
    hits: int
    hit_rate: float | None = None
    hit_rate_ci95: tuple[float, float] | None = None


class ABTestResult(BaseModel):
    name: str
    model: str
    metric: str
    status: str = Field(description="running | stopped")
    variants: list[VariantResult]
    verdict: str
    winner: int | None = Field(None, description="The significantly better version, if any")
    p_value: float | None = None
    created_at: str
    stopped_at: str | None = None
    promoted: int | None = None
    message: str = ""


class DocTypeGuess(BaseModel):
    doc_type: str
    confidence: float
    description: str


class ClassifyResult(BaseModel):
    doc_type: str
    confidence: float = Field(description="Model probability 0..1 (1.0 for a rule match when no model is trained)")
    top: list[DocTypeGuess] = Field(description="The three most likely types, best first")
    rule_doc_type: str = Field(description="What the folder/name rules say ('other' = the rules cannot tell)")
    source: str = Field(description="model | rules")
    model_version: int | None = None
    reasoning: str
    warnings: list[str] = Field(default_factory=list)
