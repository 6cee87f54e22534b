"""The candidate table's recency order (not archived first, then newest, then lowest id) from one numpy
sort is the order the Python sort with that key gives, ties and equal times included."""

from __future__ import annotations

import random
from array import array

from quicknav_mcp.search.candidate_snapshot import ARCHIVE, recency_places


def test_recency_places_match_the_sort_by_archive_then_newest_then_id() -> None:
    rng = random.Random(7)
    n = 5_000
    ids = array("i", sorted(rng.sample(range(1, 50_000), n)))
    mtime = array("d", [rng.choice([0.0, 1.5, 1e9, rng.random() * 1e9]) for _ in range(n)])
    flags = array("B", [rng.randrange(16) for _ in range(n)])
    expected = array("i", bytes(4 * n))
    for place, row in enumerate(sorted(range(n), key=lambda r: (flags[r] & ARCHIVE, -mtime[r], ids[r]))):
        expected[row] = place
    assert recency_places(ids, mtime, flags) == expected
    assert recency_places(array("i"), array("d"), array("B")) == array("i")
