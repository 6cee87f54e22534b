"""Offline evaluation of recommendations and next-project prediction on the usage simulator.

For each seed: a planned firm (realistic names, clients and documents; nothing written to disk),
a simulated usage history, and a time split. Recommendations: Recall@10, NDCG@10 and coverage of
content, collaborative and hybrid against popularity, own frecency and team co-view (the hybrid's
weights are tuned on the validation week before the test week, inside each seed). Next project:
HR@1, HR@3 and MRR of the re-ranker against last-visited, frecency and first-order Markov, and of
the sequence-model candidate (a GRU, ``next_project_gru``) on the same held-out transitions, with
whether it beats the re-ranker (the registry promotes it only then).

Prints one JSON object per seed and a summary. The hybrid must beat every baseline on Recall@10,
and the predictor every baseline on HR@3, on every seed; the model's settings were developed on
seeds 1 and 2 only, so seeds 3+ are unseen.

    python bench/reco_eval.py --seeds 3 4 5 6
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import emit, peak_rss_mb

from quicknav_mcp.demo.plan import plan_firm
from quicknav_mcp.demo.usage import simulate, to_columns
from quicknav_mcp.predict.gru import train_next_project_gru
from quicknav_mcp.predict.train import train_next_project
from quicknav_mcp.recommend.evaluate import evaluate_recommender
from quicknav_mcp.services.corpus import ProjectText

END_MS = 1_760_000_000_000
REC_BASELINES = ("popularity", "own_frecency", "team_coview")
NEXT_BASELINES = ("last_visited", "frecency", "markov")


def one_seed(seed: int, projects: int, users: int, days: int, gru: bool = True) -> dict:
    started = time.monotonic()
    plan = plan_firm(projects, seed=seed)
    docs: dict[str, list[tuple[str, str]]] = {}
    names: dict[str, list[str]] = {}
    for f in plan.files:
        docs.setdefault(f.project, []).append((f.rel, f.family))
        names.setdefault(f.project, []).append(f.rel.rsplit("/", 1)[-1])
    records = plan.manifest.projects
    specs = [(r.code, r.client_name, r.title) for r in records]
    sim = simulate(specs, users=users, days=days, seed=seed, end_ms=END_MS, documents=docs)
    texts = {
        r.code: ProjectText(
            r.code, r.folder_name, r.client_abbr, [r.client_name], r.description, names.get(r.code, [])[:120]
        )
        for r in records
    }
    cols = to_columns(sim.events)
    rec = evaluate_recommender(cols, texts, seed=seed)
    _, nxt = train_next_project(cols, seed=seed)
    if gru:
        t = time.monotonic()
        _, g = train_next_project_gru(cols, seed=seed)
        nxt["gru"] = {k: g[k] for k in ("hr@1", "hr@3", "mrr")}
        nxt["gru"]["seconds"] = round(time.monotonic() - t, 1)
        nxt["gru_beats_reranker"] = g["beats_rival"] and g["rival"] == "reranker"
    a = rec["algorithms"]
    hybrid_wins = all(a["hybrid"]["recall@10"] > a[b]["recall@10"] for b in REC_BASELINES)
    next_wins = all(nxt["reranker"]["hr@3"] > nxt[b]["hr@3"] for b in NEXT_BASELINES)
    return {
        "seed": seed,
        "events": len(cols),
        "users": users,
        "projects": projects,
        "recommendations": a,
        "hybrid_weights": rec["weights"],
        "next_project": nxt,
        "hybrid_beats_every_baseline": hybrid_wins,
        "predictor_beats_every_baseline": next_wins,
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[3, 4, 5])
    ap.add_argument("--projects", type=int, default=300)
    ap.add_argument("--users", type=int, default=60)
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--no-gru", action="store_true", help="skip the sequence-model candidate")
    args = ap.parse_args()
    results = []
    for seed in args.seeds:
        r = one_seed(seed, args.projects, args.users, args.days, gru=not args.no_gru)
        results.append(r)
        emit("reco_eval_seed", r)

    def mean(path: list[str]) -> float:
        vals = []
        for r in results:
            v = r
            for p in path:
                v = v[p]
            vals.append(v)
        return round(sum(vals) / len(vals), 4)

    models = ("reranker", *NEXT_BASELINES, *(() if args.no_gru else ("gru",)))
    summary = {
        "seeds": args.seeds,
        "recall@10": {k: mean(["recommendations", k, "recall@10"]) for k in results[0]["recommendations"]},
        "ndcg@10": {k: mean(["recommendations", k, "ndcg@10"]) for k in results[0]["recommendations"]},
        "coverage": {k: mean(["recommendations", k, "coverage"]) for k in results[0]["recommendations"]},
        "hr@3": {k: mean(["next_project", k, "hr@3"]) for k in models},
        "hr@1": {k: mean(["next_project", k, "hr@1"]) for k in models},
        "mrr": {k: mean(["next_project", k, "mrr"]) for k in models},
        "gru_beats_reranker_on_seeds": [r["seed"] for r in results if r["next_project"].get("gru_beats_reranker")],
        "hybrid_beats_every_baseline_on_every_seed": all(r["hybrid_beats_every_baseline"] for r in results),
        "predictor_beats_every_baseline_on_every_seed": all(r["predictor_beats_every_baseline"] for r in results),
        "peak_rss_mb": peak_rss_mb(),
    }
    emit("reco_eval", summary)


if __name__ == "__main__":
    main()
