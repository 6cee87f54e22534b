"""What the project summaries (``search/project_about.py``) cost at 5,000 projects.

On a copy of the cached 5,000-project search database: the time to build the summaries (every
project's documents read once), the time of :meth:`ProjectAbout.hits` per request by words alone
and with a query vector (chunk vectors random: a matrix product's cost does not depend on the
values), and lexical ``search_projects`` with and without the summaries, alternating, in thread
CPU time (the machine is shared: CPU time is the steadier figure).

    .venv/bin/python bench/bench_project_about.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import OUT, emit, percentiles

REQUESTS = (
    "refit of the directors meeting room in Queensland",
    "boardroom refurbishment",
    "hearing loop upgrade on the third floor",
    "training room projector replacement brisbane",
    "council chambers new build",
    "video conference rooms rollout",
    "security control room relocation",
    "digital signage level 2",
    "auditorium expansion",
    "the learning space makeover we did for Marinbank",
)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import numpy as np

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config
    from quicknav_mcp.search.alternatives import widen
    from quicknav_mcp.search.query import parse_query

    source = OUT / "search-5000.db"
    if not source.exists():
        raise SystemExit(f"{source} is missing: run bench/bench_search.py once to build it")
    tmp = Path(tempfile.mkdtemp(prefix="qn-about-"))
    db = tmp / "search.db"
    for suffix in ("", "-wal"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{db}{suffix}")
    app = App.open(load_config(db=db, roots=[OUT / "firm-5000-11-m"], env={"QUICKNAV_EMBED_MODEL": "none"}))
    about = app.search.project_search.about
    c0, w0 = time.thread_time(), time.perf_counter()
    built = about.build()
    build = {"cpu_s": round(time.thread_time() - c0, 2), "wall_s": round(time.perf_counter() - w0, 2)}
    about._about, about._key = built, about.versions.get("documents", "content", "projects")
    rng = np.random.default_rng(0)
    chunks = rng.standard_normal((len(built.texts), 384)).astype(np.float32)
    built.chunks["bench"] = chunks / np.linalg.norm(chunks, axis=1, keepdims=True)
    ps = app.search.project_search
    words_ms: list[float] = []
    vector_ms: list[float] = []
    for _ in range(args.rounds):
        for text in REQUESTS:
            pq = parse_query(text)
            widen(ps.fulltext.word_groups(pq, {}), pq, ps.vocab)
            qv = rng.standard_normal(384).astype(np.float32)
            c0 = time.thread_time()
            about.hits(pq)
            words_ms.append((time.thread_time() - c0) * 1000)
            c0 = time.thread_time()
            about.hits(pq, qv / np.linalg.norm(qv), "bench")
            vector_ms.append((time.thread_time() - c0) * 1000)
    on_ms: list[float] = []
    off_ms: list[float] = []
    order = list(REQUESTS) * args.rounds
    random.Random(0).shuffle(order)
    for text in order:
        for use, bucket in ((about, on_ms), (None, off_ms)):
            ps.about = use
            c0 = time.thread_time()
            app.search.search_projects(text, limit=10, mode="lexical", include_facets=False)
            bucket.append((time.thread_time() - c0) * 1000)
    ps.about = about
    emit(
        "project_about",
        {
            "projects": len(built.ids),
            "chunks": len(built.texts),
            "build": build,
            "hits_words_cpu": percentiles(words_ms),
            "hits_words_and_vector_cpu": percentiles(vector_ms),
            "search_projects_lexical_cpu_with": percentiles(on_ms),
            "search_projects_lexical_cpu_without": percentiles(off_ms),
        },
    )
    app.close()
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
