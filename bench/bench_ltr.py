"""What the learned ranker adds to a document search: features + tree ensemble + re-sort.

A model of the default shape (``LambdaMARTParams``: 80 trees of depth 3, scored as
``CompleteTrees`` as serving does) is fitted on labelled
queries of a demo firm, then broad queries (100-200+ candidates each) are searched with the
learned ranker serving; the hook's own time is measured around each call (wall and thread CPU
time: the machine is shared, CPU time is the steadier figure), and the whole search is timed
with the hook on and off, alternating. Prints one JSON object.

    .venv/bin/python bench/bench_ltr.py [--seed 7] [--rounds 20]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import emit, percentiles
from ltr_eval import Fixed, labelled_queries
from paraphrase_eval import prepared_app

BROAD = ("design", "report", "room", "level", "drawings", "swms", "change order", "proposal", "handover", "floor plan")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=40)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from quicknav_mcp.ml.lambdamart import CompleteTrees, LambdaMARTParams, RankingSet, WithPrior, fit_lambdamart
    from quicknav_mcp.ml.ltr import SearchRankerTrainable
    from quicknav_mcp.search.features import FEATURES
    from quicknav_mcp.search.learned import MAX_CANDIDATES, LearnedRanker, ServedRanker

    app, _ = prepared_app(args.projects, args.seed)
    params = LambdaMARTParams()
    trainable = SearchRankerTrainable(app.store, app.search)
    labelled = [(q, w) for _, q, w in labelled_queries(app, 99, 150)]
    train, test = trainable.replay([], labelled, lambda f, m: None)
    data = RankingSet.build(train + test, params.max_candidates)
    hand_rank = FEATURES.index("hand_rank")
    gbm = fit_lambdamart(data, params, init_scores=WithPrior.init_scores(data.x, hand_rank, params.prior))
    source = Fixed(ServedRanker(WithPrior(CompleteTrees(gbm), hand_rank, params.prior), 0, FEATURES))  # as served

    learned = app.search.learned
    hook_wall: list[float] = []
    hook_cpu: list[float] = []
    sizes: list[int] = []
    original = LearnedRanker.rerank

    def timed(self, ranked, *rest):
        w0, c0 = time.perf_counter(), time.thread_time()
        out = original(self, ranked, *rest)
        if self.source is None:  # the hand-only runs: nothing to measure
            return out
        hook_cpu.append((time.thread_time() - c0) * 1000)
        hook_wall.append((time.perf_counter() - w0) * 1000)
        sizes.append(min(len(ranked), MAX_CANDIDATES))
        return out

    learned.rerank = timed.__get__(learned)  # type: ignore[method-assign]
    for q in BROAD:  # warm: vectors, caches, the first model call
        learned.source = source
        app.search.search_documents(q, limit=20, include_facets=False)
    hook_wall.clear()
    hook_cpu.clear()
    sizes.clear()
    on_ms: list[float] = []
    off_ms: list[float] = []
    for _ in range(args.rounds):
        for q in BROAD:
            for mode, bucket in (("on", on_ms), ("off", off_ms)):
                learned.source = source if mode == "on" else None
                c0 = time.thread_time()
                app.search.search_documents(q, limit=20, include_facets=False)
                bucket.append((time.thread_time() - c0) * 1000)
    emit(
        "ltr",
        {
            "model": {"trees": int(gbm.feature.shape[0]), "depth": gbm.depth, "features": len(FEATURES)},
            "candidates_scored": {"min": min(sizes), "median": sorted(sizes)[len(sizes) // 2], "max": max(sizes)},
            "hook_wall": percentiles(hook_wall),
            "hook_cpu": percentiles(hook_cpu),
            "search_cpu_with_learned": percentiles(on_ms),
            "search_cpu_hand_only": percentiles(off_ms),
        },
    )
    app.close()


if __name__ == "__main__":
    main()
