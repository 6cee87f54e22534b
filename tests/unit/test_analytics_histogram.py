"""Latency histograms: percentiles within the bin error of the exact ones, merging is exact."""

from __future__ import annotations

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from quicknav_mcp.analytics import histogram as h


def exact(values: list[float], p: float) -> float:
    """Nearest-rank percentile, computed directly."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=0.01, max_value=3_000_000, allow_nan=False), min_size=1, max_size=400),
    st.sampled_from([50.0, 90.0, 95.0, 99.0, 100.0]),
)
def test_percentile_is_within_the_bin_error(values: list[float], p: float) -> None:
    counts = h.from_values(values)
    got = h.percentile(counts, p, min(values), max(values))
    want = exact(values, p)
    assert got is not None
    assert abs(got - want) <= want * 0.045 + 0.001, (got, want)


def test_merging_in_any_grouping_gives_the_same_histogram() -> None:
    rng = random.Random(3)
    values = [rng.lognormvariate(2, 1) for _ in range(5000)]
    parts = [values[i::7] for i in range(7)]
    blobs = [h.encode(h.from_values(p)) for p in parts]
    merged = b""
    for blob in blobs:
        merged = h.merge_blobs(merged, blob)
    assert h.decode(merged) == h.from_values(values)
    assert h.decode(h.subtract_blobs(merged, blobs[0])) == h.from_values([v for p in parts[1:] for v in p])


def test_edges() -> None:
    assert h.bin_of(0) == 0 and h.bin_of(0.005) == 0
    assert h.bin_of(1e12) == h.NBINS - 1
    assert h.bin_value(h.NBINS - 1) > 3_600_000  # the last bin reaches past an hour
    assert h.percentile({}, 95) is None
    assert h.percentile(h.from_values([5.0]), 99, 5.0, 5.0) == 5.0
    assert h.decode(h.encode({3: 2, 7: 0})) == {3: 2}
    assert h.decode(None) == {} and h.decode(b"") == {}
