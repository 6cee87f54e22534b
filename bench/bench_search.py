"""Search latency and index cost at 100,000 documents / 5,000 projects (targets: lexical p95 <= 20 ms,
hybrid p95 <= 50 ms including the query embedding, suggest p95 <= 5 ms).

The firm is ``generate_firm(projects=5000, content=False)`` indexed by the filesystem indexer
(the FTS triggers run during that scan, so its time includes keeping the search index in sync).
Embedding all 100k documents on 2 CPU cores takes far longer than a benchmark should, so a
sample of ``--embed-sample`` documents is embedded for real (that is the throughput figure) and
the rest of the vector table is filled with the sample's vectors plus noise, marked as such in
the output: vector search cost depends on how many vectors there are, not on their values.
Text extraction throughput is measured on a sample too (the firm's files are title-only).

The search service keeps the embeddings of recent query texts (pagination and retyped queries are
embedded once), and the 300 benchmark queries repeat some texts; so hybrid search is timed twice:
as a user would see it, and with that cache emptied before every query
(``hybrid_search_documents_no_query_vector_cache``: every query pays its ~7 ms embedding).

    .venv/bin/python bench/bench_search.py [--projects 5000] [--queries 300] [--embed-sample 2000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, emit, firm, peak_rss_mb, percentiles

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config


def _timed(fn, inputs) -> dict[str, float]:
    for value in inputs[:5]:
        fn(value)  # warm caches (vocabulary, suggest index, vector matrix, model)
    samples = []
    for value in inputs:
        t0 = time.perf_counter()
        fn(value)
        samples.append((time.perf_counter() - t0) * 1000)
    return percentiles(samples)


def _fill_vectors(app: App, model: str) -> int:
    """Give every not-yet-embedded document a vector derived from the real sample (see module doc)."""
    import numpy as np

    from quicknav_mcp.repo import vectors

    store = app.store
    rows = store.query(
        "SELECT v.embedding FROM embedding_state s JOIN vec_documents v ON v.rowid = s.doc_id LIMIT 5000"
    )
    base = np.vstack([np.frombuffer(r[0], dtype=np.float32) for r in rows])
    todo = [
        r[0]
        for r in store.query(
            "SELECT d.id FROM documents d LEFT JOIN embedding_state s ON s.doc_id = d.id WHERE s.doc_id IS NULL"
        )
    ]
    rng = np.random.default_rng(7)
    seq = store.query_one("SELECT coalesce(max(seq), 0) + 1 FROM embedding_state")[0]
    for start in range(0, len(todo), 5000):
        ids = todo[start : start + 5000]
        vecs = base[rng.integers(0, len(base), len(ids))] + rng.normal(0, 0.05, (len(ids), base.shape[1]))
        vecs = (vecs / np.linalg.norm(vecs, axis=1, keepdims=True)).astype(np.float32)
        with store.transaction() as conn:
            vectors.write_vectors(conn, "vec_documents", ids, vecs)
            conn.executemany(
                "INSERT INTO embedding_state (doc_id, sig, model, seq) VALUES (?, 'synthetic', ?, ?)",
                [(i, model, seq) for i in ids],
            )
    return len(todo)


def _size(store, like: str) -> int | None:
    try:
        row = store.query_one("SELECT sum(pgsize) FROM dbstat WHERE name LIKE ?", (like,))
        return int(row[0] or 0)
    except Exception:
        return None


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=5000)
    ap.add_argument("--queries", type=int, default=300)
    ap.add_argument("--embed-sample", type=int, default=2000)
    ap.add_argument("--extract-sample", type=int, default=2000)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    root = firm(args.projects)
    db = OUT / f"search-{args.projects}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    app = App.open(load_config(db=db, roots=[root], env={}))
    t0 = time.perf_counter()
    app.indexing.reindex()
    index_s = time.perf_counter() - t0
    status = app.indexing.status()
    figures: dict = {
        "projects": status.projects,
        "documents": status.documents,
        "scan_with_fts_triggers_s": round(index_s, 1),
    }

    t0 = time.perf_counter()
    ext = app.search.index_content(extract=True, embed=False, workers=2, max_docs=args.extract_sample)["extract"]
    figures["extraction_sample"] = {
        "docs": ext["processed"],
        "docs_per_s": round(ext["processed"] / ext["seconds"], 1) if ext["seconds"] else None,
        "workers": 2,
    }

    from quicknav_mcp.indexers.embed import EmbedWorker

    worker = EmbedWorker(app.store, app.search.embedder, batch_size=64)
    app.search.embedder.load()
    t0 = time.perf_counter()
    rep = worker.run(max_docs=args.embed_sample, require_content=False)
    figures["embedding"] = {
        "sampled_docs": rep.documents,
        "docs_per_s": round(rep.documents / rep.seconds, 1) if rep.seconds else None,
        "threads": os.environ.get("QUICKNAV_EMBED_THREADS", "1"),
        "text": "file name + folders + project + family (+ up to 1,200 chars of content when extracted), 128 tokens",
        "full_estimate_min": round(status.documents / (rep.documents / rep.seconds) / 60, 1) if rep.seconds else None,
    }
    filled = _fill_vectors(app, app.search.embedder.name)
    worker.run_projects()
    figures["vectors"] = {"real": rep.documents, "synthetic_fill": filled}
    t0 = time.perf_counter()
    app.search.doc_vectors.refresh(app.search.embedder.name)
    figures["vector_cache_load_s"] = round(time.perf_counter() - t0, 2)

    rng = random.Random(5)
    projects = app.projects.all()
    clients = sorted({n for p in projects for n in p.client_names}) or ["Downer"]
    words = [
        "hearing loop",
        "boardroom",
        "training room",
        "projector replacement",
        "meeting room upgrade",
        "level 3",
        "crestron",
        "floor plan",
        "swms",
        "sales po report",
        "as built",
        "rack elevation",
    ]
    typos = ["poolwrex", "dwoner", "glendael", "hutchinsn builders", "brdigewater"]
    queries = []
    for _ in range(args.queries):
        p = rng.choice(projects)
        queries.append(
            rng.choice(
                [
                    f"{p.code} as built design",
                    f"CO{rng.randint(1, 6)} {p.code}",
                    rng.choice(clients),
                    f"{rng.choice(clients)} {rng.choice(words)}",
                    rng.choice(words),
                    rng.choice(typos),
                    f"{p.code} sales po report",
                    f"{p.code} rev 10{rng.randint(0, 4)}",
                    "safety statement for working at heights",
                ]
            )
        )
    prefixes = [
        rng.choice([p.code[: rng.randint(2, 4)], p.name.split(" - ", 1)[-1][:4], rng.choice(clients)[:3]])
        for p in rng.sample(projects, min(len(projects), 1000))
    ]
    s = app.search
    figures["lexical_search_documents"] = _timed(lambda q: s.search_documents(q, mode="lexical"), queries)
    figures["hybrid_search_documents"] = _timed(lambda q: s.search_documents(q, mode="hybrid"), queries)

    def hybrid_cold(q: str):  # every query embedded again (the service keeps recent query vectors)
        s.clear_caches(query_vectors=True, current=False)
        return s.search_documents(q, mode="hybrid")

    figures["hybrid_search_documents_no_query_vector_cache"] = _timed(hybrid_cold, queries)
    figures["lexical_search_projects"] = _timed(lambda q: s.search_projects(q, mode="lexical"), queries[:150])
    figures["hybrid_search_projects"] = _timed(lambda q: s.search_projects(q, mode="hybrid"), queries[:150])
    figures["suggest"] = _timed(lambda q: s.suggest(q, 10), prefixes)
    figures["navigate_words"] = _timed(app.navigation.navigate, [rng.choice(clients) for _ in range(150)])
    t0 = time.perf_counter()
    qv = [s.embedder.encode([q]) for q in queries[:100]]
    figures["query_embedding_ms_mean"] = round((time.perf_counter() - t0) * 1000 / len(qv), 2)
    db_bytes = sum(Path(f"{db}{x}").stat().st_size for x in ("", "-wal") if Path(f"{db}{x}").exists())
    figures["index_size"] = {
        "db_total_mb": round(db_bytes / 1e6, 1),
        "fts_mb": round((_size(app.store, "search_%") or 0) / 1e6, 1),
        "vectors_mb": round((_size(app.store, "vec_%") or 0) / 1e6, 1),
    }
    figures["peak_rss_mb"] = peak_rss_mb()
    figures["unique_queries"] = len(set(queries))
    figures["targets_p95_ms"] = {"lexical": 20, "hybrid": 50, "suggest": 5}
    emit("search", figures)
    app.close()


if __name__ == "__main__":
    main()
