"""Vector search at 116,000 documents: the inverted-file index against the exact product.

On a copy of the cached 5,000-project search database (``bench_search.py`` builds it; 116k
documents with identity vectors, most of them synthetic: a real sample plus noise) and
``bench_search``'s 216 queries, embedded by the real model:

* ``index``: CPU seconds to build the shortlist index (principal directions + every row's head
  coordinates) and its size;
* ``knn``: CPU ms per query of the exact product and of the shortlist (``k`` = search's 100),
  and the recall of the index's top ``k`` against the exact top ``k`` for k = 100, 200, 300
  (project search), 1,000 (a filtered search's wide list), with the worst query's too, and how
  many queries get the same top 10 (ties are ordered by id, so equal answers are equal lists);
* ``hybrid``: ``search_documents(mode="hybrid")`` (query vectors cached) with the index and with
  the exact product, alternated query by query (6 processes share 2 cores here: compare the CPU
  figures, ``time.process_time``), and how many of the answers' top 10 are identical.

The matrix is int16 steps (``vector_index.FIXED_SCALE``), as the server holds it; ``--dtype
float32`` measures the full-precision matrix.

``--vectors FILE.npz`` (arrays ``ids`` and ``matrix``) replaces the identity vectors by those,
e.g. real embeddings of every document (synthetic vectors cluster worse than real ones: their
noise is isotropic, so they are the index's hard case).

    .venv/bin/python bench/bench_vectors.py [--vectors real.npz] [--only index,knn,hybrid]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, emit, peak_rss_mb, percentiles

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from quicknav_mcp.search import vectors
from quicknav_mcp.search.vector_index import Shortlist, to_storage

KS = (100, 200, 300, 1000)


def _cpu_ms(fn: Any) -> tuple[Any, float]:
    # Process time: numpy's BLAS may multiply on threads of its own.
    t0 = time.process_time()
    out = fn()
    return out, (time.process_time() - t0) * 1000


def knn(index: Any, queries: Any) -> dict[str, Any]:
    """Exact against probed: CPU per query and recall of the top k."""
    import numpy as np

    out: dict[str, Any] = {}
    exact_ms: list[float] = []
    probe_ms: list[float] = []
    for q in queries:  # alternate the two, query by query
        exact_ms.append(_cpu_ms(lambda q=q: index.search(q, 100, exact=True))[1])
        probe_ms.append(_cpu_ms(lambda q=q: index.search(q, 100))[1])
    out["exact_cpu_ms"] = percentiles(exact_ms)
    out["index_cpu_ms"] = percentiles(probe_ms)
    exact_top = [[i for i, _ in index.search(q, max(KS), exact=True)] for q in queries]
    for k in KS:
        recalls, same10 = [], 0
        for q, best in zip(queries, exact_top, strict=True):
            exact = best[:k]
            approx = [i for i, _ in index.search(q, k)]
            recalls.append(len(set(exact) & set(approx)) / max(len(exact), 1))
            same10 += exact[:10] == approx[:10]
        out[f"recall@{k}"] = {
            "mean": round(float(np.mean(recalls)), 4),
            "p5": round(float(np.percentile(recalls, 5)), 3),
            "min": round(min(recalls), 3),
            "top10_identical_share": round(same10 / len(queries), 3),
        }
    return out


def hybrid(app: App, queries: list[str]) -> dict[str, Any]:
    """search_documents(hybrid) with the index and exact, alternated; CPU and wall ms."""
    s = app.search
    index = s.semantic.doc_vectors
    run = lambda q: s.search_documents(q, mode="hybrid", limit=10, include_facets=False)  # noqa: E731
    for q in queries:
        run(q)  # query vectors cached, caches warm
    samples: dict[str, list[float]] = {k: [] for k in ("index", "exact", "index_wall", "exact_wall")}
    same = 0
    for q in queries:
        answers = {}
        for name, approximate in (("index", True), ("exact", False)):
            index.approximate = approximate
            w0 = time.perf_counter()
            res, cpu = _cpu_ms(lambda q=q: run(q))
            samples[f"{name}_wall"].append((time.perf_counter() - w0) * 1000)
            samples[name].append(cpu)
            answers[name] = [h.id for h in res.documents]
        same += answers["index"] == answers["exact"]
    index.approximate = True
    return {
        "cpu_ms": {k: percentiles(v) for k, v in samples.items() if not k.endswith("wall")},
        "wall_ms": {k: percentiles(v) for k, v in samples.items() if k.endswith("wall")},
        "top10_identical_share": round(same / len(queries), 3),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path, default=OUT / "search-5000.db")
    ap.add_argument("--vectors", type=Path, help="npz with ids and matrix: the identity vectors to use")
    ap.add_argument("--queries", type=int, default=216)
    ap.add_argument("--only", default="index,knn,hybrid")
    ap.add_argument("--dtype", choices=("int16", "float32"), default="int16")
    args = ap.parse_args()
    vectors.HALF_PRECISION = args.dtype == "int16"
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    only = set(args.only.split(","))
    from bench_search import make_queries

    work = Path(tempfile.mkdtemp(prefix="bench-vectors-", dir=OUT))
    db = work / "search.db"
    for suffix in ("", "-wal"):
        if Path(f"{args.db}{suffix}").exists():
            shutil.copyfile(f"{args.db}{suffix}", f"{db}{suffix}")
    figures: dict[str, Any] = {}
    try:
        app = App.open(load_config(db=db, env={}))
        s = app.search
        texts = [q for _, q in make_queries(app, args.queries)]
        if not s.semantic.ready():
            emit("vectors", {"skipped": "no embedding model or no vectors"})
            return
        index = s.semantic.doc_vectors
        s.semantic.refresh_documents()
        if args.vectors:
            import numpy as np

            held = np.load(args.vectors)
            index.replace(held["ids"].tolist(), to_storage(held["matrix"], args.dtype), s.embedder.name)
            figures["vectors"] = str(args.vectors)
        built = index.index_now()
        matrix = index._view[0]
        t0 = time.process_time()
        shortlist = Shortlist.build(matrix)
        figures["rows"] = len(index)
        figures["dtype"] = str(matrix.dtype)
        figures["index"] = {
            "built_in_search": built,
            "build_cpu_s": round(time.process_time() - t0, 2),
            "directions": shortlist.head.shape[1],
            "shortlist_k100": shortlist.size(100),
            "shortlist_k1000": shortlist.size(1000),
            "mb": round(shortlist.nbytes / 2**20, 1),
            "matrix_mb": round(matrix.nbytes / 2**20, 1),
        }
        del shortlist
        queries = [s.semantic.query_vector(t) for t in texts]
        if "knn" in only:
            figures["knn"] = knn(index, queries)
        if "hybrid" in only:
            figures["hybrid"] = hybrid(app, texts)
        figures["peak_rss_mb"] = peak_rss_mb()
        app.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    emit("vectors", figures)


if __name__ == "__main__":
    main()
