"""A BERT mean-pooling sentence encoder in numpy, read from the model folder's own files.

all-MiniLM-L6-v2 as sentence-transformers runs it is a BERT encoder, mean pooling over the tokens and
normalisation. :class:`NumpyBert` runs those operations itself on the weights of the folder's
``model.safetensors`` (memory-mapped: the word-embedding table, half of the model, is read only for
the tokens a text has) with the folder's fast tokenizer (``tokenizer.json``, the ``tokenizers``
package), so a server whose documents are embedded answers semantic queries without importing torch
or transformers (~300 MB of memory less). Its vectors equal the torch pipeline's to within float32
rounding (``tests/unit/test_embed_numpy.py`` compares them on a few hundred texts).

It opens only what it can run exactly: a ``BertModel`` with absolute positions and GELU, float32
weights, mean pooling (see :func:`.embed_weights.numpy_runs`); anything else goes through torch as before.
"""

from __future__ import annotations

import json
import logging
import mmap
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .embed_model import ByLength
from .embed_weights import SAFETENSORS_DTYPES, strip_prefix

log = logging.getLogger(__name__)

_CHUNK_TOKENS = 4096  # tokens per forward at most (bounds the attention scores of long batches)


# erfc(z) ~ t * poly(t) * exp(-z*z) with t = 1 / (1 + P * z), z >= 0 (Abramowitz & Stegun 7.1.26,
# absolute error < 1.5e-7): the coefficients are halved here, so the polynomial gives erfc / 2.
_ERFC_P = np.float32(0.3275911 * 0.7071067811865476)  # P / sqrt(2): z is |x| / sqrt(2)
_ERFC_HALF = tuple(np.float32(c / 2) for c in (1.061405429, -1.453152027, 1.421413741, -0.284496736, 0.254829592))


def _gelu(x: Any) -> Any:
    """x * Phi(x) (the erf GELU of BERT) of a float32 array, in place: Phi(x) = 0.5 + sign(x) *
    (0.5 - erfc(|x| / sqrt 2) / 2), whose erfc is within 1.5e-7 of the exact one, i.e. float32's
    own rounding of values <= 1 (~20 array operations, against ~30 for the 10-term series of before)."""
    t = np.abs(x)
    t *= _ERFC_P
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    half = t * _ERFC_HALF[0]
    for c in _ERFC_HALF[1:]:
        half += c
        half *= t
    gauss = np.multiply(x, x, out=t)  # t is no longer needed: exp(-x*x/2) = exp(-z*z)
    gauss *= np.float32(-0.5)
    np.exp(gauss, out=gauss)
    half *= gauss  # erfc(|x| / sqrt 2) / 2 = 1 - Phi(|x|)
    np.subtract(np.float32(0.5), half, out=half)
    np.copysign(half, x, out=half)
    half += np.float32(0.5)
    x *= half
    return x


_LAYER_PARTS = (
    "attention.output.dense",
    "intermediate.dense",
    "output.dense",
    "attention.output.LayerNorm",
    "output.LayerNorm",
)
_ALIGN = 16  # floats (64 bytes): each copied array starts a cache line


