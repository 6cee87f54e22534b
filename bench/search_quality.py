"""Search quality: MRR, nDCG@10 and recall@5 per kind of request, for each retrieval mode.

Labelled queries come from two places:

* the demo firm (``generate_firm(projects=40, seed=7, content=True)``): ground truth from the
  generator's manifest and plan (project codes, client names, site addresses, current designs,
  change orders, Sales & PO reports, each file's family) — never from QuickNav's own parser;
* the real-corpus tree built from ``shared/corpus/real_paths.txt`` (skipped when absent):
  ground truth from regular expressions over the catalogue paths and hand-checked client names.

The original sets (codes, names, families, revisions…) are kept as they were; bench/quality_sets.py
adds requests phrased the way assistants pass them on (>= 100 over the demo firm in three phrasing
seeds, >= 30 hand-labelled over the real corpus), requests naming no kind of document (a title's
words and where it is: ``assistant no kind``), misspelt requests and paraphrased project descriptions.

Each query is run through ``SearchService.search_projects`` or ``search_documents`` in every mode
of :data:`MODES` (retrieval differs; query understanding and re-ranking are shared). Prints one
JSON object: overall metrics per mode, MRR / nDCG@10 / recall@5 per kind (``corpus/category``) per
mode, the query-parsing time, whether hybrid beats each single mode, and the queries where hybrid
still fails (nDCG@10 < 0.5). Mode ``hybrid+learned`` is hybrid re-ranked by the learned ranker as the
product trains it (on other phrasing seeds; :func:`learned_mode`, with the trainer's promotion
decision), and ``learned_vs_hybrid_by_kind`` compares it with hybrid per kind by the paired test
the promotion uses (per-query differences; which kinds it is significantly worse on).

recall@5 counts the relevant documents in the first five over at most five (a request whose
answer exists in three copies is fully recalled by three).

Two runs on the same databases give the same figures: answers are ranked at one instant
(:data:`RANKED_AT`), and nothing they depend on follows a process's string hashing.

Another ranking mode (a learned re-ranker, say) is added by putting an entry in :data:`MODES`:
a name and a function ``(app, query) -> ranked keys`` (project codes or root-relative paths).

    .venv/bin/python bench/search_quality.py [--projects 40] [--out bench/out/search_quality.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import OUT, emit, frozen_clock, percentiles
from quality_sets import (
    Labelled,
    demo_assistant,
    demo_kindless,
    demo_paraphrase,
    demo_two_typos,
    demo_typos,
    real_sets,
)

from quicknav_mcp.app import App
from quicknav_mcp.config import EMBED_PRECISIONS, load_config
from quicknav_mcp.search.query import parse_query
from quicknav_mcp.search.text import tokens

K = 10
METRICS = ("mrr", "ndcg10", "recall5")
RANKED_AT = 1_796_083_200.0
"""2026-12-01 00:00 UTC: every answer is ranked at this instant (recency boosts, the learned ranker's
document ages), the day the figures were first recorded at a fixed one; before, they moved with the clock."""

# --------------------------------------------------------------------------- metrics


def ndcg(ranked: list[str], relevant: set[str], k: int = K) -> float:
    dcg = sum(1 / math.log2(i + 2) for i, r in enumerate(ranked[:k]) if r in relevant)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(len(relevant), k)))
    return dcg / ideal if ideal else 0.0


def mrr(ranked: list[str], relevant: set[str]) -> float:
    for i, r in enumerate(ranked):
        if r in relevant:
            return 1 / (i + 1)
    return 0.0


def recall(ranked: list[str], relevant: set[str], k: int = 5) -> float:
    """Relevant results in the first ``k`` over at most ``k``."""
    return len(set(ranked[:k]) & relevant) / min(len(relevant), k) if relevant else 0.0


# --------------------------------------------------------------------------- labelled sets


_STREET = re.compile(r"(\d+ [A-Za-z ]+?(?:Street|Road|Avenue|Terrace|Drive|Parade|Highway|Lane|Place))")


def _typo(word: str, rng: random.Random) -> str:
    """Swap two neighbouring letters inside the longest word (a typical typing slip)."""
    parts = word.split()
    i = max(range(len(parts)), key=lambda j: len(parts[j]))
    w = parts[i]
    if len(w) >= 5:
        j = rng.randrange(1, len(w) - 2)
        w = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    parts[i] = w
    return " ".join(parts)


def demo_queries(projects: int, seed: int) -> list[Labelled]:
    from quicknav_mcp.demo.plan import plan_firm

    plan = plan_firm(projects, seed)
    man = plan.manifest
    rng = random.Random(1)
    recs = man.projects
    by_client: dict[str, set[str]] = {}
    for r in recs:
        by_client.setdefault(r.client_name, set()).add(r.code)
    files_by_project: dict[str, list] = {}
    for f in plan.files:
        files_by_project.setdefault(f.project, []).append(f)
    out: list[Labelled] = []
    sample = rng.sample(recs, min(len(recs), 12))

    for r in sample[:6]:
        out.append(Labelled("demo", "exact code", "projects", r.code, {r.code}))
    for r in sample[6:9]:
        out.append(Labelled("demo", "glued code", "projects", f"PAVS{r.code}", {r.code}))
    for r in sample[:6]:
        words = [w for w in r.title.replace("&", " ").replace("-", " ").split() if len(w) > 2][:3]
        q = " ".join(words).lower()
        rel = {p.code for p in recs if all(t in tokens(p.title) for t in tokens(q))}
        out.append(Labelled("demo", "partial name", "projects", q, rel))
    clients = [c for c in by_client if len(c) >= 6]
    rng.shuffle(clients)
    for c in clients[:6]:
        out.append(Labelled("demo", "typo", "projects", _typo(c, rng).lower(), by_client[c]))
    for c in clients[6:11]:
        out.append(Labelled("demo", "client full name", "projects", c, by_client[c]))
    for r in sample[:5]:
        m = _STREET.search(r.site_address)
        if not m:
            continue
        q = m.group(1)
        rel = {p.code for p in recs if q in p.site_address}
        out.append(Labelled("demo", "content phrase", "projects", q, rel))

    with_designs = [r for r in recs if r.designs]
    rng.shuffle(with_designs)
    for r in with_designs[:6]:
        as_built = [d.current for d in r.designs if d.as_built]
        if as_built:
            out.append(Labelled("demo", "family + project", "documents", f"{r.code} as built design", set(as_built)))
        else:
            out.append(
                Labelled(
                    "demo", "family + project", "documents", f"{r.code} latest design", {d.current for d in r.designs}
                )
            )
    revs = []
    for r in with_designs:
        for f in files_by_project.get(r.code, []):
            if f.family == "lld" and (f.meta.get("rev") or 0) > 0 and "System Designs" in f.rel:
                revs.append((r.code, f.meta["rev"]))
    rng.shuffle(revs)
    seen = set()
    for code, rev in revs:
        if (code, rev) in seen or len(seen) >= 5:
            continue
        seen.add((code, rev))
        rel = {f.rel for f in files_by_project[code] if f.family == "lld" and f.meta.get("rev") == rev}
        out.append(Labelled("demo", "revision", "documents", f"{code} rev {rev}", rel))
    cos = [(r.code, k, v) for r in recs for k, v in r.change_orders.items()]
    rng.shuffle(cos)
    for code, k, paths in cos[:6]:
        out.append(Labelled("demo", "change order", "documents", f"CO{k} {code}", set(paths)))
    with_po = [r for r in recs if r.sales_po_current]
    rng.shuffle(with_po)
    for r in with_po[:5]:
        out.append(Labelled("demo", "sales po", "documents", f"{r.code} sales po report", {r.sales_po_current}))

    def family_files(code: str, family: str) -> set[str]:
        return {f.rel for f in files_by_project.get(code, []) if f.family == family}

    para = [
        ("swms", "safety method statement for the {client} {short} job"),
        ("supplier_quotes", "supplier quotation for project {code}"),
        ("qa_itp", "commissioning test results for {client} {short}"),
        ("floor_plans", "where is the floor layout for {title}"),
        ("handover", "who handed over the {client} {short} project to delivery"),
    ]
    for family, template in para:
        cands = [r for r in recs if family_files(r.code, family)]
        rng.shuffle(cands)
        for r in cands[:3]:
            short = " ".join(r.title.split()[:2])
            q = template.format(client=r.client_name, short=short, code=r.code, title=r.title)
            out.append(Labelled("demo", "paraphrase", "documents", q, family_files(r.code, family)))
    for r in with_designs[6:9]:
        m = _STREET.search(r.site_address)
        if m:
            out.append(
                Labelled(
                    "demo",
                    "content phrase",
                    "documents",
                    f"system design drawings for {m.group(1)}",
                    {d.current for d in r.designs},
                )
            )
    return out


def real_queries(lines: list[str]) -> list[Labelled]:
    projects: dict[str, str] = {}
    for ln in lines:
        parts = ln.split("/")
        if len(parts) > 2:
            projects.setdefault(parts[2][:5], parts[2])
    out: list[Labelled] = []
    for code in sorted(projects)[:8]:
        out.append(Labelled("real", "exact code", "projects", code, {code}))
    for q, code in (
        ("Poolwerx", "21614"),
        ("Spotless", "20692"),
        ("Volvo", "20699"),
        ("Saab hearing loop", "18810"),
        ("Ingenia club house", "20797"),
        ("Neoen", "20381"),
        ("Gallagher Bassett audit", "17742"),
    ):
        out.append(Labelled("real", "client full name", "projects", q, {code}))
    for q, code in (
        ("poolwrex", "21614"),
        ("spotles", "20692"),
        ("ingenai victoria point", "20797"),
        ("galager bassett", "17742"),
    ):
        out.append(Labelled("real", "typo", "projects", q, {code}))

    def docs(pattern: str, code: str | None = None) -> set[str]:
        rx = re.compile(pattern, re.I)
        return {ln for ln in lines if (code is None or f"/{code} - " in ln) and rx.search(ln.rsplit("/", 1)[-1])}

    out.append(Labelled("real", "room", "documents", "17741 room 12", docs(r"(?:\bR ?12\b|Room ?12\b)", "17741")))
    out.append(Labelled("real", "room", "documents", "17741 R5", docs(r"(?:\bR ?0?5\b|Room ?0?5\b)", "17741")))
    for code in ("21614", "20692", "20865"):
        out.append(Labelled("real", "family + project", "documents", f"{code} as built", docs(r"as[\s-]?built", code)))
    for k, code in ((4, "20692"), (3, "17741"), (15, "17741")):
        out.append(
            Labelled(
                "real",
                "change order",
                "documents",
                f"CO{k} {code}",
                docs(rf"(?:\bCO ?{k}\b|Change[ +]Order[ +]{k}\b)", code),
            )
        )
    out.append(Labelled("real", "sales po", "documents", "21614 sales po report", docs(r"sales & po", "21614")))
    out.append(Labelled("real", "revision", "documents", "20692 rev 102", docs(r"rev ?(?:102|1\.02)\b", "20692")))
    return [q for q in out if q.relevant]


# --------------------------------------------------------------------------- running


def prepare(db: Path, root: Path, *, embed: bool = True, precision: str = "auto") -> App:
    """``precision``: the embedding worker's arithmetic (QUICKNAV_EMBED_PRECISION)."""
    app = App.open(load_config(db=db, roots=[root], env={}, embed_precision=precision))
    app.indexing.reindex()
    t0 = time.perf_counter()
    report = app.search.index_content(extract=True, embed=embed, workers=2)
    print(f"prepared {db.name}: {report} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    app.search.project_search.wait_ready(600)  # summaries and postings, built in the background
    return app


Runner = Callable[[App, Labelled, str], list[str]]
"""A mode: (app, labelled query, root prefix) -> ranked keys (project codes or root-relative paths)."""


def _searcher(mode: str) -> Runner:
    def run(app: App, q: Labelled, prefix: str) -> list[str]:
        if q.target == "projects":
            res = app.search.search_projects(q.query, limit=20, mode=mode, include_facets=False)
            return [p.project_number for p in res.projects]
        res = app.search.search_documents(q.query, limit=20, mode=mode, include_facets=False)
        return [d.path[len(prefix) :] if d.path.startswith(prefix) else d.path for d in res.documents]

    return run


MODES: dict[str, Runner] = {
    "lexical": _searcher("lexical"),
    "vector": _searcher("semantic"),
    "hybrid": _searcher("hybrid"),
}
"""Every mode measured; :func:`learned_mode` adds ``"hybrid+learned"`` (same signature)."""

TRAIN_SEEDS = (11, 12, 13)
"""Phrasing seeds of the learned ranker's training requests: never those of the evaluated sets."""


def learned_mode(app: App, plan) -> tuple[Runner, dict]:
    """``hybrid+learned``: hybrid search re-ranked by the learned ranker as the product trains it
    (``ml.ltr.SearchRankerTrainable.train``: LambdaMART from the hand-weighted order, a fifth held
    out) on labelled requests of the demo firm generated with other seeds than the evaluated ones
    (:data:`TRAIN_SEEDS`: the assistant and kind-less phrasings of ``quality_sets`` and the usage
    simulator's phrasings), served as the search ranker serves a stored version; and what the training measured,
    with its promotion decision (``beats_rival``, the kinds it is significantly worse on)."""
    from ltr_eval import Fixed, labelled_queries

    from quicknav_mcp.ml.lambdamart import CompleteTrees, WithPrior
    from quicknav_mcp.ml.ltr import SearchRankerTrainable
    from quicknav_mcp.predict.gbm import ArrayGBM
    from quicknav_mcp.search.learned import ServedRanker

    sets = (
        demo_assistant(plan, seeds=TRAIN_SEEDS)
        + demo_kindless(plan, seeds=TRAIN_SEEDS)
        + demo_typos(plan, seeds=(7, 8))
    )
    training = [(q.query, set(q.relevant), q.category) for q in sets if q.target == "documents"]
    training += [(q, w, k) for seed in TRAIN_SEEDS for k, q, w in labelled_queries(app, 1000 + seed, 60)]
    trainable = SearchRankerTrainable(app.store, app.search, labelled=lambda: training)
    trainable.sessions = lambda: []  # type: ignore[method-assign]  # labelled requests only: no usage here
    result = trainable.train(lambda f, m: None)
    params = result.params
    trees = ArrayGBM.from_arrays(result.arrays)
    gbm = WithPrior(CompleteTrees(trees), params["features"].index("hand_rank"), params["prior"])
    m = result.metrics
    fit = {
        "training_requests": len(training),
        "held_out_fifth": {
            "learned": {k: m[k] for k in ("ndcg@10", "mrr")},
            "hand": {k: m[f"hand_ranker.{k}"] for k in ("ndcg@10", "mrr")},
        },
        "would_be_promoted": m["beats_rival"],
        "significantly_worse_on": m["loses_on"],
        "held_out_kinds": {
            k: {x: v[x] for x in ("queries", "mrr", "hand_ranker.mrr", "ndcg@10", "hand_ranker.ndcg@10", "loses")}
            for k, v in m["labelled_kinds"].items()
        },
    }
    source = Fixed(ServedRanker(gbm, 0, tuple(params["features"])))
    hybrid = _searcher("hybrid")

    def run(app_: App, q: Labelled, prefix_: str) -> list[str]:
        app_.search.learned.source = source
        try:
            return hybrid(app_, q, prefix_)
        finally:
            app_.search.learned.source = None

    return run, fit


def learned_paired(rows: list[dict]) -> dict:
    """Per kind, hybrid + learned against hybrid on the same queries: the paired test the
    promotion uses (``ml.paired``), on MRR and nDCG@10; kinds of one query are left out."""
    from quicknav_mcp.ml.paired import paired_test

    out: dict = {}
    for key in sorted({(r["corpus"], r["category"]) for r in rows}):
        sel = [r for r in rows if (r["corpus"], r["category"]) == key and r["target"] == "documents"]
        if len(sel) < 2:
            continue
        tests = {m: paired_test([r["hybrid+learned"][m] - r["hybrid"][m] for r in sel]) for m in ("mrr", "ndcg10")}
        out[f"{key[0]}/{key[1]}"] = {
            "n": len(sel),
            **{f"{m}_diff": round(t.mean, 4) for m, t in tests.items()},
            "wins": tests["ndcg10"].wins,
            "losses": tests["ndcg10"].losses,
            "p_loss": min(t.p_loss for t in tests.values()),
            "significant_loss": any(t.significant_loss for t in tests.values()),
        }
    return out


def evaluate(app: App, root: Path, queries: list[Labelled]) -> list[dict]:
    rows = []
    prefix = str(root).rstrip("/") + "/"
    for q in queries:
        row = {
            "corpus": q.corpus,
            "category": q.category,
            "target": q.target,
            "query": q.query,
            "relevant": len(q.relevant),
        }
        for mode, run in MODES.items():
            ranked = run(app, q, prefix)
            row[mode] = {
                "ndcg10": round(ndcg(ranked, q.relevant), 4),
                "mrr": round(mrr(ranked, q.relevant), 4),
                "recall5": round(recall(ranked, q.relevant), 4),
                "top": ranked[:3],
            }
        rows.append(row)
    return rows


def parse_times(queries: list[Labelled], rounds: int = 5) -> dict[str, float]:
    """Time to understand each request (parse_query), in ms, over ``rounds`` passes."""
    samples = []
    for _ in range(rounds):
        for q in queries:
            t0 = time.perf_counter()
            parse_query(q.query)
            samples.append((time.perf_counter() - t0) * 1000)
    return percentiles(samples)


def summarise(rows: list[dict]) -> dict:
    def mean(vals: list[float]) -> float:
        return round(sum(vals) / len(vals), 4) if vals else 0.0

    summary: dict = {}
    for mode in MODES:
        summary[mode] = {m: mean([r[mode][m] for r in rows]) for m in METRICS}
    kinds: dict[str, dict] = {}
    for key in sorted({(r["corpus"], r["category"]) for r in rows}):
        sel = [r for r in rows if (r["corpus"], r["category"]) == key]
        kinds[f"{key[0]}/{key[1]}"] = {
            "n": len(sel),
            **{mode: {m: mean([r[mode][m] for r in sel]) for m in METRICS} for mode in MODES},
        }
    summary["by_kind"] = kinds
    return summary


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=40)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "out" / "search_quality.json"))
    ap.add_argument("--precision", default="auto", choices=EMBED_PRECISIONS, help="QUICKNAV_EMBED_PRECISION")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from quicknav_mcp.demo.firm import generate_firm

    t0 = time.perf_counter()
    rows: list[dict] = []
    corpora: dict[str, dict] = {}
    root = OUT / f"quality-firm-{args.projects}-{args.seed}"
    root.mkdir(parents=True, exist_ok=True)
    generate_firm(root, projects=args.projects, seed=args.seed, content=True)
    app = prepare(OUT / f"quality-firm-{args.projects}-{args.seed}.db", root, precision=args.precision)
    from quicknav_mcp.demo.plan import plan_firm

    plan = plan_firm(args.projects, args.seed)
    demo = demo_queries(args.projects, args.seed)
    demo += (
        demo_assistant(plan)
        + demo_kindless(plan)
        + demo_typos(plan)
        + demo_two_typos(plan, seeds=(1, 2, 3))
        + demo_paraphrase(plan)
    )
    # Ranked at one instant: document ages (a recency boost, a feature of the learned ranker) moved
    # with the clock, and with them the learned ranker's training and a few answers from run to run.
    with frozen_clock(RANKED_AT):
        MODES["hybrid+learned"], fit = learned_mode(app, plan)
        rows += evaluate(app, root, demo)
    corpora["demo"] = {"queries": len(demo), "documents": app.indexing.status().documents, "learned_fit": fit}
    asked = list(demo)
    app.close()

    from tests.conftest import corpus_file

    path = corpus_file()
    if path is None:
        corpora["real"] = {"skipped": "real_paths.txt not found"}
    else:
        from quicknav_mcp.demo.corpus_tree import build_corpus_tree

        lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]
        real_root = OUT / "quality-real"
        if not (real_root / "Project Folders").is_dir():
            real_root.mkdir(parents=True, exist_ok=True)
            build_corpus_tree(lines, real_root)
        app = prepare(OUT / "quality-real.db", real_root, precision=args.precision)
        real = real_queries(lines) + real_sets(lines)
        asked += real
        with frozen_clock(RANKED_AT):
            rows += evaluate(app, real_root, real)
        corpora["real"] = {"queries": len(real), "documents": app.indexing.status().documents}
        app.close()

    summary = summarise(rows)
    hybrid = summary["hybrid"]["ndcg10"]
    single = [m for m in MODES if m in ("lexical", "vector")]
    failures = [
        {
            "query": r["query"],
            "corpus": r["corpus"],
            "category": r["category"],
            "ndcg10": r["hybrid"]["ndcg10"],
            "top": r["hybrid"]["top"],
        }
        for r in rows
        if r["hybrid"]["ndcg10"] < 0.5
    ]
    worse = [
        {
            "query": r["query"],
            "category": r["category"],
            "hybrid": r["hybrid"]["ndcg10"],
            "best_single": max(r[m]["ndcg10"] for m in single),
        }
        for r in rows
        if r["hybrid"]["ndcg10"] + 1e-9 < max(r[m]["ndcg10"] for m in single)
    ]
    figures = {
        "queries": len(rows),
        "corpora": corpora,
        **{mode: summary[mode] for mode in MODES},
        "hybrid_beats_lexical": hybrid > summary["lexical"]["ndcg10"],
        "hybrid_beats_vector": hybrid > summary["vector"]["ndcg10"],
        "by_kind": summary["by_kind"],
        "learned_vs_hybrid_by_kind": (paired := learned_paired(rows)),
        "learned_significantly_worse_on": [k for k, v in paired.items() if v["significant_loss"]],
        "parse_ms": parse_times(asked),
        "hybrid_failures": failures,
        "hybrid_worse_than_a_single_mode": worse,
        "seconds": round(time.perf_counter() - t0, 1),
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"summary": figures, "rows": rows}, indent=1), encoding="utf-8")
    emit("search_quality", figures)


if __name__ == "__main__":
    main()
