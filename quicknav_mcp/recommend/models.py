"""Result models of recommendations and predictions (MCP structured output and HTTP JSON)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RecommendedProject(BaseModel):
    project_number: str
    name: str
    path: str
    confidence_score: float = Field(ge=0, le=1)
    reasoning: list[str] = Field(description="Sentences naming the evidence")
    algorithm: str = Field(description="The signal that contributed most: frecency, collaborative, content, ...")


class RecommendedDocument(BaseModel):
    path: str
    name: str
    project_number: str
    doc_type: str
    is_current: bool
    confidence_score: float = Field(ge=0, le=1)
    reasoning: list[str]
    algorithm: str


class Recommendations(BaseModel):
    items: list[RecommendedProject]
    algorithm_used: str
    context_considered: list[str] = Field(description="Which parts of the context shaped the answer")
    model_version: int | None = Field(None, description="Registry version of the recommender (None: heuristics)")
    ab_variant: str | None = None
    cached: bool = False
    impression_id: str | None = Field(None, description="Send it as metadata.impression_id with a recommendation_click")
    warnings: list[str] = Field(default_factory=list)


class DocumentRecommendations(BaseModel):
    items: list[RecommendedDocument]
    algorithm_used: str
    context_considered: list[str]
    model_version: int | None = None
    ab_variant: str | None = None
    cached: bool = False
    impression_id: str | None = None
    warnings: list[str] = Field(default_factory=list)


class SimilarProjects(BaseModel):
    project_number: str
    name: str
    items: list[RecommendedProject]
    model_version: int | None = None
    warnings: list[str] = Field(default_factory=list)


class Prediction(BaseModel):
    project_number: str | None = None
    doc_type: str | None = None
    name: str | None = None
    confidence_score: float = Field(ge=0, le=1)
    reasoning: list[str]


class NextPredictions(BaseModel):
    predictions: list[Prediction]
    prediction_type: str
    model_version: int | None = Field(None, description="Registry version of the next-project model (None: heuristics)")
    context_considered: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
