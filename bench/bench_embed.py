"""Embedding: identity/content vectors per second, quality of how they combine, memory serving
with vectors, and how long the first semantic query of a server waits.

Sections (``--only`` picks some; each prints one JSON object):

* ``throughput``: on a copy of the cached 5,000-project search database (116k documents,
  names only), the worker's identity phase over ``--identity-docs`` documents: documents/s
  (wall and per CPU second), timed once the App's one-off start-up builds settled
  (``SearchService.settle``), and the time to cover the whole firm: at that steady rate
  (extrapolated) and at the rate projected for an idle machine from CPU time (background
  threads' CPU spread over the cores, the rest serial), plus the one-off CPU (the start-up
  builds', the model loads') spread over the cores; with the process's peak RSS.
  On the search-quality firm (``generate_firm(40, seed=7, content=True)``, ~1,100 documents
  with text): the one-vector-per-document way of before (name + path + text, 128 tokens,
  batches of 64 in index order) against the content phase of the worker (identical texts
  once, length-sorted batches, ``CONTENT_TOKENS``), alternated and timed by CPU too, because
  the machine is shared; timed after the start-up builds settled too.
* ``quality``: nDCG@10 / MRR of the search-quality firm's labelled queries in vector and hybrid
  mode for: one mixed vector (before), identity + content vectors combined by the best
  similarity per document (after), with content cut at 128, ``CONTENT_TOKENS`` and 64 tokens.
* ``memory``: a fresh process opens a copy of the 116k-document database with vectors, loads the
  matrices and the model, answers 30 hybrid queries; its peak RSS and where it went.
* ``first_query``: ``quicknav serve`` over stdio through the MCP client on a small database
  with vectors: how long ``tools/list`` and the first hybrid ``search_documents`` take, and
  whether that answer used vectors or said it was answered by words only.

``--baseline-src DIR`` runs ``memory`` and ``first_query`` a second time with ``DIR`` (a checkout
of the previous code, with ``quicknav_mcp/{indexers,tools,migrations}`` linked in) first on
``PYTHONPATH``, printing before and after side by side.

    .venv/bin/python bench/bench_embed.py [--identity-docs 3000] [--only throughput,quality]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import OUT, emit

from quicknav_mcp.config import EMBED_PRECISIONS

ROOT = Path(__file__).resolve().parents[1]
PRECISION = {"embed_precision": "auto"}  # --precision: the worker's arithmetic (indexers/embed_precision.py)
SEARCH_DB = OUT / "search-5000.db"
WORK = Path(os.environ.get("QUICKNAV_BENCH_EMBED_WORK", OUT / "embed-bench"))
QUERIES = [
    "fire safety report",
    "council chamber design",
    "as built drawings",
    "commissioning test results",
    "safety method statement for working at heights",
    "supplier quotation audio visual",
    "floor layout level 2",
    "handover to delivery",
    "meeting room upgrade",
    "network switch configuration",
]


def _copy_db(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        target = Path(str(dst) + suffix)
        if target.exists():
            target.unlink()
        if Path(str(src) + suffix).exists():
            shutil.copyfile(str(src) + suffix, target)
    return dst


# --------------------------------------------------------------------------- throughput


SETTLED = (
    "timed after the App's one-off start-up builds settled (SearchService.settle: candidate table, digit parts, "
    "postings, project summaries and sites, thesaurus phrases); their CPU and the model loads' are reported apart"
)


def _settle(app: object, timeout: float = 600.0) -> bool:
    """Wait for the App's start-up builds (``SearchService.settle``; a checkout without it: the public
    waits it is made of), so a timing measures the steady state, not those one-off builds."""
    search = app.search  # type: ignore[attr-defined]
    settle = getattr(search, "settle", None)
    if settle is not None:
        return bool(settle(timeout))
    ok = True
    for wait in (  # each where the checkout has it (older ones lack some)
        getattr(search.candidates, "ready", None),
        getattr(search.project_search, "wait_ready", None),
        getattr(getattr(search.document_search, "digits", None), "wait_ready", None),
    ):
        if wait is not None:
            ok = bool(wait(timeout)) and ok
    return ok


def _precision(embedder: object) -> str:
    """What the worker's model ran in, and why (a checkout before embed_precision: float32)."""
    return str(getattr(embedder, "precision", None) or "float32")


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def throughput(identity_docs: int, rounds: int) -> dict:
    from quicknav_mcp.indexers import embed as E
    from quicknav_mcp.indexers.embed import EmbedWorker

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    out: dict = {}
    db = _copy_db(SEARCH_DB, WORK / "identity.db")
    p0, m0 = time.process_time(), time.thread_time()  # the builds run on threads; this thread opens and loads
    with App.open(load_config(db=db, env={}, **PRECISION)) as app:
        total = app.store.query_one("SELECT count(*) FROM documents")[0]
        with app.store.transaction() as conn:
            conn.execute("DELETE FROM embedding_state")  # every document pending, as after a first scan
        embedder = app.search.embedder
        l0 = time.thread_time()
        embedder.load()
        load_cpu = time.thread_time() - l0
        settled = _settle(app)
        builds_cpu = (time.process_time() - p0) - (time.thread_time() - m0)
        worker = EmbedWorker(app.store, embedder)
        c0 = time.process_time()
        # Warm-up: first batches allocate, and a backlog's window loads the worker's model (a checkout
        # without IDENTITY_BULK_MIN loads it on any window). One whole window: the firm's first 512
        # documents hold a few identical texts, so a warm-up of 512 left under IDENTITY_BULK_MIN texts to
        # embed, ran on numpy, and the timed run below paid for torch's load (~7 CPU s, the pool idle).
        worker.run(max_docs=max(64, getattr(E, "IDENTITY_WINDOW", 64)))
        load_cpu += time.process_time() - c0
        bulk_loaded = getattr(embedder, "_bulk", None) is not None or getattr(embedder, "_torch", None) is not None
        pool0 = _pool_cpu(embedder)
        w0, c0 = time.perf_counter(), time.process_time()
        report = worker.run(max_docs=identity_docs)
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        rate = report.identity / wall
        idle = _idle_rate(report.identity, cpu, _pool_cpu(embedder) - pool0, embedder.background.size)
        one_off_min = (builds_cpu + load_cpu) / _cores() / 60  # the one-off CPU spread over the cores
        out["identity"] = {
            "documents": report.identity,
            "docs_per_s": round(rate, 1),
            "docs_per_cpu_s": round(report.identity / cpu, 1),
            "query_torch_threads": embedder.threads,
            "worker_model_loaded_before_timing": bulk_loaded,
            "background_workers": embedder.background.size,
            "precision": _precision(embedder),
            "idle_machine_docs_per_s_projected": idle,
            "firm_documents": total,
            "timing": SETTLED,
            "settled": settled,
            "one_off_cpu_s": {"start_up_builds": round(builds_cpu, 1), "model_loads_and_warm_up": round(load_cpu, 1)},
            "cores": _cores(),
            "minutes_steady_state": round(total / rate / 60, 1),
            "minutes_to_cover_firm_extrapolated": round(total / rate / 60 + one_off_min, 1),
            "minutes_to_cover_firm_idle_projected": round(total / idle / 60 + one_off_min, 1),
            "target_minutes": 10,
            "peak_rss_mb": _peak_rss_mb(),
            "load_average": round(os.getloadavg()[0], 1),
        }
    emit("embed_identity_throughput", out["identity"])  # now: the content part takes much longer
    out["content"] = _content_throughput(rounds)
    return out


