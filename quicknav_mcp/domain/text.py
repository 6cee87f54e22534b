"""Text normalisation shared by the domain parsers."""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[_+]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_SPACES = re.compile(r"\s+")


def words_view(text: str) -> str:
    """Underscores and pluses (web exports) become spaces so word boundaries work."""
    return _SEPARATORS.sub(" ", text)


def fold(text: str) -> str:
    """Lower-case with every run of punctuation/whitespace collapsed to one space."""
    return _NON_ALNUM.sub(" ", text.lower()).strip()


def squash_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()
