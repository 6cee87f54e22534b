"""Revision marks in document names, in the firm's three schemes.

design      ``Rev 100`` (first issue), ``REV101``, ``-Rev203`` (major reissue), ``Rev 1.02`` = 102
proposal    ``Proposal Rev2``, ``V2``: small numbers, compared after dates
consultant  ``A-1101_(A)``, ``[C1]``, ``Rev.5``, ``(Rev_I)``: letters (and letter+digit) or small numbers

The numbered forms after REV are grammar.py's (shared with search queries); the consultants' and
``V2`` forms occur in file names only.
"""

from __future__ import annotations

import re

from .grammar import REVISION_DECIMAL_IN_NAME as _DECIMAL
from .grammar import REVISION_DESIGN_IN_NAME as _DESIGN
from .grammar import REVISION_SMALL_IN_NAME as _PROPOSAL
from .models import Revision
from .text import lacks, lower_ascii

_CONSULTANT_PAREN = re.compile(r"\(\s*REV[\s_.\-]*([A-Z]\d?|\d{1,2})\s*\)", re.I)
_CONSULTANT_DOT = re.compile(r"(?<![A-Za-z])REV\.\s*([A-Z]\d?|\d{1,2})(?![A-Za-z0-9])", re.I)
_CONSULTANT_SUFFIX = re.compile(r"_\(([A-Z]\d?)\)\s*$")
_CONSULTANT_BRACKET = re.compile(r"\[([A-Z]\d?)\]")
_CONSULTANT_LETTER = re.compile(r"(?<![A-Za-z])(?i:REV)[\s_\-]+([A-Z])(?![A-Za-z0-9])")
_VERSION = re.compile(r"(?<![A-Za-z0-9])V(\d{1,2})(?:\.\d+)*(?![A-Za-z0-9])", re.I)


def _letter_value(token: str) -> int:
    """``A`` -> 100, ``B`` -> 200, ``C1`` -> 301, ``5`` -> 5: letters outrank plain numbers."""
    token = token.upper()
    if token.isdigit():
        return int(token)
    value = (ord(token[0]) - ord("A") + 1) * 100
    if len(token) > 1 and token[1:].isdigit():
        value += int(token[1:])
    return value


def numbered_revision(number: str, raw: str) -> Revision:
    """The revision a number after REV means: ``1.02`` and ``102`` design 102, ``5`` proposal 5.

    ``number`` is what the grammar's revision number forms matched (file names and queries alike).
    """
    if "." in number:
        return Revision(int(number.replace(".", "")), raw, "design")
    return Revision(int(number), raw, "design" if len(number) == 3 else "proposal")


# What every _VERSION match holds in lower-case ASCII text (a V then an ASCII digit): "v" alone is in most
# names (AV, services), a V before a digit in few.
_VERSION_HINT = re.compile(r"v[0-9]")


def _lacks_version(low: str | None) -> bool:
    """Whether ASCII text (``low`` from :func:`lower_ascii`) cannot hold a ``V2`` mark (never for other text)."""
    return low is not None and ("v" not in low or _VERSION_HINT.search(low) is None)


# Every pattern but these three needs the word REV: a name without it (most) tries only these.
_WITHOUT_REV = (_CONSULTANT_SUFFIX, _CONSULTANT_BRACKET, _VERSION)


def parse_revision(stem: str) -> Revision | None:
    """The revision mark in a file name (without extension), or None."""
    low = lower_ascii(stem)
    rev = not lacks(low, "rev")
    if rev:
        for pattern in (_DECIMAL, _DESIGN):
            m = pattern.search(stem)
            if m:
                return numbered_revision(m.group(1), m.group(0).strip(" -_"))
    consultant = (
        (_CONSULTANT_PAREN, _CONSULTANT_DOT, _CONSULTANT_SUFFIX, _CONSULTANT_BRACKET, _CONSULTANT_LETTER)
        if rev
        else (_CONSULTANT_SUFFIX, _CONSULTANT_BRACKET)
    )
    for pattern in consultant:
        m = pattern.search(stem)
        if m:
            return Revision(_letter_value(m.group(1)), m.group(0).strip(" -_"), "consultant")
    m = _PROPOSAL.search(stem) if rev else None
    if m:
        return numbered_revision(m.group(1), m.group(0).strip(" -_"))
    m = None if _lacks_version(low) else _VERSION.search(stem)
    if m:
        return Revision(int(m.group(1)), m.group(0).strip(" -_"), "proposal")
    return None


def _any_of(patterns: tuple[re.Pattern[str], ...], first: str) -> re.Pattern[str]:
    """One alternation of ``patterns``, every match of which starts with a character of class ``first``.

    The look-ahead on ``first`` (case-insensitive, as the REV and V forms are) changes no match: it
    lets the engine pass over every other position with one test instead of trying each branch's
    look-behind there (a name's marks are removed ~5x faster)."""
    branches = "|".join(f"(?i:{p.pattern})" if p.flags & re.I else f"(?:{p.pattern})" for p in patterns)
    return re.compile(f"(?i:(?={first}))(?:{branches})")


_ANY_REVISION = _any_of(
    (
        _DECIMAL,
        _DESIGN,
        _CONSULTANT_PAREN,
        _CONSULTANT_DOT,
        _CONSULTANT_SUFFIX,
        _CONSULTANT_BRACKET,
        _CONSULTANT_LETTER,
        _PROPOSAL,
        _VERSION,
    ),
    r"[(\[_rv]",  # ( [ _ as the consultants' forms start, REV or V otherwise
)
# The same alternation less the branches that need REV: where those cannot match, the leftmost match is the same.
_ANY_REVISION_WITHOUT_REV = _any_of(_WITHOUT_REV, r"[\[_v]")


def strip_revision(text: str) -> str:
    """The text with every revision mark removed (for series keys); one combined pattern."""
    low = lower_ascii(text)
    if not lacks(low, "rev"):
        return _ANY_REVISION.sub(" ", text)
    if lacks(low, "[", "_(") and _lacks_version(low):
        return text
    return _ANY_REVISION_WITHOUT_REV.sub(" ", text)
