"""``predict_next``: the project (or document family) a user is likely to open next.

A candidate generator (recent and frequent projects, transitions out of the current project
across all users and the user's own, team co-activity, what is busy) feeds a learned re-ranker:
gradient-boosted trees over the features of :mod:`.features`, trained on the log's own
transitions with a time split (:mod:`.train`) and served from stored arrays (:mod:`.gbm`).
The live usage state is folded in on every call, so the event just tracked counts.
"""

from __future__ import annotations

import itertools
import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..analytics import history
from ..analytics.feedback import impression_metadata
from ..errors import InvalidInput
from ..recommend.context import describe_age, parse_context, plural
from ..recommend.live import LiveUsage
from ..recommend.models import NextPredictions, Prediction
from ..recommend.signals import user_view
from ..validation import bounded_int, clean_text
from .features import FEATURES, context_rows
from .gbm import ArrayGBM
from .gru import GRUScorer
from .trainable import GRU_NAME, NAME

if TYPE_CHECKING:
    from ..analytics import AnalyticsService
    from ..ml.service import MLService
    from ..services.projects import ProjectService
    from ..store import Store

PREDICTION_TYPES = ("project", "document_type")
# Without a trained model: a fixed blend of the strongest features (index into FEATURES).
_HEURISTIC = {"transition_share": 0.4, "user_decayed": 0.25, "team_coactivity": 0.15, "own_transition_log": 0.2}


@dataclass
class NextModel:
    version: int | None
    gbm: ArrayGBM | None
    metrics: dict[str, Any]
    warnings: tuple[str, ...] = ()
    gru: GRUScorer | None = None  # the sequence model, when it is active and beat this re-ranker
    gru_version: int | None = None


