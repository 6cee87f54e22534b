"""The arithmetic of the worker's torch model: bfloat16 where this machine runs it faster and its
vectors agree with float32's, else float32.

A document batch is matrix products over the encoder's weights; on CPUs with native bfloat16
(AVX512-BF16, AMX) torch runs them ~1.7-2x faster per CPU second, and all-MiniLM-L6-v2's vectors
keep a cosine of ~0.99998 to the float32 ones (layer norms, softmax and pooling stay float32
under autocast). Elsewhere bfloat16 is emulated and slower. Which one a machine has is measured,
not guessed from CPU flags: :func:`calibrate` times both on a fixed batch the size of a worker's
call and :func:`decide` keeps bfloat16 only when it is clearly faster and the vectors agree.
Queries stay float32 (the numpy encoder): only the worker's document vectors change.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("quicknav_mcp.indexers.embed")

MIN_COSINE = 0.9999  # bfloat16 vectors must be this close to float32's, on every calibration text
MIN_SPEEDUP = 1.25  # float32 CPU time / bfloat16's: below this the float32 vectors are kept
_ROUNDS = 3  # timed calls of each precision (alternated; the fastest of each counts)

# Calibration texts shaped like the worker's inputs (a name, where it sits, its project); the
# words need not be real documents', only of the vocabulary and length the model sees.
_WORDS = (
    *("council", "chamber", "audio", "visual", "upgrade", "design", "report", "revision", "as", "built"),
    *("drawings", "level", "floor", "plan", "meeting", "room", "fire", "safety", "cabling", "schedule"),
    *("variation", "change", "order", "site", "survey", "handover", "quote", "commissioning", "test"),
    *("results", "north", "building", "boardroom", "projector", "display", "rack", "wiring", "diagram"),
)


@dataclass(frozen=True)
class Choice:
    """The precision the worker's model runs in, and why."""

    precision: str  # "float32" | "bfloat16"
    reason: str
    speedup: float | None = None  # float32 CPU time / bfloat16's on the calibration batch
    min_cosine: float | None = None  # of bfloat16 vectors to float32's

    def __str__(self) -> str:
        """``bfloat16: <why>``, as index_status shows it."""
        return f"{self.precision}: {self.reason}"


def decide(float32_s: float, bfloat16_s: float, min_cosine: float) -> Choice:
    """bfloat16 when it took at most 1/:data:`MIN_SPEEDUP` of float32's time and every vector kept
    a cosine of at least :data:`MIN_COSINE` to float32's; else float32, saying which test failed."""
    speedup = round(float32_s / bfloat16_s, 2) if bfloat16_s > 0 else None
    cosine = round(float(min_cosine), 6)
    if not cosine >= MIN_COSINE:  # NaN fails too
        return Choice("float32", f"bfloat16 vectors differ (cosine {cosine} < {MIN_COSINE})", speedup, cosine)
    if speedup is None or speedup < MIN_SPEEDUP:
        return Choice("float32", f"bfloat16 is not faster here ({speedup}x < {MIN_SPEEDUP}x)", speedup, cosine)
    reason = f"bfloat16 is {speedup}x faster here; vectors agree (cosine >= {cosine})"
    return Choice("bfloat16", reason, speedup, cosine)


def calibration_texts(count: int = 16, words: int = 14) -> list[str]:
    """``count`` fixed texts of ``words`` words each (~30 tokens: a worker call holds ~16)."""
    n = len(_WORDS)
    return [" ".join(_WORDS[(i * 7 + j * 3) % n] for j in range(words)) + f" {1000 + i}" for i in range(count)]


def calibrate(model: Any, closed: Callable[[], bool] = lambda: False) -> Choice:
    """Time ``model.embed_ids`` (a :class:`~.embed_model.MeanPoolingModel`) on one thread in float32
    and in bfloat16 (autocast over the float32 weights: slower than the bfloat16 weights it then
    keeps, so the test errs towards float32) and :func:`decide`. ``closed``: checked before each
    call (~0.1 s), so a shutdown does not wait for the calibration."""
    import numpy as np
    import torch

    ids = model.token_ids(calibration_texts())

    def timed(bf16: bool) -> tuple[Any, float]:
        if closed():
            raise RuntimeError("the embedding model is closed")
        start = time.thread_time()
        vectors = model.embed_ids(ids, bfloat16=bf16)
        return vectors, time.thread_time() - start

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread, as each pool thread runs: CPU time is then this thread's
    try:
        exact = timed(False)[0]  # also the warm-up of float32
        try:
            approx = timed(True)[0]
        except Exception as exc:  # a torch build without bfloat16 kernels for this CPU
            if closed():
                raise
            return Choice("float32", f"bfloat16 failed: {type(exc).__name__}: {exc}"[:200])
        spent = {False: float("inf"), True: float("inf")}
        for _ in range(_ROUNDS):
            for bf16 in (False, True):
                spent[bf16] = min(spent[bf16], timed(bf16)[1])
    finally:
        torch.set_num_threads(threads)
    cosine = float(np.min(np.sum(exact * approx, axis=1)))
    return decide(spent[False], spent[True], cosine)


def choose(model: Any, setting: str, closed: Callable[[], bool] = lambda: False) -> Choice:
    """The worker model's precision for ``setting`` (``auto``, ``float32`` or ``bfloat16``: Config.embed_precision),
    applied to ``model``."""
    choice = calibrate(model, closed) if setting == "auto" else Choice(setting, "set by QUICKNAV_EMBED_PRECISION")
    if choice.precision == "bfloat16":
        model.use_bfloat16()
    log.info("embedding worker runs in %s: %s", choice.precision, choice.reason)
    return choice
