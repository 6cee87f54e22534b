"""Facts read from a document's file name: project code, room, change order, sheet, series key.

Rooms and change orders are written as grammar.py defines them; search's query parser reads the same forms.
"""

from __future__ import annotations

import re

from .conflicts import strip_conflict
from .dates import ANY_DATE, may_hold_date
from .grammar import (
    CHANGE_ORDER_AFTER_CODE_IN_NAME,
    CHANGE_ORDER_IN_NAME,
    CHANGE_ORDER_SHORT_IN_NAME,
    ROOM_IN_NAME,
    ROOM_LETTER_IN_NAME,
)
from .revisions import strip_revision
from .tags import strip_tags
from .text import fold, lacks, lower_ascii, words_view

# The look-ahead changes no match: the engine passes over positions without a digit 1-9 with one test
# instead of trying the look-behind there.
_CODE = re.compile(r"(?=[1-9])(?<!\d)([1-9]\d{4})(?!\d)")
# Numbers after these prefixes belong to quotes, purchase orders and invoices, not projects.
_NOT_CODE_PREFIX = re.compile(r"(?:\bQ-?|PURCHASE[_\s-]?|\bPO[\s_-]?|INV|INVOICE[_\s-]?|\bSO-?|#)$", re.I)

_SHEET = re.compile(r"(?<![A-Za-z0-9])([A-Z][A-Z0-9]{0,4}(?:-[A-Z][A-Z0-9]{0,4})*-\d{2,4}[A-Z]?)(?![A-Za-z0-9])")
_SHEET_HINT = re.compile(r"-\d\d")  # what every _SHEET match holds: most names have no dash before digits
_DUPLICATE = re.compile(r"\s*\((\d{1,2})\)\s*$")
# What every ROOM_LETTER_IN_NAME match holds (R, a space at most, a digit; the words view only turns _ and +
# into spaces, which \s? could not skip twice): most names have capitals R, few of them before a number.
_ROOM_LETTER_HINT = re.compile(r"R[\s_+]?\d")
_COPY = re.compile(r"\s*-\s*copy(?:\s*\(\d+\))?\s*$|^copy of\s+", re.I)


def extract_project_code(text: str) -> str | None:
    """A 5-digit project code in a name; glued codes count (PAVS20699), quote/PO numbers do not."""
    for m in _CODE.finditer(text):
        if _NOT_CODE_PREFIX.search(text[max(0, m.start() - 9) : m.start()]):
            continue
        return m.group(1)
    return None


def parse_room(text: str) -> int | None:
    """``Room 05``, ``Room12``, ``R 12 -``, ``R1 -`` -> the room number."""
    # Each pattern is tried only when its keyword is there (ROOM in any case, the letter R in capitals).
    m = None if lacks(lower_ascii(text), "room") else ROOM_IN_NAME.search(text)
    if m is None and "R" in text and _ROOM_LETTER_HINT.search(text):
        m = ROOM_LETTER_IN_NAME.search(words_view(text))
    return int(m.group(1)) if m else None


def parse_change_order(text: str) -> int | None:
    """``CO5``, ``Change Order 7``, ``[Change+Order+15]``, ``17741-10 … Change Order`` -> the number."""
    view = words_view(text)
    worded = not lacks(lower_ascii(text), "change")  # the long form and the form after a code need it
    m = (
        (worded and CHANGE_ORDER_IN_NAME.search(view))
        or ("CO" in view and CHANGE_ORDER_SHORT_IN_NAME.search(view))
        or (worded and CHANGE_ORDER_AFTER_CODE_IN_NAME.search(view))
    )
    return int(m.group(1)) if m else None


def parse_sheet(text: str) -> str | None:
    """A drawing sheet number such as ``A-1101``, ``SAAB-DU-006`` or ``SPT-DG-FFE-B-101``."""
    if _SHEET_HINT.search(text) is None:  # every sheet number has a dash and two digits
        return None
    for m in _SHEET.finditer(text):
        token = m.group(1)
        if token.upper().startswith(("REV", "CO-", "Q-", "PO-", "PAVS-", "LVL-")):
            continue
        return token
    return None


def duplicate_counter(stem: str) -> int | None:
    """The download counter in ``name (1)``: not a revision."""
    m = _DUPLICATE.search(stem) if "(" in stem else None
    return int(m.group(1)) if m else None


def series_key(stem: str, doc_type: str | None = None, change_order: int | None = None) -> str:
    """A document family across revisions: the name without revision, status, date, counters.

    Sales & PO reports of a project form one series whatever their wording, and so do all
    copies of one change order, because people rename those freely.
    """
    if doc_type == "sales_po":
        return "sales & po report"
    if doc_type == "change_order" and change_order is not None:
        return f"change order {change_order}"
    # Each pattern runs only where it can match (a bracket, the word copy, a date's digits).
    text = strip_conflict(stem)
    if "(" in text:
        text = _DUPLICATE.sub(" ", text)
    if not lacks(lower_ascii(text), "copy"):
        text = _COPY.sub(" ", text)
    if may_hold_date(text):
        text = ANY_DATE.sub(" ", text)
    text = strip_revision(text)
    text = strip_tags(text)
    return fold(text)
