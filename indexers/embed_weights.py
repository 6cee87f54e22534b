"""What a sentence-transformers model folder holds, read without importing numpy or torch: whether it
is a plain mean-pooling model, and whether the numpy encoder (:mod:`.embed_numpy`) runs it exactly."""

from __future__ import annotations

import importlib.util
import json
import struct
from pathlib import Path
from typing import Any

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"


def _is_mean_pooling(path: Path) -> bool:
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
        types = [m["type"] for m in modules]
        if types not in ([_TRANSFORMER, _POOLING], [_TRANSFORMER, _POOLING, _NORMALIZE]):
            return False
        if modules[0].get("path", "") != "":
            return False
        pooling = json.loads((path / modules[1]["path"] / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return False
    modes = {k for k, v in pooling.items() if k.startswith("pooling_mode") and v}
    return modes == {"pooling_mode_mean_tokens"}


SAFETENSORS_DTYPES = {"F32": "float32"}  # weight types the numpy encoder reads (exactly as stored)


def numpy_runs(path: Path) -> bool:
    """Whether the numpy encoder (:mod:`.embed_numpy`) runs the model in ``path`` exactly: mean
    pooling over a plain BERT encoder (absolute positions, GELU), float32 safetensors weights and a
    fast tokenizer, with the ``tokenizers`` package installed (no numpy imported to tell)."""
    if not _is_mean_pooling(path) or importlib.util.find_spec("tokenizers") is None:
        return False
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        with (path / "model.safetensors").open("rb") as fh:
            (size,) = struct.unpack("<Q", fh.read(8))
            header = json.loads(fh.read(size)) if size <= 10_000_000 else {}
    except (OSError, ValueError, struct.error):
        return False
    plain = (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and not config.get("is_decoder", False)
    )
    tensors = strip_prefix(header)
    dtypes = {v.get("dtype") for k, v in tensors.items() if not k.endswith("position_ids")}
    has = "embeddings.word_embeddings.weight" in tensors and (path / "tokenizer.json").is_file()
    return plain and has and dtypes <= set(SAFETENSORS_DTYPES)


def strip_prefix(header: dict[str, Any]) -> dict[str, Any]:
    """A safetensors header's tensors by name without a ``bert.`` prefix (checkpoints saved from a
    task model have one)."""
    return {k.removeprefix("bert."): v for k, v in header.items() if k != "__metadata__"}
