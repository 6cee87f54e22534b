#!/usr/bin/env python3
"""One-step set-up and run, needing only Python 3.11+.

    python3 dev.py demo [args...]   create .venv, install QuickNav, run `quicknav demo`
    python3 dev.py test [args...]   create .venv, install with test tools, run ruff + pytest
    python3 dev.py quicknav ...     any quicknav command inside the venv
    python3 dev.py bench            run every benchmark in bench/ (prints JSON)

The venv is reused; it is reinstalled only when pyproject.toml changes.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
VENV = Path(os.environ.get("QUICKNAV_VENV", HERE / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
TORCH_CPU = "torch==2.13.0"  # the CPU build on this platform's index; see pyproject's `semantic` extra


def _run(*cmd: str | Path) -> None:
    subprocess.run([str(c) for c in cmd], check=True, cwd=HERE)


def ensure_venv() -> None:
    """Create the venv and (re)install the project when pyproject.toml changed."""
    if not PY.exists():
        print(f"creating virtual environment in {VENV}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / ".quicknav-installed"
    digest = hashlib.sha256((HERE / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    print("installing QuickNav and its dependencies (first run only)", file=sys.stderr)
    _run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    # Semantic search needs torch: the CPU build first, or pip pulls a multi-GB CUDA build.
    extras = "dev,semantic"
    try:
        _run(PY, "-m", "pip", "install", "--quiet", TORCH_CPU)
    except subprocess.CalledProcessError:
        print(
            f"could not install {TORCH_CPU}: installing without semantic search (search falls back to lexical + fuzzy)",
            file=sys.stderr,
        )
        extras = "dev"
    _run(PY, "-m", "pip", "install", "--quiet", "-e", f".[{extras}]")
    stamp.write_text(digest)


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - this script is what tells users on older Pythons
        print("QuickNav needs Python 3.11 or newer", file=sys.stderr)
        return 2
    if not argv or argv[0] not in {"demo", "test", "quicknav", "bench"}:
        print(__doc__)
        return 2
    ensure_venv()
    command, rest = argv[0], argv[1:]
    env = dict(os.environ)
    if command == "demo":
        return subprocess.call([str(BIN / "quicknav"), "demo", *rest], cwd=HERE, env=env)
    if command == "quicknav":
        return subprocess.call([str(BIN / "quicknav"), *rest], cwd=HERE, env=env)
    if command == "bench":
        status = 0
        for script in sorted((HERE / "bench").glob("bench_*.py")):
            status |= subprocess.call([str(PY), str(script), *rest], cwd=HERE, env=env)
        return status
    lint = subprocess.call([str(PY), "-m", "ruff", "check", "."], cwd=HERE, env=env)
    tests = subprocess.call([str(PY), "-m", "pytest", *rest], cwd=HERE, env=env)
    return tests or lint


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
