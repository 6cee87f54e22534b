"""Paired comparison of two rankers over the same queries: is a difference more than chance?

A challenger and the ranker it would replace are scored on the same held-out queries, so each
query gives one difference (challenger minus incumbent, MRR or nDCG@10). Most differences of two
good rankers are 0 (both right); what matters is whether the non-zero ones lean one way more
than chance would make them. Two views of it:

* a paired bootstrap of the mean difference (queries drawn with replacement, a fixed seed, so a
  decision is reproducible): ``p_loss`` is the share of resamples whose mean difference is not
  below 0 — small when the challenger is worse on most ways the queries could have fallen;
* an exact sign test over the queries that differ (``p_sign_loss``: the chance of at least this
  many losses among the differing queries if losing and winning were equally likely).

A loss is *significant* when the bootstrap's ``p_loss`` is below ``alpha`` and the mean difference
is below ``-tolerance``: one unlucky query of twenty does not block a model (p ≈ 0.36), three of
twenty without a win do (p ≈ 0.04). The sign test is reported beside it (it ignores sizes).
Pure numpy, no scipy: a promotion decides on a few hundred numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

ALPHA = 0.05
RESAMPLES = 4_000
TOLERANCE = 1e-4  # metrics are rounded to 4 places: a difference below it is a tie


@dataclass(frozen=True)
class Paired:
    """One paired comparison (challenger minus incumbent) over ``n`` queries."""

    n: int
    mean: float  # mean difference
    wins: int  # queries the challenger does better on
    losses: int
    ties: int
    p_loss: float  # bootstrap: share of resamples whose mean difference is >= 0 (1.0 with no queries)
    p_gain: float  # ... whose mean difference is <= 0
    p_sign_loss: float  # exact sign test: P(at least this many losses | a fair coin over the differing queries)
    significant_loss: bool
    significant_gain: bool

    def as_dict(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def sign_p(losses: int, differing: int) -> float:
    """One-sided exact binomial tail: P(X >= losses) for X ~ Binomial(differing, 1/2)."""
    if differing <= 0 or losses <= 0:
        return 1.0
    tail = sum(math.comb(differing, k) for k in range(losses, differing + 1))
    return min(1.0, tail / (1 << differing))  # exact integers: a float power overflows past 1,023


def paired_test(
    differences: Sequence[float],
    *,
    alpha: float = ALPHA,
    resamples: int = RESAMPLES,
    seed: int = 0,
    tolerance: float = TOLERANCE,
) -> Paired:
    """The paired bootstrap and sign test of per-query ``differences`` (challenger − incumbent)."""
    import numpy as np

    d = np.asarray(differences, np.float64)
    d = np.where(np.abs(d) <= tolerance, 0.0, d)
    n = int(d.size)
    wins, losses = int((d > 0).sum()), int((d < 0).sum())
    if n == 0:
        return Paired(0, 0.0, 0, 0, 0, 1.0, 1.0, 1.0, False, False)
    mean = float(d.mean())
    if wins + losses == 0:
        p_loss = p_gain = 1.0
    else:
        rng = np.random.default_rng(seed)
        means = np.empty(resamples)
        block = max(1, 2_000_000 // n)  # bounded memory: at most ~16 MB of indexes at a time
        for lo in range(0, resamples, block):
            hi = min(resamples, lo + block)
            means[lo:hi] = d[rng.integers(0, n, size=(hi - lo, n))].mean(axis=1)
        p_loss = float((means >= 0).mean())
        p_gain = float((means <= 0).mean())
    return Paired(
        n=n,
        mean=mean,
        wins=wins,
        losses=losses,
        ties=n - wins - losses,
        p_loss=p_loss,
        p_gain=p_gain,
        p_sign_loss=sign_p(losses, wins + losses),
        significant_loss=p_loss < alpha and mean < -tolerance,
        significant_gain=p_gain < alpha and mean > tolerance,
    )
