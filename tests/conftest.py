"""Shared fixtures: the real-path catalogue (skipped cleanly when absent) and temp stores."""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]


def corpus_file() -> Path | None:
    """The real catalogue of document paths, if this checkout has ``../shared`` beside it."""
    env = os.environ.get("QUICKNAV_CORPUS")
    candidates = [Path(env)] if env else []
    candidates.append(REPO.parent / "shared" / "corpus" / "real_paths.txt")
    for path in candidates:
        if path.is_file():
            return path
    return None


@pytest.fixture(scope="session")
def real_paths() -> list[str]:
    """Lines of ``real_paths.txt``; the test is skipped when the catalogue is not here."""
    path = corpus_file()
    if path is None:
        pytest.skip("real corpus catalogue (../shared/corpus/real_paths.txt) not present")
    return [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


SAMPLE_PATHS = Path(__file__).resolve().parent / "data" / "sample_paths.txt"


def build_tree(root: Path, lines: list[str]) -> int:
    """Create every catalogue line as a real file under ``root`` (via the demo's corpus builder)."""
    from quicknav_mcp.demo.corpus_tree import build_corpus_tree

    return build_corpus_tree(lines, root)


@pytest.fixture(scope="session")
def sample_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small tree of 115 real paths (4 projects) that ships with the tests."""
    root = tmp_path_factory.mktemp("sample") / "Project Files"
    root.mkdir()
    build_tree(root, SAMPLE_PATHS.read_text(encoding="utf-8").splitlines())
    return root


@pytest.fixture(scope="session")
def sample_db(sample_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample tree indexed into a database file (read it; copy it before writing)."""
    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    db = tmp_path_factory.mktemp("db") / "sample.db"
    with App.open(load_config(db=db, roots=[sample_root], env={})) as app:
        app.indexing.reindex()
    return db


@pytest.fixture(scope="session")
def corpus_text_db(real_paths: list[str], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The real catalogue's tree, indexed and its text extracted once (one extraction process): (root,
    database). Read the tree; copy the database before opening it."""
    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    root = tmp_path_factory.mktemp("corpus") / "root"
    root.mkdir()
    build_tree(root, real_paths)
    db = root.parent / "q.db"
    with App.open(load_config(db=db, roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"})) as app:
        app.indexing.reindex()
        app.search.index_content(extract=True, embed=False, workers=1)
    return root, db


def indexed_demo_firm(base: Path, projects: int, seed: int) -> tuple[Path, Path, Any]:
    """A demo firm with text under ``base``, indexed and extracted, not embedded: (root, database, manifest)."""
    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config
    from quicknav_mcp.demo import generate_firm

    root = base / "firm"
    manifest = generate_firm(root, projects=projects, seed=seed, content=True)
    db = base / "firm.db"
    with App.open(load_config(db=db, roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"})) as app:
        app.indexing.reindex()
        app.search.index_content(extract=True, embed=False, workers=2)
    return root, db, manifest


def open_names_firm(base: Path, projects: int, seed: int) -> Any:
    """A demo firm of names only (no text) under ``base``, indexed: its open App (close it)."""
    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config
    from quicknav_mcp.demo import generate_firm

    root = base / "firm"
    generate_firm(root, projects=projects, seed=seed, content=False)
    app = App.open(load_config(db=base / "q.db", roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"}))
    app.indexing.reindex()
    return app


@pytest.fixture()
def firm12_app(tmp_path: Path) -> Iterator[Any]:
    """The 12-project demo firm (seed 3, names only) indexed and open, closed after the test."""
    app = open_names_firm(tmp_path, 12, 3)
    yield app
    app.close()


@pytest.fixture(scope="session")
def demo_firm_30(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    """The 30-project demo firm (seed 7) with text, built once for the modules that search it.

    (root, database, manifest): read the tree, copy the database before opening it.
    """
    return indexed_demo_firm(tmp_path_factory.mktemp("demo"), projects=30, seed=7)


def same_vector(embedder: Any, got: Any, expected: Any) -> bool:
    """Unit vector ``got`` is ``expected`` to the embedding worker's arithmetic: every value within 1e-4
    in float32 (rounding: torch and numpy differ by ~1e-7), or a cosine of at least
    ``embed_precision.MIN_COSINE`` where the worker's model runs in bfloat16. Another text's vector is
    far from either."""
    import numpy as np
    from quicknav_mcp.indexers.embed_precision import MIN_COSINE

    got, expected = np.asarray(got), np.asarray(expected)
    choice = embedder.precision
    if choice is not None and choice.precision == "bfloat16":
        return float(got @ expected) >= MIN_COSINE
    return float(np.abs(got - expected).max()) < 1e-4


@pytest.fixture
def anyio_backend() -> str:
    """The event loop of every ``@pytest.mark.anyio`` test: asyncio (what the server runs on)."""
    return "asyncio"


@pytest.fixture
def deny(monkeypatch: pytest.MonkeyPatch) -> Callable[[Path], None]:
    """``deny(folder)``: listing ``folder`` fails as an ACL would (works as root too, unlike chmod), through the
    scan's ``_scandir`` (forked scan workers inherit it); ``monkeypatch.undo()`` lifts it."""
    from quicknav_mcp.indexers import scan_base

    def deny_folder(folder: Path) -> None:
        real = scan_base._scandir

        def scandir(path: Any) -> Any:
            if os.fspath(path) == os.fspath(folder):
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
            return real(path)

        monkeypatch.setattr(scan_base, "_scandir", scandir)

    return deny_folder
