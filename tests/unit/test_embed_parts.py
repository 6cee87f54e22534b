"""Pure parts of embedding: which models run without sentence-transformers, what each kind of
vector is made of, and how per-kind hits merge."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from quicknav_mcp.indexers.embed import content_text, document_text, identity_text
from quicknav_mcp.indexers.embed_model import _is_mean_pooling

from quicknav_mcp.search.vectors import best_per_id

_T = "sentence_transformers.models.Transformer"
_P = "sentence_transformers.models.Pooling"
_N = "sentence_transformers.models.Normalize"
_D = "sentence_transformers.models.Dense"


def _model(tmp_path: Path, types: list[str], pooling: dict[str, bool] | None = None) -> Path:
    paths = {"Transformer": "", "Pooling": "1_Pooling", "Normalize": "2_Normalize", "Dense": "2_Dense"}
    modules = [{"idx": i, "name": str(i), "path": paths[t.rsplit(".", 1)[1]], "type": t} for i, t in enumerate(types)]
    (tmp_path / "modules.json").write_text(json.dumps(modules))
    (tmp_path / "1_Pooling").mkdir()
    modes = pooling or {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}
    (tmp_path / "1_Pooling" / "config.json").write_text(json.dumps({"word_embedding_dimension": 8, **modes}))
    return tmp_path


@pytest.mark.parametrize(
    ("types", "pooling", "direct"),
    [
        ([_T, _P, _N], None, True),
        ([_T, _P], None, True),
        ([_T, _P, _N], {"pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}, False),
        ([_T, _P, _N], {"pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": True}, False),
        ([_T, _P, _D, _N], None, False),
    ],
)
def test_only_plain_mean_pooling_models_skip_sentence_transformers(
    tmp_path: Path, types: list[str], pooling: dict[str, bool] | None, direct: bool
) -> None:
    assert _is_mean_pooling(_model(tmp_path, types, pooling)) is direct


def test_a_folder_without_modules_is_left_to_sentence_transformers(tmp_path: Path) -> None:
    assert _is_mean_pooling(tmp_path) is False
    (tmp_path / "modules.json").write_text("not json")
    assert _is_mean_pooling(tmp_path) is False


def test_identity_and_content_texts() -> None:
    ident = identity_text("Fire_Safety+Report.pdf", "Docs/Safety/", "17741 - QPS Upgrades", "safety report")
    assert ident == "Fire Safety Report | Docs | 17741 QPS Upgrades"  # each word once
    # Content leaves out name and project: one template filed in two projects is one text.
    assert content_text("swms", "  Work   at\nheights ") == "swms | Work at heights"
    assert content_text("swms", "") == "" and content_text("swms", None) == ""
    assert content_text("", "x" * 5000) == "x" * 1200
    assert document_text("A.pdf", "B/", "P", "f", "body text") == "A | B | P | f\nbody text"


def test_each_document_keeps_its_best_similarity() -> None:
    identity = [(1, 0.5), (2, 0.9), (3, 0.4)]
    content = [(3, 0.8), (1, 0.45), (4, 0.35)]
    assert best_per_id(identity, content) == [(2, 0.9), (3, 0.8), (1, 0.5), (4, 0.35)]
    assert best_per_id() == []


def test_identity_texts_say_each_word_once() -> None:
    ident = identity_text(
        "19644 - QPS Rollout - SWMS.pdf", "3. PMO/SWM/", "19644 - QPS  MTR Rollout", "swms safe work method statement"
    )
    # Folder numbers, and words the name already said (plurals too), are left out.
    assert ident == "19644 - QPS Rollout - SWMS | PMO | MTR | safe work method statement"
    assert identity_text("IMG_01.jpg", "", "", "") == "IMG 01"


def test_background_pool_runs_every_call_on_its_niced_threads() -> None:
    import os
    import threading

    pytest.importorskip("torch")
    if not hasattr(os, "setpriority"):
        pytest.skip("threads are niced on POSIX only")
    from quicknav_mcp.indexers.embed_pool import BACKGROUND_NICE, BackgroundPool

    pool = BackgroundPool(2)
    ran: dict[int, int] = {}
    lock = threading.Lock()

    def call(item: int) -> None:
        with lock:
            ran[item] = threading.get_native_id()

    pool.map(call, range(20))
    assert sorted(ran) == list(range(20))
    assert set(ran.values()) <= set(pool.native_ids) and len(pool.native_ids) == 2
    assert threading.get_native_id() not in pool.native_ids  # the caller only waits
    own = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    for tid in pool.native_ids:
        assert os.getpriority(os.PRIO_PROCESS, tid) == min(19, own + BACKGROUND_NICE)

    def fail(item: int) -> None:
        if item == 3:
            raise ValueError("bad call 3")

    with pytest.raises(ValueError, match="bad call 3"):
        pool.map(fail, range(6))
    pool.map(call, [99])  # the pool keeps serving after an error
    assert 99 in ran


def test_the_background_pool_stops_its_threads_on_close() -> None:
    """No model call may run on a pool thread when the process exits (torch aborts it): close stops them,
    and a call after close is refused with a message rather than queued forever."""
    pytest.importorskip("torch")
    from quicknav_mcp.indexers.embed_pool import BackgroundPool

    pool = BackgroundPool(2)
    done: list[int] = []
    pool.map(done.append, range(10))
    assert sorted(done) == list(range(10))
    threads = list(pool._threads)
    assert threads and all(t.is_alive() for t in threads)
    pool.close()
    assert not any(t.is_alive() for t in threads)
    with pytest.raises(RuntimeError, match="closed"):
        pool.map(done.append, [1])


def test_closing_the_app_closes_the_embedding_pool(tmp_path: Path) -> None:
    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config

    app = App.open(load_config(db=tmp_path / "q.db", env={}), warm=False)
    app.close()
    with pytest.raises(RuntimeError, match="closed"):
        app.search.embedder.background.map(print, [1])
