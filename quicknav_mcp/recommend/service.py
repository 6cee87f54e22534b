"""The recommendation service: projects, documents and similar projects for a user and context.

Serving reads the active recommender from the registry (or the version an A/B test assigns the
user), the live usage state (folded in on every call) and the project index (only projects on
disk are ever recommended). Each answer is logged as a ``recommendation_impression`` so clicks
and visits afterwards measure the model online.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analytics import history
from ..analytics.feedback import impression_metadata
from ..heap import release_free_memory
from ..validation import bounded_int, clean_text, project_code
from .context import Context, Filters, describe_age, parse_context, parse_filters, plural
from .hybrid import DEFAULT_WEIGHTS, Scorer
from .live import LiveUsage
from .model import RecommenderModel
from .models import (
    DocumentRecommendations,
    Recommendations,
    RecommendedDocument,
    RecommendedProject,
    SimilarProjects,
)
from .reasons import ALGORITHM, Explainer, similar_sentence
from .signals import UserView, team_scores, user_view
from .trainable import NAME

if TYPE_CHECKING:
    from ..analytics import AnalyticsService
    from ..ml.service import MLService
    from ..services.documents import DocumentService
    from ..services.projects import ProjectService
    from ..store import Store

log = logging.getLogger(__name__)
CACHE_SECONDS = 60.0
CACHE_SIZE = 256
MAX_LIMIT = 50


@dataclass
class Served:
    model: RecommenderModel
    ab_test: str | None
    variant: int | None


def check_user(value: object, default: str) -> str:
    if value is None:
        return default
    return clean_text(value, "user_id", max_len=128)


class RecommendService:
    def __init__(
        self,
        store: Store,
        projects: ProjectService,
        documents: DocumentService,
        analytics: AnalyticsService | None,
        ml: MLService | None = None,
        *,
        live: LiveUsage | None = None,
        default_user: str = "unknown",
    ) -> None:
        self.store = store
        self.projects = projects
        self.documents = documents
        self.analytics = analytics
        self.ml = ml
        self.live = live or LiveUsage(store.path)
        self.default_user = default_user
        self._models: dict[int | None, RecommenderModel] = {}
        self._heuristic: tuple[list[Any], frozenset[str], RecommenderModel] | None = None  # rows, codes, model
        self._lock = threading.RLock()
        self._cache: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
        self._mask_key: tuple = ()
        self._mask = np.zeros(0, bool)
        self._scorers: dict[tuple[int, int], Scorer] = {}
        self._hay: dict[str, str] = {}
        self._hay_key = 0

    # ---- models -----------------------------------------------------------------------------
    def reload(self) -> None:
        """Drop loaded versions: the next call loads what the registry serves now."""
        with self._lock:
            self._models.clear()
            self._cache.clear()
            self._scorers.clear()

    def _served(self, user: str) -> Served:
        assignment = self.ml.variant_for(user, NAME) if self.ml is not None else None
        version = assignment.version if assignment else None
        with self._lock:
            model = self._models.get(version)
            if model is None:
                artifact = self.ml.registry.load(NAME, version) if self.ml is not None else None
                if artifact is not None:
                    model = RecommenderModel.from_artifact(artifact)
                    self._models[version] = model
                else:
                    model = self._heuristic_model()
        return Served(model, assignment.test if assignment else None, assignment.version if assignment else None)

    def _scorer(self, state: Any, model: RecommenderModel) -> Scorer:
        # One per (state, model): its index maps are rebuilt only when new projects appear.
        key = (id(state), id(model))
        scorer = self._scorers.get(key)
        if scorer is None or scorer.state is not state:
            if len(self._scorers) > 8:
                self._scorers.clear()
            scorer = self._scorers[key] = Scorer(state, model.content, model.collab)
        return scorer

    def _heuristic_model(self) -> RecommenderModel:
        """No trained version yet: default weights and content similarity fitted on the spot, and again
        once a project folder appears or goes (a served process sees new projects; a document added to a
        project does not refit: ~3 s at 5,000 projects)."""
        with self._lock:
            rows = self.projects.all()  # the same list until a project row changes
            held = self._heuristic
            if held is not None and held[0] is rows:
                return held[2]
            codes = frozenset(r.code for r in rows)
            if held is not None and held[1] == codes:
                self._heuristic = (rows, codes, held[2])
                return held[2]
            from ..services.corpus import project_texts
            from .content import fit_content

            content = fit_content(project_texts(self.store))
            # Its temporaries (every project's text, its words and pairs, blocks of similarities: ~75 MB at
            # 5,000 projects) would stay resident in the serving process's heap.
            release_free_memory()
            model = RecommenderModel(
                version=None,
                weights=dict(DEFAULT_WEIGHTS),
                content=content,
                collab=None,
                metrics={},
                warnings=(
                    "no trained recommender yet: heuristic weights, no collaborative filtering (run train_models)",
                ),
            )
            self._heuristic = (rows, codes, model)
            self._cache.clear()  # answers the previous fit gave
            self._scorers.clear()
            return model

    # ---- shared pieces ----------------------------------------------------------------------------
    def _on_disk(self, state: Any) -> np.ndarray:
        records = self.projects.all()
        key = (id(records), state.n_projects)
        if key != self._mask_key:
            codes = {r.code for r in records}
            state.ensure_projects(sorted(codes))
            self._mask = np.array([c in codes for c in state.codes], bool)
            self._mask_key = (id(records), state.n_projects)
        return self._mask

    def _filtered(self, state: Any, base: np.ndarray, filters: Filters) -> np.ndarray:
        if filters.client is None and filters.range_start is None:
            return base
        mask = base.copy()
        for j in np.nonzero(mask)[0]:
            code = state.codes[j]
            if filters.range_start is not None and not filters.range_start <= int(code) <= filters.range_start + 999:
                mask[j] = False
                continue
            if filters.client is not None and filters.client not in self._haystacks().get(code, ""):
                mask[j] = False
        return mask

    def _haystacks(self) -> dict[str, str]:
        """Client names and folder name per project code, lower case (for the client filter)."""
        records = self.projects.all()
        if self._hay_key != id(records):
            hay: dict[str, str] = {}
            for r in records:
                hay[r.code] = hay.get(r.code, "") + " " + " ".join([r.client or "", *r.client_names, r.name]).lower()
            self._hay, self._hay_key = hay, id(records)
        return self._hay

    def _project(self, code: str) -> tuple[str, str]:
        recs = self.projects.by_code(code)
        return (recs[0].name, recs[0].path) if recs else (code, "")

    def _impression(self, user: str, served: Served, kind: str, items: list[str], algorithm: str) -> str:
        impression_id = uuid.uuid4().hex
        if self.analytics is None:
            return impression_id
        meta = impression_metadata(
            model=NAME,
            model_version=served.model.version,
            items=items,
            ab_test=served.ab_test,
            variant=served.variant,
            impression_id=impression_id,
            kind=kind,
            algorithm=algorithm,
        )
        event = {
            "event_type": "recommendation_impression",
            "user_id": user,
            "event_id": f"imp-{impression_id}",
            "metadata": meta,
        }
        self.analytics.tracker.record(event)  # queued: logging never slows the answer down
        return impression_id

    def _cached(self, key: tuple) -> Any | None:
        with self._lock:
            hit = self._cache.get(key)
            if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
                return hit[1]
        return None

    def _remember(self, key: tuple, value: Any) -> None:
        with self._lock:
            self._cache[key] = (time.monotonic(), value)
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)

    # ---- projects ---------------------------------------------------------------------------------
    def recommend_projects(
        self, user_id: object = None, limit: object = 10, context: object = None, filters: object = None
    ) -> Recommendations:
        user = check_user(user_id, self.default_user)
        limit = bounded_int(limit, "limit", 1, MAX_LIMIT)
        return self._recommend(user, limit, parse_context(context), parse_filters(filters), log=True)

    def _recommend(self, user: str, limit: int, ctx: Context, flt: Filters, *, log: bool) -> Recommendations:
        if ctx.current_project:
            self.projects.require(ctx.current_project)  # unknown project: a clear error
        served = self._served(user)
        state = self.live.at(ctx.at_ms)
        key = (
            "p",
            user,
            limit,
            ctx.current_project,
            ctx.query,
            ctx.at_ms if ctx.explicit_time else None,
            flt.client,
            flt.range_start,
            flt.exclude_viewed,
            state.events,
            served.model.version,
            served.variant,
        )
        hit = self._cached(key)
        if hit is not None:
            result = hit.model_copy(update={"cached": True})
            if log:
                result.impression_id = self._impression(
                    user, served, "projects", [i.project_number for i in result.items], result.algorithm_used
                )
            return result
        with self.live.lock:  # no fold-in changes the state while it is read
            view = user_view(state, user, ctx.at_ms)
            scorer = self._scorer(state, served.model)
            mask = self._filtered(state, self._on_disk(state), flt)
            current = state.index.get(ctx.current_project) if ctx.current_project else None
            exclude = set(view.count) if flt.exclude_viewed else None
            ranked = scorer.rank(
                view, served.model.weights, limit=limit, current=current, query=ctx.query, allowed=mask, exclude=exclude
            )
            neighbours = team_scores(state, view)[1] if view.known else {}
            explainer = Explainer(state, served.model.content, served.model.collab)
            items = []
            for r in ranked:
                code = state.codes[r.index]
                name, path = self._project(code)
                items.append(
                    RecommendedProject(
                        project_number=code,
                        name=name,
                        path=path,
                        confidence_score=round(min(1.0, max(0.0, r.score)), 4),
                        reasoning=explainer.explain(view, r, current=current, query=ctx.query, neighbours=neighbours),
                        algorithm=ALGORITHM.get(max(r.parts, key=lambda k: r.parts[k]), "hybrid")
                        if r.parts
                        else "hybrid",
                    )
                )
        algorithm = "hybrid" if view.known else "cold_start"
        if served.model.version is None:
            algorithm += " (heuristic)"
        result = Recommendations(
            items=items,
            algorithm_used=algorithm,
            context_considered=ctx.considered()
            + [
                f"filters.{k}"
                for k, v in (("client", flt.client), ("range", flt.range_start), ("exclude_viewed", flt.exclude_viewed))
                if v
            ],
            model_version=served.model.version,
            ab_variant=None if served.variant is None else str(served.variant),
            cached=False,
            warnings=list(served.model.warnings),
        )
        self._remember(key, result)
        result = result.model_copy()
        if log:
            result.impression_id = self._impression(
                user, served, "projects", [i.project_number for i in items], algorithm
            )
        return result

    # ---- similar projects --------------------------------------------------------------------------
    def similar_projects(self, project_number: object, limit: object = 10) -> SimilarProjects:
        code = project_code(project_number)
        limit = bounded_int(limit, "limit", 1, MAX_LIMIT)
        recs = self.projects.require(code)
        served = self._served(self.default_user)
        model = served.model
        content = model.content or self._heuristic_model().content
        on_disk = {r.code for r in self.projects.all()}
        scores: dict[str, float] = {}
        for other, sim in content.neighbours(code) if content is not None else []:
            scores[other] = 0.7 * sim
        collab = model.collab
        if collab is not None and code in collab.index:
            sims = collab.item_unit @ collab.item_unit[collab.index[code]]
            for k in np.argsort(-sims)[: 3 * limit + 1]:
                other = collab.codes[int(k)]
                if other != code and sims[k] > 0:
                    scores[other] = scores.get(other, 0.0) + 0.3 * float(sims[k])
        ranked = sorted(((c, s) for c, s in scores.items() if c in on_disk and c != code), key=lambda kv: -kv[1])[
            :limit
        ]
        items = []
        for other, score in ranked:
            reasons = []
            if content is not None:
                sentence = similar_sentence(content, code, other)
                if sentence:
                    reasons.append(sentence)
            if collab is not None and other in collab.index and code in collab.index:
                reasons.append(f"people who work on {code} also open this")
            name, path = self._project(other)
            items.append(
                RecommendedProject(
                    project_number=other,
                    name=name,
                    path=path,
                    confidence_score=round(min(1.0, score), 4),
                    reasoning=reasons or ["similar folder, client and document names"],
                    algorithm="content"
                    if content is not None and other in dict(content.neighbours(code))
                    else "collaborative",
                )
            )
        warnings = list(model.warnings)
        return SimilarProjects(
            project_number=code, name=recs[0].name, items=items, model_version=model.version, warnings=warnings
        )

    # ---- documents ----------------------------------------------------------------------------------
    def recommend_documents(
        self, user_id: object = None, project_number: object = None, limit: object = 10, context: object = None
    ) -> DocumentRecommendations:
        user = check_user(user_id, self.default_user)
        limit = bounded_int(limit, "limit", 1, MAX_LIMIT)
        ctx = parse_context(context)
        served = self._served(user)
        if project_number is not None:
            codes = [self.projects.require(project_code(project_number))[0].code]
            used = ["project_number"]
        elif ctx.current_project:
            codes = [self.projects.require(ctx.current_project)[0].code]
            used = []
        else:
            top = self._recommend(user, 3, ctx, Filters(), log=False)  # shown as documents, not as projects
            codes = [i.project_number for i in top.items]
            used = ["recommended projects"]
        recent = history.recent(self.live.conn, user, until=ctx.at_ms, limit=500)
        opened: dict[str, list[int]] = {}
        type_count: dict[str, int] = {}
        for it in recent:
            if it.event_type == "document_access" and it.document:
                opened.setdefault(it.document.replace("\\", "/").rsplit("/", 1)[-1].lower(), []).append(it.ts_ms)
            if it.doc_type:
                type_count[it.doc_type] = type_count.get(it.doc_type, 0) + 1
        total_types = sum(type_count.values())
        scored: list[tuple[float, RecommendedDocument]] = []
        for rank, code in enumerate(codes):
            page = self.documents.page(code, 0, 500)
            for d in page.documents:
                if d.is_archive:
                    continue
                reasons: list[str] = []
                s = 0.35 if d.is_current else 0.05
                if d.is_current:
                    rev = f" ({d.revision_raw})" if d.revision_raw else ""
                    reasons.append(f"the current revision{rev} of its series" + (", as built" if d.is_as_built else ""))
                times = opened.get(d.name.lower())
                if times:
                    s += 0.35
                    age = describe_age(max(0, ctx.at_ms - max(times)))
                    reasons.append(f"you opened it {plural(len(times), 'time')}, last {age} ago")
                share = type_count.get(d.doc_type, 0) / total_types if total_types else 0.0
                if share:
                    s += 0.25 * share
                    if share >= 0.15:
                        reasons.append(f"{round(100 * share)}% of what you open is {d.doc_type} documents")
                s *= 1.0 - 0.15 * rank  # documents of the first recommended project first
                scored.append(
                    (
                        s,
                        RecommendedDocument(
                            path=d.path,
                            name=d.name,
                            project_number=d.project_number,
                            doc_type=d.doc_type,
                            is_current=d.is_current,
                            confidence_score=round(min(1.0, s), 4),
                            reasoning=reasons or ["a document of a project you are likely to work on"],
                            algorithm="frecency" if times else "current_revision",
                        ),
                    )
                )
        scored.sort(key=lambda t: -t[0])
        items = [doc for _, doc in scored[:limit]]
        result = DocumentRecommendations(
            items=items,
            algorithm_used="documents: current revisions + your history",
            context_considered=ctx.considered() + used,
            model_version=served.model.version,
            ab_variant=None if served.variant is None else str(served.variant),
            warnings=list(served.model.warnings),
        )
        result.impression_id = self._impression(
            user, served, "documents", [d.path for d in items], result.algorithm_used
        )
        return result

    def view(self, user: str, ctx: Context) -> UserView:
        return user_view(self.live.at(ctx.at_ms), user, ctx.at_ms)

    def close(self) -> None:
        self.live.close()
