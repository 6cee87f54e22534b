"""Offline figures of the model service on a generated firm with a simulated usage history.

Prints JSON: document-classifier accuracy on held-out projects and its training time, the usage
forecast's backtest (MASE of ETS / ARIMA / seasonal-naive), segments and anomalies, and how long
each step took. Usage: python bench/ml_eval.py [--projects 120] [--days 120] [--seed 7]
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import sys
import tempfile
import time
from pathlib import Path

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "real_paths.txt"
_PROJECT = re.compile(r"^(\d{5})\s*-(?!\s*\d{5})")


def real_classifier(catalogue: Path) -> dict[str, object]:
    """The classifier fitted on the rule parser's labels of the real firm's paths (held-out projects)."""
    from quicknav_mcp.domain import classify_doc_type
    from quicknav_mcp.ml.classify import fit_classifier

    docs = []
    for line in catalogue.read_text(encoding="utf-8").splitlines():
        parts = [p for p in line.strip().split("/") if p]
        at = next((i for i, p in enumerate(parts[:-1]) if _PROJECT.match(p)), None)
        if at is None:
            continue
        inside = parts[at + 1 :]
        docs.append((_PROJECT.match(parts[at]).group(1), "/".join(inside), classify_doc_type(inside[:-1], inside[-1])))
    # Few projects: average several held-out splits rather than trust one.
    runs = []
    t = time.perf_counter()
    for seed in range(1, 6):
        runs.append(fit_classifier(docs, lambda _f, _m: None, split_seed=seed).metrics)
    mean = {k: round(sum(r[k] for r in runs) / len(runs), 4) for k in ("accuracy", "macro_f1", "name_only_accuracy")}
    return {
        "documents": len(docs),
        "projects": len({d[0] for d in docs}),
        "splits": len(runs),
        "test_documents_per_split": [r["test_documents"] for r in runs],
        "seconds_per_fit": round((time.perf_counter() - t) / len(runs), 2),
        **mean,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--projects", type=int, default=120)
    ap.add_argument("--days", type=int, default=120)
    ap.add_argument("--users", type=int, default=24)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--real", type=Path, default=REAL, help="real path catalogue for a second classifier figure")
    args = ap.parse_args(argv)

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config
    from quicknav_mcp.demo.firm import generate_firm
    from quicknav_mcp.demo.usage import record_usage

    out: dict[str, object] = {"projects": args.projects, "days": args.days, "users": args.users, "seed": args.seed}
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        generate_firm(base, projects=args.projects, seed=args.seed, content=False)
        with App.open(load_config(db=base / "bench.db", roots=[base], user="bench", env={})) as app:
            app.indexing.reindex()
            out["events"] = record_usage(app, users=args.users, days=args.days, seed=args.seed)
            app.analytics.flush()

            t = time.perf_counter()
            run, _ = app.ml.train(["doc_classifier"], wait=True)
            clf = run.outcomes[0]
            out["doc_classifier"] = {"status": clf.status, "seconds": round(time.perf_counter() - t, 2), **clf.metrics}

            t = time.perf_counter()
            fc = app.ml.insights.forecast(None, 14, "events")
            out["forecast_events_14d"] = {
                "model": fc.model,
                "backtest_mase": fc.backtest,
                "history_days": fc.history["days"],
                "seconds": round(time.perf_counter() - t, 2),
            }
            t = time.perf_counter()
            seg = app.ml.insights.segments()
            out["segments"] = {
                "k": seg.k,
                "silhouette": seg.silhouette,
                "sizes": {s.name: s.size for s in seg.segments},
                "seconds": round(time.perf_counter() - t, 2),
            }
            t = time.perf_counter()
            an = app.ml.insights.anomalies("30d")
            out["anomalies_30d"] = {
                "found": len(an.anomalies),
                "user_days": an.user_days,
                "top": an.anomalies[0].explanation if an.anomalies else None,
                "seconds": round(time.perf_counter() - t, 2),
            }
    if args.real.is_file():
        out["doc_classifier_real_paths"] = real_classifier(args.real)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    json.dump(out, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
