"""The learned document ranker, offline: hybrid vs hybrid + learned, per query kind, on held-out firms.

For each demo firm (content, embedded; one per seed) the usage simulator records people's
searches and what they opened after them (``record_usage(..., searches=N)``: real searches,
position-biased scanning, skipped wrong results). The ranker trainer replays those sessions into
feature rows. Leave one firm out: a LambdaMART model is fitted on the other firms' sessions
(plus labelled queries of those firms when ``--labelled``: generated with other seeds, and their
quality sets) and evaluated on the held-out firm's
labelled queries, never seen in training:

* kinds ``terse`` / ``client`` / ``assistant`` / ``name`` — requests phrased the ways the
  simulator phrases them (``demo.search_sessions.phrase``), for documents drawn with another
  seed; wanted: that document and its equivalents (same project, family, change order, room,
  as-built, outside any archive);
* ``quality/<category>`` — the document queries of ``bench/search_quality.py`` for that firm
  (the existing labelled set: must not regress).

Prints one JSON object: MRR, nDCG@10 and recall@5 per kind for hybrid and hybrid + learned, per
held-out firm and pooled, the kinds on which hybrid + learned is significantly worse than hybrid
(the promotion's paired test, per firm and pooled), and the model's held-out session nDCG against
the hand-weighted order.

    .venv/bin/python bench/ltr_eval.py [--seeds 7 8 9 10] [--searches 800] [--labelled]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import OUT, emit
from paraphrase_eval import prepared_app

from quicknav_mcp.repo.documents import REL_PATH

KINDS = ("terse", "client", "assistant", "name")


def mrr(ranked: list[str], wanted: set[str]) -> float:
    return next((1 / (i + 1) for i, r in enumerate(ranked) if r in wanted), 0.0)


def ndcg(ranked: list[str], wanted: set[str], k: int = 10) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(ranked[:k]) if r in wanted)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(wanted), k)))
    return dcg / ideal if ideal else 0.0


def recall5(ranked: list[str], wanted: set[str]) -> float:
    return len(set(ranked[:5]) & wanted) / min(5, len(wanted)) if wanted else 0.0


class Fixed:
    """A ranker source serving one in-memory model (no registry, nothing logged)."""

    def __init__(self, served) -> None:
        self.served = served

    def ranker_for(self, user):
        return self.served

    def shown(self, *args) -> None:
        return None


def labelled_queries(app, seed: int, n: int) -> list[tuple[str, str, set[str]]]:
    """``(kind, query, wanted root-relative paths)`` for ``n`` documents drawn with ``seed``."""
    from quicknav_mcp.demo.search_sessions import labelled_requests

    return labelled_requests(app, seed, n)


def quality_queries(projects: int, seed: int) -> list[tuple[str, str, set[str]]]:
    try:
        from search_quality import demo_queries
    except Exception:  # the shared benchmark changed shape: evaluate the generated kinds only
        return []
    return [
        (f"quality/{q.category}", q.query, set(q.relevant))
        for q in demo_queries(projects, seed)
        if q.target == "documents"
    ]


def ranked_paths(app, query: str) -> list[str]:
    res = app.search.search_documents(query, limit=20, include_facets=False)
    ids = [d.id for d in res.documents]
    if not ids:
        return []
    rel = dict(
        app.store.query(
            f"SELECT d.id, {REL_PATH} FROM documents d JOIN projects p ON p.id = d.project_id "
            f"WHERE d.id IN ({','.join('?' * len(ids))})",
            ids,
        )
    )
    return [rel[i] for i in ids if i in rel]


INTENT_COLUMNS = (
    "place_share",
    "kind_named",
    "related_kind",
    "level_match",
    "latest_co",
    "template",
    "cover_asked",
    "cover_share",
)
"""The ranking features read from the request's intent (left out by the configurations without them)."""
CONFIGS: dict[str, tuple[str, float, bool, bool]] = {
    "opened": ("opened", 0.0, False, False),  # every opened result relevant, every search alike, no intent columns
    "satisfied": ("satisfied", 0.0, False, False),  # the last opened relevant, mistaken opens and copies left out
    "ipw": ("satisfied", 0.5, False, False),  # ... searches weighted by the inverse chance their click was looked at
    "ipw1": ("satisfied", 1.0, False, False),
    "ipw+intent": ("satisfied", 0.5, True, False),  # ... and the intent columns
    "satisfied+intent": ("satisfied", 0.0, True, False),
    "monotone": ("satisfied", 0.0, True, True),  # ... trees held to search/features.py MONOTONE
}
"""Ways to train on the same sessions: how clicks become labels, the propensity power, the columns,
monotone constraints."""


def without(x, columns: list[int]):
    x = x.copy()
    x[:, columns] = 0.0
    return x