def _pool_cpu(embedder: object) -> float:
    """CPU seconds of the embedder's background threads so far (Linux; 0 elsewhere)."""
    total = 0
    for tid in embedder.background.native_ids:  # type: ignore[attr-defined]
        try:
            fields = Path(f"/proc/self/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / os.sysconf("SC_CLK_TCK") if total else 0.0


def _idle_rate(docs: int, cpu: float, pool_cpu: float, workers: int) -> float:
    """Documents/s on an idle machine with ``workers`` cores, projected from CPU time: the
    background threads' CPU spread over the cores, the rest (reads, writes, tokens) serial.
    A projection, not a measurement: this machine is shared."""
    serial = max(cpu - pool_cpu, 0.0)
    return round(docs / max(serial + pool_cpu / max(workers, 1), 1e-6), 1)


def _peak_rss_mb() -> int:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM"):
                return int(line.split()[1]) // 1024
    except OSError:
        pass
    return 0


def _quality_firm() -> tuple[Path, Path]:
    from quicknav_mcp.demo.firm import generate_firm

    root = OUT / "quality-firm-40-7"
    root.mkdir(parents=True, exist_ok=True)
    generate_firm(root, projects=40, seed=7, content=True)
    return root, WORK / "content.db"


def _content_throughput(rounds: int) -> dict:
    from quicknav_mcp.indexers import embed as E

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    root, db = _quality_firm()
    if db.exists():
        db.unlink()
    app = App.open(load_config(db=db, roots=[root], env={}, **PRECISION))
    try:
        app.indexing.reindex()
        app.search.index_content(extract=True, embed=False, workers=2)
        embedder = app.search.embedder
        embedder.load()
        rows = app.store.query(
            "SELECT d.id, d.name, d.project_rel_path, p.folder_name, c.text, "
            "(SELECT words FROM search_family_words WHERE doc_type = d.doc_type) AS family "
            "FROM documents d JOIN projects p ON p.id = d.project_id JOIN document_content c ON c.doc_id = d.id "
            "WHERE c.status = 'ok' AND length(c.text) > 0 ORDER BY d.indexed_at DESC"
        )
        before_texts = [
            E.document_text(
                r["name"], r["project_rel_path"][: -len(r["name"])], r["folder_name"], r["family"] or "", r["text"]
            )
            for r in rows
        ]
        distinct = len({E.content_text(r["family"] or "", r["text"]) for r in rows})

        def before() -> tuple[float, float]:
            w0, c0 = time.perf_counter(), time.process_time()
            for start in range(0, len(before_texts), 64):  # the old worker: 64 per call, index order
                embedder.encode(before_texts[start : start + 64], max_tokens=128)
            return time.perf_counter() - w0, time.process_time() - c0

        docs = app.store.query_one("SELECT count(*) FROM documents")[0]

        worker = E.EmbedWorker(app.store, embedder)
        worker.run(max_docs=docs)  # identities (they come first; not timed here)
        settled = _settle(app)  # the start-up's builds (of the firm just indexed) are not timed either

        pool: list[tuple[float, float]] = []  # (process CPU, background threads' CPU) of each after()

        def after() -> tuple[float, float]:
            with app.store.transaction() as conn:
                conn.execute("DELETE FROM content_embedding_state")
            p0 = _pool_cpu(embedder)
            w0, c0 = time.perf_counter(), time.process_time()
            report = worker.run()
            assert report.content == len(rows), report
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            pool.append((cpu, _pool_cpu(embedder) - p0))
            return wall, cpu

        runs: dict[str, list[tuple[float, float]]] = {"before": [], "after": []}
        for _ in range(rounds):  # alternated: the machine's load changes under a run
            runs["before"].append(before())
            runs["after"].append(after())
        n = len(rows)

        def best(kind: str) -> dict:
            wall = min(w for w, _ in runs[kind])
            cpu = min(c for _, c in runs[kind])
            return {"docs_per_s": round(n / wall, 1), "docs_per_cpu_s": round(n / cpu, 1)}

        b, a = best("before"), best("after")
        cpu, pool_cpu = min(pool)
        a["idle_machine_docs_per_s_projected"] = _idle_rate(n, cpu, pool_cpu, embedder.background.size)
        return {
            "documents_with_text": n,
            "timing": SETTLED,
            "settled": settled,
            "distinct_content_texts": distinct,
            "content_tokens": E.CONTENT_TOKENS,
            "precision": _precision(embedder),
            "before_one_mixed_vector": b,
            "after_content_vectors": a,
            "speedup_wall": round(a["docs_per_s"] / b["docs_per_s"], 2),
            "speedup_cpu": round(a["docs_per_cpu_s"] / b["docs_per_cpu_s"], 2),
            "target_speedup": 2.0,
            "today_reference_docs_per_s": 38.8,
            "original_one_vector_docs_per_s": [28.7, 30.2],
            "speedup_idle_projected_vs_original": round(a["idle_machine_docs_per_s_projected"] / 30.2, 2),
            "peak_rss_mb": _peak_rss_mb(),
            "load_average": round(os.getloadavg()[0], 1),
        }
    finally:
        app.close()


# --------------------------------------------------------------------------- quality


def quality() -> dict:
    import numpy as np
    from quicknav_mcp.indexers import embed as E
    from search_quality import demo_queries, evaluate, summarise

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    root, _ = _quality_firm()
    app = App.open(load_config(db=WORK / "quality.db", roots=[root], env={}, **PRECISION))
    try:
        app.indexing.reindex()
        app.search.index_content(extract=True, embed=False, workers=2)
        embedder = app.search.embedder
        model = embedder.name
        rows = app.store.query(
            "SELECT d.id, d.name, d.project_rel_path, p.folder_name, c.text, "
            "(SELECT words FROM search_family_words WHERE doc_type = d.doc_type) AS family "
            "FROM documents d JOIN projects p ON p.id = d.project_id LEFT JOIN document_content c ON c.doc_id = d.id"
        )
        app.search.index_content(extract=False, embed=True)  # projects' vectors (and the tables)
        ids = [r["id"] for r in rows]
        folders = [r["project_rel_path"][: -len(r["name"])] for r in rows]
        mixed = [
            E.document_text(r["name"], f, r["folder_name"], r["family"] or "", r["text"])
            for r, f in zip(rows, folders, strict=True)
        ]
        ident = [
            E.identity_text(r["name"], f, r["folder_name"], r["family"] or "")
            for r, f in zip(rows, folders, strict=True)
        ]
        with_text = [(r["id"], E.content_text(r["family"] or "", r["text"])) for r in rows]
        with_text = [(i, t) for i, t in with_text if t]

        def enc(texts: list[str], n: int) -> np.ndarray:  # the worker's model and arithmetic (--precision)
            return embedder.encode_ids(embedder.token_ids(texts, n)) if texts else np.zeros((0, 384), "float32")

        m_mixed, m_ident = enc(mixed, 128), enc(ident, 64)
        c_ids = [i for i, _ in with_text]
        cuts = sorted({128, E.CONTENT_TOKENS, 64}, reverse=True)
        content = {n: enc([t for _, t in with_text], n) for n in cuts}
        queries = demo_queries(40, 7)
        variants = {
            "before_one_mixed_vector": (m_mixed, None),
            **{f"identity_plus_content_{n}": (m_ident, content[n]) for n in cuts},
            "identity_only": (m_ident, None),
        }
        out: dict = {"queries": len(queries)}
        for name, (docs, cont) in variants.items():
            app.search.doc_vectors.replace(ids, docs, model)
            if cont is None:
                app.search.semantic.content_vectors.replace([], None, model)
            else:
                app.search.semantic.content_vectors.replace(c_ids, cont, model)
            app.search.clear_caches()
            summary = summarise(evaluate(app, root, queries))
            out[name] = {m: summary[m] for m in ("vector", "hybrid")}
        out["precision"] = _precision(embedder)
        return out
    finally:
        app.close()


# --------------------------------------------------------------------------- memory

_MEMORY_PROBE = r"""
import json, sys, time
def rss():
    d = {}
    for line in open("/proc/self/status"):
        if line.startswith(("VmRSS", "VmHWM")):
            d[line.split(":")[0]] = int(line.split()[1]) // 1024
    return d
from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
steps = {"start": rss()}
app = App.open(load_config(db=sys.argv[1], env={}))
steps["open"] = rss()
t = time.perf_counter()
app.search.semantic.refresh_documents()
steps["vectors_loaded"] = {**rss(), "seconds": round(time.perf_counter() - t, 1)}
app.search.embedder.load()
steps["model_loaded"] = rss()
def settle():
    # What a serving process builds in the background after start-up (candidate table, in-memory postings,
    # project summaries, the vector shortlist) counts: wait for whichever of these this code has.
    for owner, name, arg in ((app.search, "candidates", "ready"), (app.search, "project_search", "wait_ready"),
                             (app.search.semantic, "doc_vectors", "wait_indexed")):
        wait = getattr(getattr(owner, name, None), arg, None)
        if wait is not None:
            wait(600)
settle()
steps["background_built"] = rss()
for round_ in range(2):
    for q in json.loads(sys.argv[2]):
        app.search.search_documents(q, mode="hybrid")
        app.search.search_projects(q, mode="hybrid")
    settle()
steps["after_queries"] = rss()
matrix = getattr(app.search.doc_vectors, "nbytes", None)
print(json.dumps({"steps": steps, "peak_rss_mb": rss()["VmHWM"], "documents": len(app.search.doc_vectors),
                  "matrix_mb": round(matrix / 2**20, 1) if matrix is not None else None}))
app.close()  # background threads (summaries, model) stopped before exit, not torn down by it
"""


def _probe_env(src: str | None) -> dict[str, str]:
    env = {**os.environ, "QUICKNAV_LOG_LEVEL": "WARNING"}
    if src:
        env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    return env


def memory(src: str | None) -> dict:
    db = _copy_db(SEARCH_DB, WORK / ("memory-base.db" if src else "memory.db"))
    r = subprocess.run(
        [sys.executable, "-c", _MEMORY_PROBE, str(db), json.dumps(QUERIES * 3)],
        capture_output=True,
        text=True,
        env=_probe_env(src),
        cwd=src or str(ROOT),
        timeout=1800,
    )
    if r.returncode != 0:
        return {"error": r.stderr[-1500:]}
    return {**json.loads(r.stdout.strip().splitlines()[-1]), "target_peak_rss_mb": 700}


# --------------------------------------------------------------------------- first query


async def _first_query(db: Path, src: str | None) -> dict:
    from mcp import Client, StdioServerParameters

    env = {**_probe_env(src), "QUICKNAV_DB": str(db), "QUICKNAV_SEARCH_BACKGROUND": "0", "QUICKNAV_WATCH": "0"}
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "quicknav_mcp.cli", "serve"], env=env, cwd=src or str(ROOT)
    )
    t0 = time.perf_counter()
    async with Client(params) as client:
        await client.list_tools()
        listed = time.perf_counter() - t0
        t1 = time.perf_counter()
        first = await client.call_tool("search_documents", {"query": "safety method statement for working at heights"})
        first_s = time.perf_counter() - t1
        data = json.loads(first.content[0].text)
        semantic_after = None
        for _ in range(120):  # until vectors take part (the model finished loading in the background)
            res = await client.call_tool("search_documents", {"query": "commissioning test results"})
            if json.loads(res.content[0].text).get("semantic"):
                semantic_after = round(time.perf_counter() - t0, 2)
                break
            await asyncio.sleep(0.5)
    return {
        "tools_list_s": round(listed, 3),
        "first_search_s": round(first_s, 3),
        "first_search_used_vectors": bool(data.get("semantic")),
        "first_search_note": [s for s in data.get("suggestions", []) if "loading" in s],
        "vectors_in_answers_after_s": semantic_after,
    }


