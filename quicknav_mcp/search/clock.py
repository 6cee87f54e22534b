"""The instant a search ranks at: documents' ages and recency boosts are measured from it.

One definition for the hand-weighted boosts (:class:`.ranking.RankContext`) and the learned
ranker's features (:func:`.features.candidate_features`), read through this module at call time so
that a test can pin both to a generated firm's own date (whose files do not age with the calendar).
"""

from __future__ import annotations

import time


def now() -> float:
    """Seconds since the epoch: the wall clock."""
    return time.time()