def _packed(groups: list[dict[str, list[Any]]], checkpoint: Callable[[], None]) -> dict[str, Any]:
    """Float32 copies of mapped arrays, each entry its parts stacked along the first axis (vectors
    as columns), all in one buffer. A query's forward streams every layer's weights (~42 MB, more
    than the cache) from memory: numpy asks Linux for huge pages for a buffer of 4 MB or more
    (``MADV_HUGEPAGE``), which the separate copies (<= 2.4 MB each) never got, and on huge pages
    an encoding was measured ~10 % faster (the same arithmetic: the same vectors, bit for bit).
    ``checkpoint`` is called before each group's copies."""
    sizes = {name: sum(part.size for part in parts) for group in groups for name, parts in group.items()}
    total = sum(-(-size // _ALIGN) * _ALIGN for size in sizes.values())
    held = np.empty(total + _ALIGN, dtype=np.float32)  # malloc aligns it to 16 bytes only
    start = (-held.ctypes.data % (4 * _ALIGN)) // 4
    arena = held[start : start + total]
    out: dict[str, Any] = {}
    offset = 0
    for group in groups:
        checkpoint()
        for name, parts in group.items():
            view = arena[offset : offset + sizes[name]]
            np.concatenate([np.ravel(part) for part in parts], out=view)
            view = view.reshape(sum(len(part) for part in parts), *parts[0].shape[1:])
            view.flags.writeable = False  # (a stray write would corrupt its neighbours in the buffer too)
            out[name] = view[:, None] if view.ndim == 1 else view
            offset += -(-sizes[name] // _ALIGN) * _ALIGN
    return out


class NumpyBert(ByLength):
    """Token ids and mean-pooled, normalised embeddings of a BERT model, in numpy (thread-safe:
    calls share the read-only weights; the tokenizer is used by one thread at a time)."""

    def __init__(self, path: Path, max_seq_length: int, *, checkpoint: Callable[[], None] = lambda: None) -> None:
        """``checkpoint`` is called between layers' copies (a load in the background gives way there)."""
        self._mmap: mmap.mmap | None = None
        self._cancelled = False
        try:
            self._open(path, max_seq_length, checkpoint)
        except BaseException:
            self.close()  # the memory map is not left open behind a failed load
            raise

    def _open(self, path: Path, max_seq_length: int, checkpoint: Callable[[], None]) -> None:
        from tokenizers import Tokenizer

        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        self.dim = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        limit = min(max_seq_length, int(config.get("max_position_embeddings", max_seq_length)))
        with_config = path / "sentence_bert_config.json"
        if with_config.is_file():
            limit = min(limit, int(json.loads(with_config.read_text(encoding="utf-8")).get("max_seq_length", limit)))
        self.max_seq_length = limit
        mapped = self._map(path / "model.safetensors")
        # The word and position tables stay memory-mapped (a text reads only its tokens' rows); each
        # layer's matrices are copied once in the file's (out, in) layout, query/key/value stacked
        # into one, and vectors are kept as columns for the products (see _forward).
        self._weights = {k: v for k, v in mapped.items() if k.startswith("embeddings.")}
        groups: list[dict[str, list[Any]]] = []  # per layer: name -> the mapped arrays stacked into it
        for n in range(self.layers):
            if self._cancelled:
                raise RuntimeError("the numpy encoder is closed")
            p = f"encoder.layer.{n}."
            parts = [p + f"attention.self.{part}" for part in ("query", "key", "value")]
            group = {p + "qkv.weight": [mapped[name + ".weight"] for name in parts]}
            group[p + "qkv.bias"] = [mapped[name + ".bias"] for name in parts]
            for name in _LAYER_PARTS:
                group.update({p + name + part: [mapped[p + name + part]] for part in (".weight", ".bias")})
            groups.append(group)
        groups.append(
            {"embeddings.LayerNorm" + part: [mapped["embeddings.LayerNorm" + part]] for part in (".weight", ".bias")}
        )
        self._weights.update(_packed(groups, checkpoint))
        if hasattr(mmap, "MADV_DONTNEED"):  # the copied layers' pages leave this process (the tables stay mapped)
            self._map_held().madvise(mmap.MADV_DONTNEED)
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.no_padding()
        self._truncation = -1
        self.pad_id = int(config.get("pad_token_id") or 0)
        # The tokenizer's truncation setting is one Rust object: set and used under one lock.
        self._tokenizer_lock = threading.Lock()

    def close(self) -> None:
        """Drop the weights and close the file's memory map (a call still running keeps its views
        of the map: then the map closes when the last goes, and this says so in the log)."""
        self._weights = {}
        held, self._mmap = self._mmap, None
        if held is not None:
            try:
                held.close()
            except BufferError:  # a forward on another thread still reads the tables
                log.debug("model map still read by a running call: it closes when that call ends")

    def cancel(self) -> None:
        """Closing: calls under way stop at their next layer (a batch on a busy machine takes seconds
        to finish, which shutdown would wait for) and later calls fail; :meth:`close` still frees."""
        self._cancelled = True

    @property
    def closed(self) -> bool:
        return self._mmap is None

    def _map_held(self) -> mmap.mmap:
        if self._mmap is None:
            raise RuntimeError("the numpy encoder is closed")
        return self._mmap

    def _map(self, file: Path) -> dict[str, Any]:
        with file.open("rb") as fh:
            self._mmap = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        mapped = self._mmap
        (size,) = struct.unpack("<Q", mapped[:8])
        header = json.loads(mapped[8 : 8 + size])
        base = 8 + size
        out: dict[str, Any] = {}
        for name, meta in strip_prefix(header).items():
            if name.endswith("position_ids"):
                continue
            start, end = meta["data_offsets"]
            dtype = np.dtype(SAFETENSORS_DTYPES[meta["dtype"]]).newbyteorder("<")
            array = np.frombuffer(mapped, dtype=dtype, count=(end - start) // dtype.itemsize, offset=base + start)
            out[name] = array.reshape(meta["shape"])
        return out

    def _w(self, name: str) -> Any:
        try:
            return self._weights[name]
        except KeyError:
            if self._mmap is None or self._cancelled:  # closed while a call ran (it passed its checks before)
                raise RuntimeError("the numpy encoder is closed") from None
            raise

    def token_ids(self, texts: list[str], max_tokens: int | None = None) -> list[list[int]]:
        """Each text's token ids (with [CLS]/[SEP]), cut at ``max_tokens`` (at most the model's limit)."""
        limit = min(max_tokens or self.max_seq_length, self.max_seq_length)
        with self._tokenizer_lock:
            if self._truncation != limit:
                self.tokenizer.enable_truncation(max_length=limit)
                self._truncation = limit
            cleaned = [str(t).strip() for t in texts]
            # One text (a query) is encoded on this thread: a batch goes to the tokenizer's thread pool,
            # whose wake-up on a busy machine took a query's tokens from ~0.02 ms to 1-50 ms now and then.
            one = len(cleaned) == 1
            encodings = [self.tokenizer.encode(cleaned[0])] if one else self.tokenizer.encode_batch(cleaned)
        return [e.ids for e in encodings]

    def embed_ids(self, batch: list[list[int]], *, normalize: bool = True) -> Any:
        """Mean-pooled embeddings (float32) of token id lists, padded to the longest of each chunk."""
        self._map_held()  # closed: say so (not a KeyError from the dropped weights)
        out = np.empty((len(batch), self.dim), dtype=np.float32)
        width = max((len(ids) for ids in batch), default=1) or 1
        per_call = max(1, _CHUNK_TOKENS // width)
        for lo in range(0, len(batch), per_call):
            out[lo : lo + per_call] = self._forward(batch[lo : lo + per_call])
        if normalize and len(out):
            norms = np.linalg.norm(out, axis=1, keepdims=True)
            out /= np.maximum(norms, 1e-12)
        return out

    # ------------------------------------------------------------------ the encoder
    # Hidden states are held as columns, (dim, tokens): each dense layer is then the file's own
    # (out, in) matrix times them, which OpenBLAS runs ~20-35 % faster than rows times the
    # transposed matrix for the few tokens of a query (it streams the weights once; a query's
    # forward is bound by reading them).

    def _norm(self, x: Any, prefix: str) -> Any:
        """Layer norm of each column of ``x`` (float32, in place)."""
        scale = np.float32(1.0 / self.dim)
        mean = x.sum(axis=0)
        mean *= scale
        x -= mean
        var = np.einsum("dn,dn->n", x, x)
        var *= scale
        var += np.float32(self.eps)
        np.sqrt(var, out=var)
        x /= var
        x *= self._w(prefix + ".weight")
        x += self._w(prefix + ".bias")
        return x

    def _dense(self, x: Any, prefix: str) -> Any:
        out = self._w(prefix + ".weight") @ x
        out += self._w(prefix + ".bias")
        return out

    def _forward(self, batch: list[list[int]]) -> Any:
        """Mean of the last hidden states over each text's tokens (not normalised). One text (a
        query) has no padding: no mask is built or applied."""
        rows, width = len(batch), max(len(ids) for ids in batch)
        padded = any(len(seq) != width for seq in batch)
        ids = np.full((rows, width), self.pad_id, dtype=np.int64)
        for r, seq in enumerate(batch):
            ids[r, : len(seq)] = seq
        x = self._w("embeddings.word_embeddings.weight")[ids]
        x += self._w("embeddings.position_embeddings.weight")[:width]
        x += self._w("embeddings.token_type_embeddings.weight")[0]
        x = self._norm(np.ascontiguousarray(x.reshape(rows * width, self.dim).T), "embeddings.LayerNorm")
        heads, size = self.heads, self.dim // self.heads
        scale = np.float32(1.0 / np.sqrt(size))
        mask = bias = None
        if padded:
            mask = np.zeros((rows, width), dtype=np.float32)
            for r, seq in enumerate(batch):
                mask[r, : len(seq)] = 1.0
            bias = ((mask - 1.0) * np.float32(3.0e38))[:, None, None, :]  # no weight on padding
        for n in range(self.layers):
            if self._cancelled:
                raise RuntimeError("the numpy encoder is closed")
            p = f"encoder.layer.{n}."
            qkv = self._dense(x, p + "qkv").reshape(3, heads, size, rows, width)
            q = qkv[0].transpose(2, 0, 3, 1)  # (rows, heads, width, size)
            scores = q @ qkv[1].transpose(2, 0, 1, 3)  # (rows, heads, width, width): query x key
            scores *= scale
            if bias is not None:
                scores += bias
            scores -= scores.max(axis=-1, keepdims=True)
            np.exp(scores, out=scores)
            scores /= scores.sum(axis=-1, keepdims=True)
            context = scores @ qkv[2].transpose(2, 0, 3, 1)  # (rows, heads, width, size)
            context = context.transpose(1, 3, 0, 2).reshape(self.dim, rows * width)
            attended = self._dense(context, p + "attention.output.dense")
            attended += x
            x = self._norm(attended, p + "attention.output.LayerNorm")
            out = self._dense(_gelu(self._dense(x, p + "intermediate.dense")), p + "output.dense")
            out += x
            x = self._norm(out, p + "output.LayerNorm")
        hidden = x.reshape(self.dim, rows, width)
        if mask is None:
            return hidden.mean(axis=2).T
        summed = np.einsum("drw,rw->rd", hidden, mask)
        return summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
