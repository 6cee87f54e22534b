"""The learned document ranker: trained on search sessions, served to search, A/B testable.

Registry name ``search_ranker``. Training (:class:`SearchRankerTrainable`) reads the logged
searches and what was opened after them (:mod:`quicknav_mcp.analytics.search_sessions`),
replays each search through document search to get its candidates' feature rows (the same
rows serving scores), labels the opened ones relevant and the shown-and-skipped ones not, adds
any labelled queries it is given, and fits a LambdaMART tree ensemble (:mod:`.lambdamart`).
It measures itself against the hand-weighted ranker on held-out searches (the later fifth of
the log, and a fifth of the labelled queries): the trainer keeps it a candidate unless it beats
that rival there *and* is significantly worse than it on no kind of held-out query — the held-out
sessions and each kind of labelled query, by a paired test of their per-query MRR and nDCG@10
differences (:mod:`.paired`; simulated or logged sessions can reward what the labels do not want,
and a kind of 10-25 queries should block a model for a real loss, not for one unlucky query). Too
few sessions: ``InsufficientData``, and search keeps its hand-weighted order.

Serving (:class:`SearchRanker`) is the search's ``RankerSource``: the user's A/B variant when a
test on ``search_ranker`` runs, else the active version, else nothing; searches it ranked are
logged as impressions (``document_search`` events with the shown paths) for the next training
and for the A/B results.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ..analytics.feedback import impression_metadata
from ..analytics.search_sessions import SEARCH_MODEL, SearchSession, search_sessions
from ..search.learned import ServedRanker

if TYPE_CHECKING:
    import numpy as np

    from ..search.service import SearchService
    from ..store import Store
    from .abtest import ABTests
    from .registry import ModelRegistry

log = logging.getLogger(__name__)

NAME = SEARCH_MODEL
METRIC = "ndcg@10"
RIVAL = "hand_ranker"
MIN_SESSIONS = 40  # searches followed by an open (labelled queries count too)
MAX_SESSIONS = 2_000  # the latest; bounds a retrain's replay (~10-30 ms a search)
TEST_SHARE = 0.2
CACHE_SECONDS = 2.0
SESSIONS = "sessions"  # the held-out searches of the log, compared as one more kind

Labelled = tuple[str, set[str]] | tuple[str, set[str], str]
"""A query, the root-relative paths that answer it, and optionally its kind (``assistant``, ...)."""
UNKINDED = "labelled"  # the kind of a labelled query given without one


PROPENSITY_POWER = 0.0
"""How fast attention falls down a result list: a result at position k (0-based) is looked at
with probability ``(k + 1) ** -power`` (the usual power-law examination model). Off (0): weighting
searches by it (0.5 and 1 tried, bench/ltr_eval.py, 4 firms) lowered held-out MRR on every kind —
the deep clicks it amplifies are mostly people after an older revision or an odd file, not a
better order of what most requests want."""
MAX_SESSION_WEIGHT = 4.0


def session_rows(
    session: SearchSession, paths: list[str], x: np.ndarray, power: float | None = None
) -> tuple[np.ndarray, np.ndarray, float]:
    """One replayed search's rows, labels and weight.

    * The last result opened is what the search was for; one opened before it and followed by more
      looking was not (a mistaken open), so it is left out rather than counted either way. Copies of
      the opened file (the same name filed elsewhere) are left out too: they were not skipped.
    * Every other candidate the search has today, not only the ten shown, is not what was wanted (a
      model that never saw the deeper candidates would let them jump to the top).
    * Clicks are position-biased: a person opening the third result first looked past two, which is
      rarer, and says more about the order than opening the first. With ``power`` (default
      :data:`PROPENSITY_POWER`) the search counts by the inverse of the chance that its opened
      position was looked at (capped)."""
    import numpy as np

    satisfied = session.items[session.clicked[-1]]
    mistaken = {session.items[p] for p in session.clicked[:-1]} - {satisfied}
    name = satisfied.rsplit("/", 1)[-1].lower()
    keep = [p == satisfied or (p not in mistaken and p.rsplit("/", 1)[-1].lower() != name) for p in paths]
    y = np.array([1.0 if p == satisfied else 0.0 for p in paths])
    position = session.clicked[-1]
    weight = min(MAX_SESSION_WEIGHT, (position + 1) ** (PROPENSITY_POWER if power is None else power))
    if all(keep):
        return x, y, weight
    mask = np.asarray(keep, bool)
    return x[mask], y[mask], weight


def per_kind(
    model: Any, groups: dict[str, list[tuple[np.ndarray, np.ndarray, float]]], hand_rank: int, max_candidates: int
) -> dict[str, dict[str, Any]]:
    """MRR and nDCG@10 of ``model`` and of the hand-weighted order on each kind's held-out queries,
    and the paired test of their per-query differences (:mod:`.paired`); ``loses`` when the model
    is significantly worse on either metric — one unlucky query of a kind is no loss, a kind the
    model gets wrong more often than chance would is."""
    from .lambdamart import RankingSet, query_metrics
    from .paired import paired_test

    out: dict[str, dict[str, Any]] = {}
    for kind, kind_groups in sorted(groups.items()):
        data = RankingSet.build(kind_groups, max_candidates)
        if not len(data):
            continue
        learned = query_metrics(model.decision(data.x), data)
        hand = query_metrics(-data.x[:, hand_rank].astype(float), data)
        tests = {m: paired_test(learned[m] - hand[m]) for m in (METRIC, "mrr")}
        out[kind] = {
            "queries": len(data),
            **{m: round(float(v.mean()), 4) for m, v in learned.items()},
            **{f"{RIVAL}.{m}": round(float(v.mean()), 4) for m, v in hand.items()},
            "paired": {m: t.as_dict() for m, t in tests.items()},
            "loses": any(t.significant_loss for t in tests.values()),
        }
    return out


class SearchRanker:
    """Which ranker version serves a user, and the impressions of what it ranked."""

    def __init__(
        self,
        registry: ModelRegistry,
        abtests: ABTests,
        *,
        record: Callable[[dict[str, Any]], None] | None = None,
        default_user: str | None = None,
    ) -> None:
        self.registry = registry
        self.abtests = abtests
        self.record = record
        self.default_user = default_user
        self._lock = threading.Lock()
        self._models: dict[int, ServedRanker | None] = {}
        self._active: int | None = None
        self._active_at = -1e9

    def reload(self) -> None:
        """A version was trained, promoted or rolled back: ask the registry again."""
        with self._lock:
            self._active_at = -1e9

    def _active_version(self) -> int | None:
        # Asked on every search: re-read at most every 2 s (promotions are rare and reload() is told).
        now = time.monotonic()
        if now - self._active_at > CACHE_SECONDS:
            version = self.registry.active_version(NAME)
            with self._lock:
                self._active, self._active_at = version, now
        return self._active

    def ranker_for(self, user: str | None) -> ServedRanker | None:
        who = user or self.default_user
        assignment = self.abtests.variant_for(who, NAME) if who else None
        version = assignment.version if assignment is not None else self._active_version()
        if version is None:
            return None
        served = self._load(version)
        if served is None or assignment is None:
            return served
        return ServedRanker(served.scorer, served.version, served.features, assignment.test, assignment.version)

    def _load(self, version: int) -> ServedRanker | None:
        with self._lock:
            if version in self._models:
                return self._models[version]
        from ..predict.gbm import ArrayGBM
        from .lambdamart import CompleteTrees, WithPrior

        served = None
        art = self.registry.load(NAME, version)
        if art is not None:
            gbm = ArrayGBM.from_arrays(art.arrays)
            if gbm is not None:
                features = tuple(art.params.get("features", ()))
                prior = float(art.params.get("prior", 0.0))  # versions trained before the prior have none
                scorer = WithPrior(CompleteTrees(gbm), features.index("hand_rank") if prior else 0, prior)
                served = ServedRanker(scorer, art.version, features)
        with self._lock:
            self._models[version] = served
        return served

    def shown(self, served: ServedRanker, user: str | None, query: str, items: list[str], total: int) -> None:
        if self.record is None:
            return
        impression_id = uuid.uuid4().hex
        meta = impression_metadata(
            model=NAME,
            model_version=served.version,
            items=items,
            ab_test=served.ab_test,
            variant=served.variant,
            impression_id=impression_id,
        )
        self.record(
            {
                "event_type": "document_search",
                "event_id": f"srch-{impression_id}",
                "user_id": user or self.default_user or "anonymous",
                "query": query[:500],
                "result_count": total,
                "metadata": meta,
            }
        )


class SearchRankerTrainable:
    """Registry name ``search_ranker``; promoted when its held-out nDCG@10 wins (and beats the
    hand-weighted ranker's on the same searches, significantly worse than it on no kind of them)."""

    name = NAME
    metric = METRIC

    def __init__(
        self,
        store: Store,
        search: SearchService,
        *,
        labelled: Callable[[], Sequence[Labelled]] | None = None,
        on_reload: Callable[[], None] | None = None,
        params: Any = None,
        min_sessions: int = MIN_SESSIONS,
    ) -> None:
        self.store = store
        self.search = search
        self.labelled = labelled
        self._on_reload = on_reload
        self.params = params
        self.min_sessions = min_sessions

    def reload(self) -> None:
        if self._on_reload is not None:
            self._on_reload()

    def sessions(self) -> list[SearchSession]:
        from ..analytics.db import Conn

        conn = Conn(self.store.path)  # its own connection: training runs beside serving
        try:
            found = search_sessions(conn, limit=MAX_SESSIONS * 3)
        finally:
            conn.close()
        return [s for s in found if s.clicked][-MAX_SESSIONS:]

    def train(self, progress: Callable[[float, str], None]) -> Any:
        from ..analytics.events import iso
        from ..search.features import FEATURES
        from .errors import InsufficientData
        from .lambdamart import LambdaMARTParams, RankingSet, WithPrior, fit_lambdamart, query_metrics
        from .paired import paired_test
        from .trainer import TrainResult

        progress(0.0, "reading search sessions from the event log")
        sessions = self.sessions()
        labelled = list(self.labelled()) if self.labelled is not None else []
        if len(sessions) + len(labelled) < self.min_sessions:
            raise InsufficientData(
                f"the learned ranker needs at least {self.min_sessions} searches followed by an opened result "
                f"(or labelled queries); the log has {len(sessions)}: search keeps its hand-weighted ranking"
            )
        params = self.params or LambdaMARTParams()
        started = time.monotonic()
        cache: dict[tuple[str, str], Any] = {}
        train_groups, test_groups = self.replay(sessions, [], progress, cache)
        held_by_kind: dict[str, list[tuple[np.ndarray, np.ndarray, float]]] = {SESSIONS: list(test_groups)}
        for kind, held, group in self.labelled_groups(labelled, progress, cache, start=len(sessions)):
            if held:
                held_by_kind.setdefault(kind, []).append(group)
                test_groups.append(group)
            else:
                train_groups.append(group)
        train = RankingSet.build(train_groups, params.max_candidates)
        test = RankingSet.build(test_groups, params.max_candidates)
        if len(train) < max(10, self.min_sessions // 4) or not len(test):
            raise InsufficientData(
                f"only {len(train)} training and {len(test)} held-out searches had an opened result among "
                "the replayed candidates: search keeps its hand-weighted ranking"
            )
        progress(0.5, f"fitting {params.trees} trees on {len(train)} searches")
        hand_rank = FEATURES.index("hand_rank")
        gbm = fit_lambdamart(
            train,
            params,
            lambda f, m: progress(0.5 + 0.4 * f, m),
            init_scores=WithPrior.init_scores(train.x, hand_rank, params.prior),
        )
        model = WithPrior(gbm, hand_rank, params.prior)
        by_query = query_metrics(model.decision(test.x), test)
        hand_by_query = query_metrics(-test.x[:, hand_rank].astype(float), test)
        learned = {m: round(float(v.mean()), 4) for m, v in by_query.items()}
        hand = {m: round(float(v.mean()), 4) for m, v in hand_by_query.items()}
        overall = paired_test(by_query[METRIC] - hand_by_query[METRIC])
        kinds = per_kind(model, held_by_kind, hand_rank, params.max_candidates)
        loses_on = sorted(k for k, m in kinds.items() if m["loses"])
        metrics: dict[str, Any] = {
            **learned,
            **{f"{RIVAL}.{k}": v for k, v in hand.items()},
            "rival": RIVAL,
            # Better over all held-out searches and labelled queries, and significantly worse on no
            # kind of them (the held-out sessions are a kind too).
            "beats_rival": overall.mean > 0 and not loses_on,
            "paired": overall.as_dict(),
            "labelled_kinds": kinds,
            "loses_on": loses_on,
            "sessions": len(sessions),
            "labelled_queries": len(labelled),
            "train_queries": len(train),
            "test_queries": len(test),
            "train_seconds": round(time.monotonic() - started, 2),
        }
        progress(1.0, "learned ranker trained")
        stored = {"features": list(FEATURES), "trees": int(gbm.feature.shape[0]), "depth": gbm.depth}
        stored.update({"learning_rate": params.learning_rate, "min_leaf": params.min_leaf, "prior": params.prior})
        stored["monotone"] = list(params.monotone) if params.monotone is not None else None  # how it was fitted
        span = (iso(sessions[0].ts_ms), iso(sessions[-1].ts_ms)) if sessions else None
        return TrainResult(params=stored, arrays=gbm.arrays(), metrics=metrics, trained_on=span)  # type: ignore[arg-type]

    def replay(
        self,
        sessions: Sequence[SearchSession],
        labelled: Sequence[Labelled],
        progress: Callable[[float, str], None],
        cache: dict[tuple[str, str], Any] | None = None,
    ) -> tuple[list[tuple[np.ndarray, np.ndarray, float]], list[tuple[np.ndarray, np.ndarray, float]]]:
        """Feature rows and labels per search, split into training and held-out groups.

        A session's rows are its candidates as the search ranks them today (see
        :func:`session_rows`); the latest fifth of the sessions is held out. A labelled query's rows
        are all its candidates; a fifth of them (by a hash of the text) is held out. ``cache`` keeps
        the replayed candidates across calls (the same searches labelled another way)."""
        cut = int(len(sessions) * (1 - TEST_SHARE))
        train: list[tuple[np.ndarray, np.ndarray, float]] = []
        test: list[tuple[np.ndarray, np.ndarray, float]] = []
        cache = {} if cache is None else cache
        total = len(sessions) + len(labelled)
        for n, s in enumerate(sessions):
            if n % 50 == 0:
                progress(0.05 + 0.45 * n / total, f"replaying search {n + 1} of {total}")
            got = self._candidates(s.query, s.user_id, cache)
            if got is None:
                continue
            paths, x = got
            x, y, weight = session_rows(s, paths, x)
            (train if n < cut else test).append((x, y, weight))
        for _, held, group in self.labelled_groups(labelled, progress, cache, start=len(sessions)):
            (test if held else train).append(group)
        return train, test

    def labelled_groups(
        self,
        labelled: Sequence[Labelled],
        progress: Callable[[float, str], None],
        cache: dict[tuple[str, str], Any],
        start: int = 0,
    ) -> Iterator[tuple[str, bool, tuple[np.ndarray, np.ndarray, float]]]:
        """``(kind, held out, (rows, labels, weight))`` of each labelled query: all its candidates,
        those answering it relevant; a fifth of the queries (by a hash of the text) is held out."""
        import numpy as np

        total = start + len(labelled)
        for n, item in enumerate(labelled):
            query, relevant = item[0], item[1]
            if n % 50 == 0:
                progress(0.05 + 0.45 * (start + n) / max(1, total), f"replaying labelled query {n + 1}")
            got = self._candidates(query, "", cache)
            if got is None:
                continue
            paths, x = got
            y = np.array([1.0 if p in relevant else 0.0 for p in paths])
            held = hashlib.sha256(query.encode()).digest()[0] < 256 * TEST_SHARE
            yield (item[2] if len(item) > 2 else UNKINDED), held, (x, y, 1.0)  # type: ignore[misc]

    def _candidates(self, query: str, user: str, cache: dict[tuple[str, str], Any]) -> tuple[list[str], Any] | None:
        key = (query, user)
        if key not in cache:
            cache[key] = None
            try:
                with self.search.learned.capture() as captured:
                    self.search.search_documents(query, limit=1, user_id=user or None, include_facets=False)
            except Exception as exc:  # a logged query today's parser refuses (too long, ...): skip it
                log.debug("replaying %r failed: %s", query[:80], exc)
                return None
            if captured:
                cache[key] = (captured[-1].paths, captured[-1].x)
        return cache[key]
