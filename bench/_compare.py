"""Run one bench against several checkouts of the code, alternating, and put their figures side by side.

A checkout is named by the Python interpreter of its own virtual environment (its editable install
decides which code the bench imports): ``--against start=/work/wt/start/.venv/bin/python``. Each
round runs the bench once per checkout in a fresh process, in turn, so a change in the machine's
load falls on all of them. Each checkout keeps its databases in its own folder under the bench
directory (schemas differ between versions); generated firms are shared through symbolic links and
only this checkout may generate them (another version's generator would see a different fingerprint
and delete the shared tree to write its own): the others only read them.

The merged answer keeps the shape of one run; every number that differs between runs becomes
``{"<checkout>": median over rounds, ..., "this": ..., "ratio": this / first checkout}``; a list
becomes each checkout's values of every round; a value equal in every run (a limit) stays as it is.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from _common import OUT, READ_ONLY_FIRMS

SELF = "this"


def parse_against(values: list[str]) -> dict[str, str]:
    """``name=python`` pairs, in order; the first is the reference for ratios."""
    out: dict[str, str] = {}
    for value in values:
        name, sep, python = value.partition("=")
        if not sep or not name or not python or name == SELF:
            raise SystemExit(f"--against takes NAME=PYTHON (NAME not {SELF!r}), got {value!r}")
        if not Path(python).is_file():
            raise SystemExit(f"--against {name}: no interpreter at {python}")
        out[name] = python
    return out


def _workdir(name: str) -> Path:
    """The checkout's own bench folder, with the shared generated firms linked in."""
    folder = OUT / "checkouts" / name
    folder.mkdir(parents=True, exist_ok=True)
    for firm in OUT.glob("firm-*"):
        link = folder / firm.name
        if not link.exists():
            link.symlink_to(firm.resolve())
    return folder


def _run(python: str, script: Path, argv: list[str], name: str) -> dict[str, Any]:
    env = dict(os.environ, QUICKNAV_BENCH_DIR=str(_workdir(name)))
    if name != SELF:  # another checkout's generator must not rewrite the shared firms
        env[READ_ONLY_FIRMS] = "1"
    env.pop("PYTHONPATH", None)  # each interpreter imports its own checkout
    done = subprocess.run([python, str(script), *argv], env=env, capture_output=True, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        raise SystemExit(f"{name}: {script.name} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return json.loads(lines[-1])


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _merge(runs: dict[str, list[Any]]) -> Any:
    """One tree of the runs' shapes; numbers become per-checkout medians and a ratio."""
    values = [v for rs in runs.values() for v in rs]
    first = values[0]
    if all(v == first for v in values) and not isinstance(first, dict):
        return first  # a constant of the bench (a limit, the machine's cores)
    if any(isinstance(v, dict) for v in values):
        keys = list(dict.fromkeys(k for v in values if isinstance(v, dict) for k in v))
        return {
            k: _merge({n: [r.get(k) if isinstance(r, dict) else None for r in rs] for n, rs in runs.items()})
            for k in keys
        }
    out: dict[str, Any] = {}
    for name, rs in runs.items():
        if rs and all(_number(v) for v in rs):
            out[name] = round(statistics.median(rs), 3)
        elif rs and all(isinstance(v, list) for v in rs):
            out[name] = [x for r in rs for x in r]  # every round's values
        else:
            out[name] = rs[0] if len(set(map(repr, rs))) == 1 else rs  # absent (None), text, or differing
    reference = out.get(next(iter(runs)))
    if SELF in out and _number(out[SELF]) and _number(reference) and reference:
        out["ratio"] = round(out[SELF] / reference, 2)
    return out


def alternate(script: str, argv: list[str], against: dict[str, str], rounds: int) -> dict[str, Any]:
    """Run ``script`` with ``argv`` under each checkout and under this one, ``rounds`` times in turn."""
    path = Path(script).resolve()
    pythons = {**against, SELF: sys.executable}
    runs: dict[str, list[Any]] = {name: [] for name in pythons}
    for n in range(rounds):
        order = list(pythons) if n % 2 == 0 else list(reversed(pythons))
        for name in order:
            print(f"round {n + 1}/{rounds}: {name}", file=sys.stderr, flush=True)
            runs[name].append(_run(pythons[name], path, argv, name))
    merged = _merge(runs)
    merged["checkouts"] = {name: python for name, python in pythons.items()}
    merged["rounds"] = rounds
    return merged
