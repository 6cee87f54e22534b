"""Every module of the package imports on its own in a fresh interpreter.

Import cycles only show up in an interpreter that imports a module first (``import
quicknav_mcp.search.models`` once raised ImportError on a partially initialised module while the
test suite, importing others before it, never noticed), so each module gets its own subprocess.
"""

from __future__ import annotations

import importlib.util
import os
import pkgutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = "quicknav_mcp"
# Installed under quicknav_mcp from top-level folders (pyproject's package-dir), so not below its path.
MAPPED = ("quicknav_mcp.tools", "quicknav_mcp.indexers", "quicknav_mcp.tui")


def _walk(package: str, path: str) -> list[str]:
    """``package`` and every module below ``path``, found without importing anything."""
    names = [package]
    for info in pkgutil.iter_modules([path]):
        name = f"{package}.{info.name}"
        if info.name == "__main__":  # a script: importing it runs the program
            continue
        if info.ispkg:
            names += _walk(name, str(Path(path) / info.name))
        else:
            names.append(name)
    return names


def _modules() -> list[str]:
    spec = importlib.util.find_spec(ROOT)
    assert spec is not None and spec.submodule_search_locations
    names = _walk(ROOT, next(iter(spec.submodule_search_locations)))
    for mapped in MAPPED:
        sub = importlib.util.find_spec(mapped)
        if sub is not None and sub.submodule_search_locations:
            names += [n for n in _walk(mapped, next(iter(sub.submodule_search_locations))) if n not in names]
    return names


def _import_alone(module: str) -> tuple[str, int, str]:
    out = subprocess.run(
        [sys.executable, "-c", f"import {module}"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    return module, out.returncode, out.stderr[-1500:]


def test_the_walk_finds_every_part_of_the_package() -> None:
    names = set(_modules())
    assert {
        "quicknav_mcp.models",
        "quicknav_mcp.search.models",
        "quicknav_mcp.search.service",
        "quicknav_mcp.repo.documents",
        "quicknav_mcp.tools.search",
        "quicknav_mcp.indexers.embed",
        "quicknav_mcp.indexers.filesystem",
    } <= names
    assert len(names) > 60


def test_every_module_imports_in_a_fresh_interpreter() -> None:
    modules = _modules()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(_import_alone, modules))
    failed = {name: err for name, code, err in results if code != 0}
    assert not failed, "\n\n".join(f"{name}:\n{err}" for name, err in failed.items())
