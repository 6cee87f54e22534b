"""Day-first (Australian) dates in names: 05.06.2025, 23.09.22, 31-Jan-2025, 12_03_2024, 20240325."""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from .text import lower_ascii

_MONTHS = {
    m: i for i, m in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)
}
_DMY = re.compile(r"(?<![\d.])(\d{1,2})(?P<sep>[./_\-])(\d{1,2})(?P=sep)(\d{4}|\d{2})(?![\d])")
_DMONY = re.compile(
    r"(?<!\d)(\d{1,2})[\s_\-]?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[\s_\-]?(\d{4}|\d{2})(?!\d)", re.I
)
_YMD = re.compile(r"(?<!\d)(20\d{2}|19\d{2})(\d{2})(\d{2})(?!\d)")
_ISO = re.compile(r"(?<!\d)(20\d{2}|19\d{2})-(\d{2})-(\d{2})(?!\d)")


# Every date form in one pattern, for removing dates from names (series keys).
# Every form starts with a digit: the look-ahead lets the engine pass over other positions with one test.
ANY_DATE = re.compile(
    r"(?=\d)(?:"
    + "|".join(f"(?i:{p.pattern})" if p.flags & re.I else f"(?:{p.pattern})" for p in (_ISO, _DMY, _DMONY, _YMD))
    + ")"
)


# What every date form above holds (same classes and flags, so exact for any text): a digit then a
# separator and a digit, seven more digits, or a month. It starts with a digit, which the regex engine
# skips to, where the forms above start with look-behinds tried at every position: names without a
# date (most) are told apart several times faster.
_DATE_HINT = re.compile(r"\d(?:[./_\-]\d|\d{7}|[\s_\-]?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))", re.I)
# The same test for ASCII text in lower case: there ``\d`` is [0-9] and case is already folded, and a
# pattern that starts with a character set and ignores no case is searched ~2.5x faster.
_DATE_HINT_ASCII = re.compile(
    r"[0-9](?:[./_\-][0-9]|[0-9]{7}|[\s_\-]?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))"
)


@lru_cache(maxsize=64)
def may_hold_date(text: str) -> bool:
    """False when ``text`` cannot hold any date form (then :func:`find_date` is None, ``ANY_DATE`` finds nothing).

    The last few answers are kept (bounded): a name's date and its series key ask about the same text in a row."""
    low = lower_ascii(text)
    if low is not None:
        return _DATE_HINT_ASCII.search(low) is not None
    return _DATE_HINT.search(text) is not None


def _make(year: int, month: int, day: int) -> date | None:
    if year < 100:
        year += 2000
    if not 1990 <= year <= 2100:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def find_date(text: str) -> tuple[date, str] | None:
    """The first valid date in ``text`` and the exact text it came from."""
    if not may_hold_date(text):
        return None
    for m in _ISO.finditer(text):
        d = _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            return d, m.group(0)
    for m in _DMY.finditer(text):
        d = _make(int(m.group(4)), int(m.group(3)), int(m.group(1)))
        if d:
            return d, m.group(0)
    for m in _DMONY.finditer(text):
        d = _make(int(m.group(3)), _MONTHS[m.group(2).lower()[:3]], int(m.group(1)))
        if d:
            return d, m.group(0)
    for m in _YMD.finditer(text):
        d = _make(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            return d, m.group(0)
    return None


def parse_date(text: str) -> date | None:
    """The first valid day-first date in ``text``, or None."""
    found = find_date(text)
    return found[0] if found else None
