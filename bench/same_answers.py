"""Do two checkouts give the same document-search answers? Field by field, over the bench queries.

Each checkout is named by its own interpreter (its editable install decides which code runs):

    .venv/bin/python bench/same_answers.py --against /work/wt/base/.venv/bin/python [--projects 5000] [--mode hybrid]

Each runs in its own process on its own copy of the cached search database (never the cache
itself), with the clock frozen (recency boosts read ``time.time``), after the in-memory copies are
built, and answers every bench query (``bench_search.make_queries``) in lexical mode: page 1 and
page 2 of 10, with facets, and within one project (``project_number``, chosen per query with a
seeded draw), and current documents only; ``--mode hybrid`` asks the same in hybrid mode, after the
vector shortlist is built (until then vector search is exact: answers would depend on timing).
Every answer is compared whole (ids, order, totals, scores, why, snippets, facets, suggestions,
interpretation) except ``search_time_ms``. Prints the differences and how many; exits 1 when any.

``--dump FILE`` runs this checkout alone and writes its answers (JSON lines): what the comparison
runs in each interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent


def requests(app: Any, n: int, mode: str = "lexical") -> list[tuple[str, dict[str, Any]]]:
    """(label, keyword arguments of ``search_documents``) for every bench query and its variants."""
    import bench_search

    codes = sorted(p.code for p in app.projects.all())
    rng = random.Random(11)
    out: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for cat, q in bench_search.make_queries(app, n):
        if q in seen:
            continue
        seen.add(q)
        base = {"query": q, "mode": mode, "limit": 10}
        out.append((f"{cat}: page 1", {**base, "include_facets": False}))
        out.append((f"{cat}: page 2", {**base, "offset": 10, "include_facets": False}))
        out.append((f"{cat}: facets", base))
        out.append((f"{cat}: project", {**base, "project_number": rng.choice(codes), "include_facets": False}))
        out.append((f"{cat}: current", {**base, "current_only": True, "include_facets": False}))
    return out


def dump(path: Path, projects: int, n: int, mode: str = "lexical") -> None:
    """Answer every request with this checkout's code and write the answers to ``path``."""
    sys.path.insert(0, str(HERE))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from _common import FROZEN_NOW, OUT, firm

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    cached = OUT / f"search-{projects}.db"
    work = Path(tempfile.mkdtemp(prefix="same-answers-"))
    db = work / "search.db"
    for suffix in ("", "-wal"):
        if Path(f"{cached}{suffix}").exists():
            shutil.copyfile(f"{cached}{suffix}", f"{db}{suffix}")
    try:
        app = App.open(load_config(db=db, roots=[firm(projects)], env={}))
        s = app.search
        s.candidates.ready(300)
        s.segments.merge(force=True)
        s.project_search.wait_ready(600)
        if mode == "hybrid":
            if not s.semantic.ready():
                raise SystemExit("hybrid: no embedding model or no document vectors in the cached database")
            s.semantic.refresh_documents()
            s.semantic.doc_vectors.index_now()
        todo = requests(app, n, mode)
        for _, kwargs in todo[:20]:
            s.search_documents(**kwargs)  # the lazily built copies (digit parts) get built
        time.sleep(1.0)
        s.candidates.ready(300)
        time.time = lambda: FROZEN_NOW  # type: ignore[assignment]
        with path.open("w") as out:
            for label, kwargs in todo:
                answer = s.search_documents(**kwargs).model_dump(mode="json")
                answer.pop("search_time_ms", None)
                out.write(json.dumps({"label": label, "request": kwargs, "answer": answer}, sort_keys=True) + "\n")
        app.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Where two JSON values differ (paths into them)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b)):
            out += differences(a.get(k), b.get(k), f"{where}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in differences(x, y, f"{where}[{i}]")]
    return [] if a == b else [f"{where}: {json.dumps(a)[:160]} != {json.dumps(b)[:160]}"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--against", help="the other checkout's Python interpreter")
    ap.add_argument("--dump", type=Path, help="write this checkout's answers here and stop")
    ap.add_argument("--projects", type=int, default=5000)
    ap.add_argument("--queries", type=int, default=216)
    ap.add_argument("--mode", choices=["lexical", "hybrid"], default="lexical")
    args = ap.parse_args()
    if args.dump:
        dump(args.dump, args.projects, args.queries, args.mode)
        return
    if not args.against:
        raise SystemExit("give --against PYTHON (or --dump FILE)")
    folder = Path(tempfile.mkdtemp(prefix="same-answers-"))
    env = dict(os.environ, QUICKNAV_BENCH_READ_ONLY_FIRMS="1")
    env.pop("PYTHONPATH", None)
    files = {}
    for name, python in (("other", args.against), ("this", sys.executable)):
        files[name] = folder / f"{name}.jsonl"
        argv = [python, __file__, "--dump", str(files[name]), "--projects", str(args.projects), "--mode", args.mode]
        subprocess.run([*argv, "--queries", str(args.queries)], env=env, check=True)
    theirs = [json.loads(line) for line in files["other"].read_text().splitlines()]
    ours = [json.loads(line) for line in files["this"].read_text().splitlines()]
    if len(theirs) != len(ours):
        raise SystemExit(f"{len(theirs)} answers vs {len(ours)}")
    n_diff = 0
    for x, y in zip(theirs, ours, strict=True):
        found = differences(x["answer"], y["answer"])
        if found:
            n_diff += 1
            print(f"{x['label']} {x['request']}:")
            for d in found[:8]:
                print(f"   {d}")
    shutil.rmtree(folder, ignore_errors=True)
    print(f"{len(ours)} answers compared, {n_diff} differ")
    sys.exit(1 if n_diff else 0)


if __name__ == "__main__":
    main()
