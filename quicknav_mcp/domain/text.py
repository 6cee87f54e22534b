"""Text normalisation shared by the domain parsers."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

_ALNUM = re.compile(r"[0-9a-z]+")
_SPACES = re.compile(r"\s+")


def words_view(text: str) -> str:
    """Underscores and pluses (web exports) become spaces so word boundaries work."""
    return text.replace("_", " ").replace("+", " ")  # two replaces cost a sixth of one regex substitution


def fold(text: str) -> str:
    """Lower-case with every run of punctuation/whitespace collapsed to one space."""
    # The runs of letters and digits joined by spaces: the same text as replacing every other run by a
    # space and stripping the ends, found ~30 % faster.
    return " ".join(_ALNUM.findall(text.lower()))


@lru_cache(maxsize=64)
def lower_ascii(text: str) -> str | None:
    """``text`` in lower case when it is ASCII, else None.

    A parser skips a case-insensitive pattern when the lower-cased text lacks the pattern's
    keyword. That test is exact for ASCII text only: Unicode case folding lets ``ſ`` match ``s``
    and ``ı`` match ``i``, so for other text (None) every pattern runs. The last few answers are
    kept (bounded): the parsers of one name ask for the same text several times in a row."""
    return text.lower() if text.isascii() else None


def _always(_word: str) -> bool:
    return True


def word_test(low: str | None) -> Callable[[str], bool]:
    """``word in text`` for ASCII text (``low`` from :func:`lower_ascii`); for other text True for every word
    (folding can change its letters, so a pattern must decide).

    For a parser that tests a dozen words of one name, a bound method costs a fraction of a call."""
    return _always if low is None else low.__contains__


def lacks(low: str | None, *words: str) -> bool:
    """Whether ASCII text (``low`` from :func:`lower_ascii`) holds none of ``words`` by :func:`word_test`
    (never for other text)."""
    has = word_test(low)
    for word in words:  # a loop, not any(): a generator costs more than the test, several times per name
        if has(word):
            return False
    return low is not None


def squash_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