class PredictService:
    def __init__(
        self,
        store: Store,
        projects: ProjectService,
        live: LiveUsage,
        analytics: AnalyticsService | None = None,
        ml: MLService | None = None,
        *,
        default_user: str = "unknown",
    ) -> None:
        self.store = store
        self.projects = projects
        self.live = live
        self.analytics = analytics
        self.ml = ml
        self.default_user = default_user
        self._models: dict[int | None, NextModel] = {}
        self._lock = threading.Lock()

    def reload(self) -> None:
        with self._lock:
            self._models.clear()

    def _model(self, user: str) -> tuple[NextModel, str | None, int | None]:
        assignment = self.ml.variant_for(user, NAME) if self.ml is not None else None
        version = assignment.version if assignment else None
        with self._lock:
            model = self._models.get(version)
            if model is None:
                artifact = self.ml.registry.load(NAME, version) if self.ml is not None else None
                if artifact is not None:
                    gbm = ArrayGBM.from_arrays(artifact.arrays)
                    model = NextModel(artifact.version, gbm, dict(artifact.metrics), tuple(artifact.warnings))
                else:
                    model = NextModel(
                        None, None, {}, ("no trained next-project model yet: heuristic ranking (run train_models)",)
                    )
                if version is None and self.ml is not None:
                    self._attach_gru(model)
                self._models[version] = model
        return model, (assignment.test if assignment else None), (assignment.version if assignment else None)

    def _attach_gru(self, model: NextModel) -> None:
        """Serve the active GRU instead of the re-ranker only when it measured better on held-out data."""
        assert self.ml is not None
        artifact = self.ml.registry.load(GRU_NAME)
        if artifact is None or artifact.metrics.get("beats_rival") is not True:
            return
        mine, theirs = artifact.metrics.get("hr@3"), model.metrics.get("hr@3")
        if model.gbm is not None and isinstance(theirs, int | float) and not (mine or 0) > theirs:
            return  # the re-ranker was retrained since and is now the better one
        try:
            model.gru, model.gru_version = GRUScorer(artifact.arrays), artifact.version
        except (KeyError, ValueError) as exc:
            model.warnings = (*model.warnings, f"{GRU_NAME} version {artifact.version} is unusable ({exc})")

    def predict_next(
        self,
        user_id: object = None,
        context: object = None,
        prediction_type: object = "project",
        limit: object = 5,
    ) -> NextPredictions:
        user = self.default_user if user_id is None else clean_text(user_id, "user_id", max_len=128)
        limit = bounded_int(limit, "limit", 1, 20)
        if prediction_type not in PREDICTION_TYPES:
            raise InvalidInput(f"prediction_type must be one of {', '.join(PREDICTION_TYPES)}, got {prediction_type!r}")
        ctx = parse_context(context, allowed=("time", "current_project", "recent"))
        for code in ([ctx.current_project] if ctx.current_project else []) + ctx.recent:
            self.projects.require(code)
        model, ab_test, variant = self._model(user)
        if prediction_type == "document_type":
            result = self._doc_types(user, ctx, limit)
        else:
            with self.live.lock:  # no fold-in changes the state while it is read
                result = self._projects(user, ctx, limit, model)
        result.model_version = model.version
        result.warnings = list(model.warnings)
        self._shown(user, model, ab_test, variant, result)
        return result

    # ---- projects -----------------------------------------------------------------------------
    def _projects(self, user: str, ctx: Any, limit: int, model: NextModel) -> NextPredictions:
        state = self.live.at(ctx.at_ms)
        view = user_view(state, user, ctx.at_ms)
        if ctx.recent:  # what the client says the user just did comes first
            front = [state.project_index(c) for c in ctx.recent]
            view.sequence = front + [j for j in view.sequence if j not in front]
        current_code = ctx.current_project or (ctx.recent[0] if ctx.recent else None)
        current = state.project_index(current_code) if current_code else (view.sequence[0] if view.sequence else None)
        cands, x, _team, neighbours = context_rows(state, view, current)
        on_disk = {r.code for r in self.projects.all()}
        keep = [i for i, j in enumerate(cands) if state.codes[j] in on_disk]
        cands, x = [cands[i] for i in keep], x[keep]
        if not cands:
            return NextPredictions(predictions=[], prediction_type="project", context_considered=ctx.considered())
        if model.gru is not None:
            p = model.gru.score_codes(self._sequence(state, user, ctx, current), [state.codes[j] for j in cands])
        elif model.gbm is not None:
            p = model.gbm.proba(x)
        else:
            p = np.zeros(len(cands))
            for name, w in _HEURISTIC.items():
                col = x[:, FEATURES.index(name)]
                peak = float(col.max(initial=0))
                if peak > 0:
                    p += w * col / peak
        share = p / p.sum() if p.sum() > 0 else p
        order = np.argsort(-share, kind="stable")[:limit]
        cur_code = state.codes[current] if current is not None else None
        preds = []
        for i in order:
            j = cands[int(i)]
            recs = self.projects.by_code(state.codes[j])
            preds.append(
                Prediction(
                    project_number=state.codes[j],
                    name=recs[0].name if recs else None,
                    confidence_score=round(float(min(1.0, max(0.0, share[i]))), 4),
                    reasoning=self._reasons(state, view, current, cur_code, j, x[int(i)], neighbours),
                )
            )
        considered = ctx.considered() + ([] if ctx.current_project else ["current project = your latest"])
        if model.gru is not None:
            considered.append(f"ranked by the sequence model ({GRU_NAME} version {model.gru_version})")
        return NextPredictions(predictions=preds, prediction_type="project", context_considered=considered)

    @staticmethod
    def _sequence(state: Any, user: str, ctx: Any, current: int | None) -> list[str]:
        """The user's projects up to the context time, oldest first, ending with the current one."""
        log = state.users.get(user)
        cut = log.cut(ctx.at_ms) if log else 0
        seq = [state.codes[j] for j in log.project[max(0, cut - 200) : cut]] if log else []
        seq += list(reversed(ctx.recent))
        if current is not None:
            seq.append(state.codes[current])
        return seq

    @staticmethod
    def _reasons(
        state: Any,
        view: Any,
        current: int | None,
        cur_code: str | None,
        j: int,
        row: np.ndarray,
        neighbours: dict[str, int],
    ) -> list[str]:
        out: list[str] = []
        f = dict(zip(FEATURES, row.tolist(), strict=True))
        if current is not None:
            own = int(state.user_transitions.get(view.user, {}).get(current, {}).get(j, 0))
            if own:
                out.append(f"you usually go from {cur_code} to this ({plural(own, 'time')})")
            if f["transition_share"] >= 0.05:
                out.append(f"{round(100 * f['transition_share'])}% of moves out of {cur_code} across the firm go here")
        if j in view.last_ms:
            out.append(f"you last worked on it {describe_age(max(0, view.at_ms - view.last_ms[j]))} ago")
        if f["time_of_day_habit"] >= 0.5:
            out.append("you often work on it at this time of day")
        if f["team_coactivity"] >= 0.3 and neighbours:
            n = sum(1 for u in neighbours if state.project_users.get(j, {}).get(u, 0) >= view.at_ms - 21 * 86_400_000)
            if n:
                out.append(
                    f"{plural(n, 'person')} you share projects with worked on it lately".replace("persons", "people")
                )
        return out[:3] or ["busy across the firm right now"]

    # ---- document types --------------------------------------------------------------------------
    def _doc_types(self, user: str, ctx: Any, limit: int) -> NextPredictions:
        recent = history.recent(self.live.conn, user, until=ctx.at_ms, limit=500)
        typed = [it for it in reversed(recent) if it.doc_type]  # oldest first
        if not typed:
            return NextPredictions(predictions=[], prediction_type="document_type", context_considered=ctx.considered())
        current = ctx.current_project or (ctx.recent[0] if ctx.recent else recent[0].project_number)
        last = typed[-1].doc_type
        follow: dict[str, int] = {}
        overall: dict[str, float] = {}
        here: dict[str, int] = {}
        for a, b in itertools.pairwise(typed):
            if a.doc_type == last and b.doc_type != a.doc_type:
                follow[b.doc_type] = follow.get(b.doc_type, 0) + 1  # type: ignore[index]
        for k, it in enumerate(typed):
            overall[it.doc_type] = overall.get(it.doc_type, 0.0) + 0.97 ** (len(typed) - k)  # type: ignore[index]
            if it.project_number == current:
                here[it.doc_type] = here.get(it.doc_type, 0) + 1  # type: ignore[index]
        tf, to, th = sum(follow.values()) or 1, sum(overall.values()) or 1, sum(here.values()) or 1
        score = {
            t: 0.45 * follow.get(t, 0) / tf + 0.35 * here.get(t, 0) / th + 0.2 * overall.get(t, 0) / to
            for t in set(follow) | set(overall) | set(here)
        }
        total = sum(score.values()) or 1.0
        preds = []
        for t, s in sorted(score.items(), key=lambda kv: -kv[1])[:limit]:
            reasons = []
            if follow.get(t):
                reasons.append(f"after {last} you usually open {t} ({plural(follow[t], 'time')})")
            if here.get(t):
                reasons.append(f"you opened {plural(here[t], f'{t} document')} in {current}")
            if not reasons:
                reasons.append(f"{round(100 * overall.get(t, 0) / to)}% of your recent document use is {t}")
            preds.append(Prediction(doc_type=t, confidence_score=round(s / total, 4), reasoning=reasons))
        return NextPredictions(predictions=preds, prediction_type="document_type", context_considered=ctx.considered())

    def _shown(
        self, user: str, model: NextModel, ab_test: str | None, variant: int | None, result: NextPredictions
    ) -> None:
        if self.analytics is None or not result.predictions:
            return
        items = [p.project_number or p.doc_type or "" for p in result.predictions]
        impression_id = uuid.uuid4().hex
        meta = impression_metadata(
            model=NAME,
            model_version=model.version,
            items=items,
            ab_test=ab_test,
            variant=variant,
            impression_id=impression_id,
            kind=result.prediction_type,
        )
        self.analytics.tracker.record(
            {"event_type": "prediction_shown", "user_id": user, "event_id": f"pred-{impression_id}", "metadata": meta}
        )
