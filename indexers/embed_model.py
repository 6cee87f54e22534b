"""The embedding model itself: transformers + mean pooling for the models that are just that.

all-MiniLM-L6-v2 (the default) is a sentence-transformers pipeline of three modules: a BERT
encoder, mean pooling over the tokens, and normalisation. Running those three steps directly on
``transformers`` gives the same vectors (see ``tests/integration/test_embed_vectors.py``) without
importing sentence-transformers, which brings pandas, scipy and scikit-learn along: ~90 MB of a
server's memory for nothing it uses. Models whose pipeline is anything else (other pooling,
dense layers...) are opened with sentence-transformers as before.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"


def open_model(path: Path, max_seq_length: int) -> Any:
    """A model with ``encode(texts, batch_size=..., normalize_embeddings=True, ...)``,
    ``max_seq_length`` and ``dim``; mean-pooling models without sentence-transformers."""
    if _is_mean_pooling(path):
        return MeanPoolingModel(path, max_seq_length)
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    model.max_seq_length = min(max_seq_length, model.max_seq_length or max_seq_length)
    get_dim = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    model.dim = int(get_dim())
    return model


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


class MeanPoolingModel:
    """A transformers encoder, mean pooling over the attention mask, then (optionally) L2 norm."""

    def __init__(self, path: Path, max_seq_length: int) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
        self.dim = int(self.model.config.hidden_size)
        limit = max_seq_length
        with_config = path / "sentence_bert_config.json"
        if with_config.is_file():
            limit = min(limit, int(json.loads(with_config.read_text(encoding="utf-8")).get("max_seq_length", limit)))
        self.max_seq_length = limit

    def encode(
        self,
        texts: list[str],
        *,
        batch_size: int = 32,
        normalize_embeddings: bool = True,
        convert_to_numpy: bool = True,
        show_progress_bar: bool = False,
    ) -> Any:
        """Embeddings in the order of ``texts`` (batched longest first, as sentence-transformers does)."""
        import numpy as np

        torch = self._torch
        del convert_to_numpy, show_progress_bar  # always numpy, never a progress bar
        texts = [str(t).strip() for t in texts]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                enc = self.tokenizer(
                    [texts[i] for i in idx],
                    padding=True,
                    truncation="longest_first",
                    max_length=self.max_seq_length,
                    return_tensors="pt",
                )
                hidden = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                if normalize_embeddings:
                    pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
                out[idx] = pooled.float().numpy()
        return out
