"""The model registry: npz round trip without pickle, promotion, rollback, corrupt fallback."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from quicknav_mcp.errors import InvalidInput, NotFound
from quicknav_mcp.ml.registry import ModelRegistry, pack_arrays, unpack_arrays
from quicknav_mcp.store import Store


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    store = Store(tmp_path / "ml.db")
    yield ModelRegistry(store)
    store.close()


def test_round_trip_keeps_arrays_params_and_metrics(registry: ModelRegistry) -> None:
    arrays = {"w": np.arange(12, dtype=np.float32).reshape(3, 4), "vocab": np.array(["ab", "bc", "cd"])}
    v = registry.save(
        "doc_classifier",
        params={"classes": ["lld", "swms"], "alpha": np.float64(0.5)},
        arrays=arrays,
        metrics={"accuracy": 0.9, "nan": float("nan")},
        trained_on=("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"),
    )
    assert v == 1
    art = registry.load("doc_classifier", 1)
    assert art is not None and art.status == "candidate" and art.warnings == ()
    np.testing.assert_array_equal(art.arrays["w"], arrays["w"])
    assert art.arrays["w"].dtype == np.float32
    assert art.arrays["vocab"].tolist() == ["ab", "bc", "cd"]
    assert art.params == {"classes": ["lld", "swms"], "alpha": 0.5}
    assert art.metrics == {"accuracy": 0.9, "nan": None}
    assert art.trained_on == ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z")
    # A candidate is not served: there is no active version yet.
    assert registry.load("doc_classifier") is None
    assert registry.active_version("doc_classifier") is None


def test_object_arrays_are_refused_and_pickled_blobs_never_load() -> None:
    with pytest.raises(InvalidInput, match="dtype object"):
        pack_arrays({"x": np.array([{"a": 1}], dtype=object)})
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)  # a hostile blob
    npz = io.BytesIO()
    with zipfile.ZipFile(npz, "w") as z:
        z.writestr("x.npy", buf.getvalue())
    from quicknav_mcp.ml.registry import CorruptArtifact

    with pytest.raises(CorruptArtifact):
        unpack_arrays(npz.getvalue())


def test_no_pickle_in_the_model_service() -> None:
    root = Path(__file__).resolve().parents[2] / "quicknav_mcp"
    for path in [*(root / "ml").glob("*.py"), *(root / "predict").glob("*.py")]:
        text = path.read_text(encoding="utf-8")
        assert "import pickle" not in text and "allow_pickle=True" not in text, path
        assert "joblib" not in text, path


def test_promote_and_rollback(registry: ModelRegistry) -> None:
    for i in range(3):
        registry.save("m", params={"i": i}, metrics={"score": i})
    registry.promote("m", 1)
    registry.promote("m", 3)
    assert registry.active_version("m") == 3
    assert [(m.version, m.status) for m in registry.list_models()] == [(1, "retired"), (2, "candidate"), (3, "active")]
    assert registry.rollback("m") == 1  # 2 was never served
    assert registry.active_version("m") == 1
    with pytest.raises(InvalidInput, match="no earlier active version"):
        registry.rollback("m")
    with pytest.raises(NotFound, match="no version 9"):
        registry.promote("m", 9)
    with pytest.raises(NotFound, match="'nope' is not in the registry"):
        registry.promote("nope", 1)
    with pytest.raises(InvalidInput, match="version must be"):
        registry.promote("m", 0)


def test_corrupt_active_version_falls_back_with_a_warning(registry: ModelRegistry) -> None:
    registry.save("m", params={"v": 1}, arrays={"w": np.ones(3)}, metrics={}, status="active")
    registry.save("m", params={"v": 2}, arrays={"w": np.full(3, 2.0)}, metrics={}, status="active")
    with registry.store.transaction() as c:  # flip bytes in the middle of the blob
        blob = bytearray(c.execute("SELECT artifact FROM ml_models WHERE version = 2").fetchone()[0])
        blob[len(blob) // 2] ^= 0xFF
        c.execute("UPDATE ml_models SET artifact = ? WHERE version = 2", (bytes(blob),))
    art = registry.load("m")
    assert art is not None and art.version == 1 and art.params == {"v": 1}
    assert art.warnings and "version 2 is corrupt" in art.warnings[0] and "using version 1" in art.warnings[0]
    # With nothing readable left: None plus the reason.
    with registry.store.transaction() as c:
        c.execute("UPDATE ml_models SET artifact = x'00' WHERE version = 1")
    none, warnings = registry.load_with_warnings("m")
    assert none is None and "no earlier version is readable" in warnings[0]
