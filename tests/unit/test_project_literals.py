"""Finding which project strings hold a word in one pass answers as find_literal string by string."""

from __future__ import annotations

import random

from quicknav_mcp.services.projects import Literals, find_literal

HAYS = [
    "17581 greenleaf digital signage level 2 av works grnlf greenleaf holdings",
    "20699 pavs council chamber refit l3 pavs pavilion services",
    "21614 downer office expansion 333 dwn downer group",
    "",
    "3 ab meeting room upgrade level 3",
    "15502 soc l2 fitout stage² 2 x٣",
    "2501",
]


def one_by_one(hays: list[str], word: str) -> list[int]:
    return [i for i, hay in enumerate(hays) if word in hay and find_literal(hay, word) >= 0]


def test_holding_answers_as_find_literal() -> None:
    rng = random.Random(7)
    words = ["3", "33", "333", "2", "l3", "l2", "ab", "2501", "501", "25", "1", "²", "٣", "x٣", "e²", "zz", "("]
    for _ in range(400):
        hay = rng.choice([h for h in HAYS if h])
        i = rng.randrange(len(hay))
        words.append(hay[i : i + rng.randint(1, 5)].strip())
    for hays in (HAYS, HAYS[:3], ["x"], ["only letters here"], ["line\nbreak 3"]):
        literals = Literals(hays)
        for word in filter(None, words):
            assert literals.holding(word) == one_by_one(hays, word), (hays, word)
