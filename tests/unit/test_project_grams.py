"""The trigram filter never drops a project string that holds the text (or all its words)."""

from __future__ import annotations

import random

from quicknav_mcp.services.project_grams import Trigrams

HAYS = [
    "17581 greenleaf digital signage level 2 av works grnlf greenleaf holdings",
    "20699 pavs council chamber refit pavs pavilion services",
    "21614 downer office expansion dwn downer group",
    "ab meeting room upgrade northpoint",
    "",
]


def test_candidates_hold_every_match() -> None:
    grams = Trigrams(HAYS)
    rng = random.Random(5)
    texts = ["ab", "pavs", "level 2", "room upgrade", "downer office", "zzz", "av works", "2 av", "nope x"]
    for _ in range(300):
        hay = rng.choice(HAYS[:4])
        i = rng.randrange(len(hay))
        texts.append(hay[i : i + rng.randint(1, 12)].strip())
    for text in filter(None, texts):
        words = text.split()
        found = set(grams.candidates(text, words))
        for i, hay in enumerate(HAYS):
            if text in hay or (len(words) > 1 and all(w in hay for w in words)):
                assert i in found, (text, hay)


def test_no_shared_trigram_means_no_candidate() -> None:
    grams = Trigrams(HAYS)
    assert grams.candidates("qqq", ["qqq"]) == []
    assert grams.holding("ab") is None  # too short to say
    assert grams.candidates("ab", ["ab"]) == list(range(len(HAYS)))
