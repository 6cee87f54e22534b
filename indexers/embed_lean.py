"""One short text through a BERT encoder without transformers' per-call machinery (queries).

A query is a handful of tokens (median 5 over the bench's queries): the encoder's arithmetic
then costs less than what ``BertModel.forward`` does around it (module dispatch, mask building,
output dataclasses, signature checks), which was ~25 % of a query embedding's CPU here (~6.4
against ~8.0 ms). :class:`LeanBert` runs the same operations on the model's own weights (no copy)
for one sequence without padding, so without an attention mask: the same vectors as the model's
forward to ~1e-7 (``tests/integration/test_embed_vectors.py`` checks it on the real model).

Only plain BERT encoders qualify (:meth:`LeanBert.of` says None otherwise: other architectures,
relative positions, activations other than exact GELU); batches always take the model's forward.
"""

from __future__ import annotations

from typing import Any


class LeanBert:
    """Mean-pooled embedding of one unpadded token sequence, from a ``BertModel``'s weights."""

    def __init__(self, model: Any) -> None:
        import torch

        self._torch = torch
        cfg = model.config
        emb = model.embeddings
        self.dim = int(cfg.hidden_size)
        self.heads = int(cfg.num_attention_heads)
        self.eps = float(cfg.layer_norm_eps)
        self.word = emb.word_embeddings.weight
        self.positions = emb.position_embeddings.weight
        self.token_type = emb.token_type_embeddings.weight[0]
        self.norm = (emb.LayerNorm.weight, emb.LayerNorm.bias)
        self.layers = [
            (
                layer.attention.self.query,
                layer.attention.self.key,
                layer.attention.self.value,
                layer.attention.output.dense,
                layer.attention.output.LayerNorm,
                layer.intermediate.dense,
                layer.output.dense,
                layer.output.LayerNorm,
            )
            for layer in model.encoder.layer
        ]

    @classmethod
    def of(cls, model: Any) -> LeanBert | None:
        """A lean runner for ``model`` when it is a plain BERT encoder, else None."""
        cfg = getattr(model, "config", None)
        plain = (
            type(model).__name__ == "BertModel"
            and getattr(cfg, "hidden_act", None) == "gelu"
            and getattr(cfg, "position_embedding_type", "absolute") == "absolute"
            and not getattr(cfg, "is_decoder", False)
            and getattr(cfg, "hidden_size", 0) % max(getattr(cfg, "num_attention_heads", 0), 1) == 0
        )
        if not plain:
            return None
        try:
            return cls(model)
        except AttributeError:  # a BertModel laid out otherwise: the model's forward serves
            return None

    def embed(self, ids: list[int], *, normalize: bool = True) -> Any:
        """The mean of the last hidden states of ``ids`` (float32 numpy, shape ``(1, dim)``)."""
        torch = self._torch
        f = torch.nn.functional
        n, d, h = len(ids), self.dim, self.heads
        with torch.inference_mode():
            x = self.word[torch.tensor(ids)] + self.positions[:n] + self.token_type
            x = f.layer_norm(x, (d,), *self.norm, self.eps)
            for query, key, value, out, out_norm, inner, inner_out, inner_norm in self.layers:
                q, k, v = (lin(x).view(n, h, d // h).transpose(0, 1) for lin in (query, key, value))
                att = f.scaled_dot_product_attention(q, k, v).transpose(0, 1).reshape(n, d)
                x = f.layer_norm(out(att) + x, (d,), out_norm.weight, out_norm.bias, self.eps)
                x = f.layer_norm(inner_out(f.gelu(inner(x))) + x, (d,), inner_norm.weight, inner_norm.bias, self.eps)
            pooled = x.mean(0, keepdim=True)
            if normalize:
                pooled = f.normalize(pooled, p=2, dim=1)
            return pooled.float().numpy()