def first_query(src: str | None) -> dict:
    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    db = WORK / "first-query.db"
    embedded = OUT / "quality-firm-40-7.db"  # search_quality.py's database, when it ran with this OUT
    if not db.exists() and embedded.exists():
        _copy_db(embedded, db)
    if not db.exists():
        root, _ = _quality_firm()
        with App.open(load_config(db=db, roots=[root], env={}, **PRECISION)) as app:
            app.indexing.reindex()
            app.search.index_content(extract=True, embed=True, workers=2)
    copy = _copy_db(db, WORK / ("first-query-base.db" if src else "first-query-run.db"))
    return asyncio.run(_first_query(copy, src))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--identity-docs", type=int, default=3000)
    ap.add_argument("--rounds", type=int, default=2, help="alternated before/after runs of the content timing")
    ap.add_argument("--only", default="throughput,quality,memory,first_query")
    ap.add_argument("--precision", default="auto", choices=EMBED_PRECISIONS, help="QUICKNAV_EMBED_PRECISION")
    ap.add_argument("--baseline-src", default=None, help="a checkout of the code before, for memory and first_query")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    WORK.mkdir(parents=True, exist_ok=True)
    only = set(args.only.split(","))
    PRECISION["embed_precision"] = args.precision
    if "throughput" in only:
        emit("embed_throughput", throughput(args.identity_docs, args.rounds))
    if "quality" in only:
        emit("embed_quality", quality())
    for name, fn in (("memory", memory), ("first_query", first_query)):
        if name in only:
            figures = {"after": fn(None)}
            if args.baseline_src:
                figures = {"before": fn(args.baseline_src), **figures}
            emit(f"embed_{name}", figures)


if __name__ == "__main__":
    main()