class Without:
    """A scorer trained with ``columns`` zeroed, served the full rows."""

    def __init__(self, scorer, columns: list[int]) -> None:
        self.scorer, self.columns = scorer, columns

    def decision(self, x):
        return self.scorer.decision(without(x, self.columns))


def opened_rows(trainable, sessions, cache) -> tuple[list, list]:
    """The labelling before position debiasing: every opened result relevant, every search weight 1."""
    import numpy as np

    from quicknav_mcp.ml.ltr import TEST_SHARE

    cut = int(len(sessions) * (1 - TEST_SHARE))
    train, test = [], []
    for n, s in enumerate(sessions):
        got = trainable._candidates(s.query, s.user_id, cache)
        if got is None:
            continue
        paths, x = got
        opened = {s.items[p] for p in s.clicked}
        (train if n < cut else test).append((x, np.array([1.0 if p in opened else 0.0 for p in paths]), 1.0))
    return train, test


def paired_loss(cell: dict[str, list[float]], mode: str) -> bool:
    """Whether ``mode`` is significantly worse than hybrid on one kind's queries (the promotion's
    paired test, on MRR or nDCG@10)."""
    from quicknav_mcp.ml.paired import paired_test

    return any(
        paired_test([a - b for a, b in zip(cell[f"{mode}.{m}"], cell[f"hybrid.{m}"], strict=True)]).significant_loss
        for m in ("mrr", "ndcg10")
    )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=40)
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9, 10])
    ap.add_argument("--searches", type=int, default=800)
    ap.add_argument("--queries", type=int, default=120, help="generated held-out queries per firm")
    ap.add_argument("--labelled", action="store_true", help="also train on labelled queries of the training firms")
    ap.add_argument("--trees", type=int, default=80)
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--prior", type=float, default=6.0, help="weight of the hand-weighted start")
    ap.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import numpy as np

    from quicknav_mcp.demo.usage import record_usage
    from quicknav_mcp.ml import ltr
    from quicknav_mcp.ml.lambdamart import LambdaMARTParams, RankingSet, WithPrior, fit_lambdamart, ranking_metrics
    from quicknav_mcp.ml.ltr import SearchRankerTrainable
    from quicknav_mcp.search.features import FEATURES, MONOTONE
    from quicknav_mcp.search.learned import ServedRanker

    t0 = time.perf_counter()
    params = LambdaMARTParams(trees=args.trees, depth=args.depth, prior=args.prior)
    constrained = LambdaMARTParams(trees=args.trees, depth=args.depth, prior=args.prior, monotone=MONOTONE)
    new_columns = [FEATURES.index(c) for c in INTENT_COLUMNS]
    firms: dict[int, dict] = {}
    for seed in args.seeds:
        app, root = prepared_app(args.projects, seed)
        db = Path(app.store.path)
        app.close()
        copy = OUT / f"ltr-eval-{seed}-{os.getpid()}.db"  # runs side by side never share a copy
        for suffix in ("", "-wal", "-shm"):
            Path(f"{copy}{suffix}").unlink(missing_ok=True)
        shutil.copy(db, copy)
        from quicknav_mcp.app import App
        from quicknav_mcp.config import load_config

        app = App.open(load_config(db=copy, roots=[root], env={}))
        started = time.perf_counter()
        record_usage(app, users=12, days=60, seed=seed, searches=args.searches)
        app.analytics.flush()
        trainable = SearchRankerTrainable(app.store, app.search)
        sessions = trainable.sessions()
        cache: dict = {}
        queries = labelled_queries(app, seed * 31 + 5, args.queries)
        train_labelled = labelled_queries(app, seed * 17 + 3, args.queries) if args.labelled else []
        # The firm's own labelled sets train only the models evaluated on the other firms.
        train_labelled += quality_queries(args.projects, seed) if args.labelled else []
        lab_rows = trainable.replay([], [(q, w) for _, q, w in train_labelled], lambda f, m: None, cache)
        groups: dict[str, tuple[list, list]] = {}
        for config in args.configs:
            labels, power = CONFIGS[config][:2]
            ltr.PROPENSITY_POWER = power
            if labels == "opened":
                train_rows, test_rows = opened_rows(trainable, sessions, cache)
            else:
                train_rows, test_rows = trainable.replay(sessions, [], lambda f, m: None, cache)
            groups[config] = (train_rows + test_rows + lab_rows[0] + lab_rows[1], test_rows)
        firms[seed] = {
            "app": app,
            "sessions": len(sessions),
            "groups": groups,
            "queries": queries + quality_queries(args.projects, seed),
            "prepare_seconds": round(time.perf_counter() - started, 1),
        }
        print(f"firm {seed}: {len(sessions)} sessions with an open, {len(queries)} held-out queries", file=sys.stderr)

    modes = ["hybrid", *(f"hybrid+learned[{c}]" for c in args.configs)]
    per_kind: dict[str, dict[str, list[float]]] = {}
    folds = []
    hand_rank = FEATURES.index("hand_rank")
    for held in args.seeds:
        fold: dict = {"held_out_firm": held, "held_out_sessions": {}}
        served: dict[str, ServedRanker] = {}
        for config in args.configs:
            intent, monotone = CONFIGS[config][2:]
            fit_params = constrained if monotone else params
            groups = [g for s in args.seeds if s != held for g in firms[s]["groups"][config][0]]
            if not intent:
                groups = [(without(x, new_columns), y, w) for x, y, w in groups]
            data = RankingSet.build(groups, params.max_candidates)
            fit_started = time.perf_counter()
            gbm = WithPrior(
                fit_lambdamart(data, fit_params, init_scores=WithPrior.init_scores(data.x, hand_rank, params.prior)),
                hand_rank,
                params.prior,
            )
            scorer = gbm if intent else Without(gbm, new_columns)
            test = RankingSet.build(firms[held]["groups"][config][1], params.max_candidates)
            fold["held_out_sessions"][config] = {
                "train_queries": len(data),
                "fit_seconds": round(time.perf_counter() - fit_started, 1),
                "learned": ranking_metrics(scorer.decision(test.x), test),
                "hand": ranking_metrics(-test.x[:, hand_rank].astype(float), test),
            }
            served[f"hybrid+learned[{config}]"] = ServedRanker(scorer, 0, FEATURES)
        app = firms[held]["app"]
        rows: dict[str, dict[str, list[float]]] = {}
        for kind, query, wanted in firms[held]["queries"]:
            for mode in modes:
                app.search.learned.source = Fixed(served[mode]) if mode in served else None
                ranked = ranked_paths(app, query)
                for bucket in (rows, per_kind):
                    cell = bucket.setdefault(kind, {})
                    for name, value in (
                        ("mrr", mrr(ranked, wanted)),
                        ("ndcg10", ndcg(ranked, wanted)),
                        ("recall5", recall5(ranked, wanted)),
                    ):
                        cell.setdefault(f"{mode}.{name}", []).append(value)
        app.search.learned.source = None
        fold["significantly_worse_on"] = {
            mode: sorted(k for k, cell in rows.items() if paired_loss(cell, mode)) for mode in modes[1:]
        }
        fold["kinds"] = {
            k: {m: round(float(np.mean(v)), 4) for m, v in cell.items()} | {"n": len(next(iter(cell.values())))}
            for k, cell in sorted(rows.items())
        }
        folds.append(fold)
        print(f"held-out firm {held}: {fold['held_out_sessions']}", file=sys.stderr)
    for f in firms.values():
        path = Path(f["app"].store.path)
        f["app"].close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def pooled(keys: list[str]) -> dict[str, float]:
        out: dict[str, float] = {}
        for mode in modes:
            for m in ("mrr", "ndcg10", "recall5"):
                vals = [v for k in keys for v in per_kind[k][f"{mode}.{m}"]]
                out[f"{mode}.{m}"] = round(float(np.mean(vals)), 4) if vals else 0.0
        return out

    generated = [k for k in per_kind if not k.startswith("quality/")]
    existing = [k for k in per_kind if k.startswith("quality/")]
    figures = {
        "seeds": args.seeds,
        "searches_per_firm": args.searches,
        "labelled_training": args.labelled,
        "configs": {
            c: dict(zip(("labels", "propensity_power", "intent_columns", "monotone"), CONFIGS[c], strict=True))
            for c in args.configs
        },
        "params": {"trees": params.trees, "depth": params.depth, "lr": params.learning_rate, "prior": params.prior},
        "sessions": {s: f["sessions"] for s, f in firms.items()},
        "by_kind": {
            k: {m: round(float(np.mean(v)), 4) for m, v in cell.items()} | {"n": len(next(iter(cell.values())))}
            for k, cell in sorted(per_kind.items())
        },
        "generated_kinds": pooled(generated),
        "existing_quality_sets": pooled(existing),
        "significantly_worse_on": {
            mode: sorted(k for k, cell in per_kind.items() if paired_loss(cell, mode)) for mode in modes[1:]
        },
        "held_out_sessions": {
            c: {
                "learned_ndcg10": round(
                    float(np.mean([f["held_out_sessions"][c]["learned"]["ndcg@10"] for f in folds])), 4
                ),
                "hand_ndcg10": round(float(np.mean([f["held_out_sessions"][c]["hand"]["ndcg@10"] for f in folds])), 4),
            }
            for c in args.configs
        },
        "folds": folds,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    emit("ltr_eval", figures)


if __name__ == "__main__":
    main()
