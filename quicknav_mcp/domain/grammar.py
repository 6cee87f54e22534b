"""The grammar of rooms, change orders and revisions, defined once for file names and queries.

File names are read with the ``*_IN_NAME`` patterns (names.py, revisions.py). A person typing a
search query writes the same facts, so search/query.py reads queries with the ``*_IN_QUERY``
patterns, built below from the same keywords and numbers and widened in three ways, each written
down once here:

* :data:`QUERY_ONLY_FORMS` — keywords people type that file names do not use for the fact;
* :data:`QUERY_GAP` — what may stand between keyword and number, and the change-order label
  (``No.``, ``#``, ``Number``), which file names write only after "Change Order", after any
  change-order keyword (``co no. 6``);
* no regard to case. File names need capitals to tell ``CO5`` and ``R12`` from words (Collab,
  Core, R&D); in a query the keyword must be followed by the number anyway, and people type
  ``co5`` and ``r12`` in lower case.

File-name patterns are applied to :func:`~quicknav_mcp.domain.text.words_view` of the name (``_``
and ``+`` read as spaces, as web exports write ``Change+Order+15``); query patterns take them in
:data:`QUERY_GAP` instead, so the query's text keeps its shape for the steps after them.
"""

from __future__ import annotations

import re

QUERY_GAP = r"[\s_+\-#:.]*"
"""Between keyword and number in a query: ``rev:102``, ``co#5``, ``room-12``, ``rev.102``, and the
``_``/``+`` of a pasted file name. File names use spaces, dashes, ``#`` and (after REV) ``_`` only:
``:`` cannot occur in a Windows name and ``Rev.5`` is a consultant's revision (see revisions.py)."""

QUERY_ONLY_FORMS: dict[str, tuple[str, ...]] = {
    # "rm 12": typed shorthand. File names spell ROOM out; RM there is a plural in a description
    # ("MTR RM Upgrades"), and a number after it is not a room.
    "room": (r"RM",),
    # "c.o. 5", "vo 3", "variation 3", "change orders 4": what site and commercial staff call a
    # change order. In file names "variation" names the document family (doc_types.py) without
    # saying which change order, and "VO" is too short to trust inside a name.
    "change_order": (r"C\.O\.", r"VO", r"VARIATIONS?", r"CHANGE{gap}ORDERS"),
    "revision": (),
}

# ---------------------------------------------------------------- rooms
ROOM_KEYWORDS = (r"ROOM",)
"""``Room 05``, ``Room12``, ``ROOM #3``."""
ROOM_NUMBER = r"(\d{1,3})(?!\d)"
ROOM_LETTER = r"R"
"""``R 12 - …``, ``R1 - …``: a room of a multi-room project, the letter before a series of drawings."""
ROOM_LETTER_NUMBER = r"(\d{1,2})"
_ROOM_LETTER_BEFORE = r"(?:^|(?<=[\s\-]))"
_ROOM_LETTER_AFTER = r"(?=\s*[-–]|\s|$)"  # "R12 -", "R12 LAYOUT": never "R2D2", "R1.5"

ROOM_IN_NAME = re.compile(rf"\b(?:{'|'.join(ROOM_KEYWORDS)})\s*[-#]?\s*{ROOM_NUMBER}", re.I)
ROOM_LETTER_IN_NAME = re.compile(rf"{_ROOM_LETTER_BEFORE}{ROOM_LETTER}\s?{ROOM_LETTER_NUMBER}{_ROOM_LETTER_AFTER}")

# ---------------------------------------------------------------- change orders
CHANGE_ORDER_KEYWORD = r"CHANGE{gap}ORDER"
CHANGE_ORDER_SHORT = r"CO"
"""``CO5``, ``CO 12``: capitals in file names, so Collab and Core are words."""
CHANGE_ORDER_LABEL = r"NO\.?|NUMBER|\#"
"""``Change Order No. 7``, ``Change Order #7``."""
CHANGE_ORDER_NUMBER = r"(\d{1,3})\b"
_CHANGE_ORDER_IN_NAME_WORDS = CHANGE_ORDER_KEYWORD.format(gap=r"\s*")

CHANGE_ORDER_IN_NAME = re.compile(
    rf"\b{_CHANGE_ORDER_IN_NAME_WORDS}\s*(?:{CHANGE_ORDER_LABEL})?\s*{CHANGE_ORDER_NUMBER}", re.I
)
CHANGE_ORDER_SHORT_IN_NAME = re.compile(rf"\b{CHANGE_ORDER_SHORT}\s?{CHANGE_ORDER_NUMBER}")
CHANGE_ORDER_AFTER_CODE_IN_NAME = re.compile(rf"^\s*\d{{5}}-{CHANGE_ORDER_NUMBER}.*{_CHANGE_ORDER_IN_NAME_WORDS}", re.I)
"""``17741-10 QPS Rooms Change Order to Customer``: file names only (in a query "17741-10" is a code)."""
CHANGE_ORDER_FAMILY_IN_NAME = re.compile(
    # Every branch starts with C or V: the look-ahead passes over other positions with one test.
    rf"(?=[CV])(?:\b{_CHANGE_ORDER_IN_NAME_WORDS}S?\b|\b{CHANGE_ORDER_SHORT}\s?\d{{1,3}}\b"
    r"|\bVARIATIONS?(?:\s*(?:ORDERS?|NO\.?|\#)?\s*\d|\s+ORDERS?\b|$))",
    re.I,
)
"""Words that make a file a change-order document (its family), numbered or not. "Variation" only
with a number, as "Variation Order", or ending the name: a project called "Ops Ctr AV Works
Variation" puts the word in every one of its file names (its design, SWMS, Sales & PO report)."""

# ---------------------------------------------------------------- revisions (the numbered forms)
REVISION_KEYWORD = r"(?<![A-Za-z])REV(?:ISION)?"
"""``Rev 100``, ``REV101``, ``-Rev203``, ``Revision 2``; never PREVIEW or Review."""
REVISION_GAP = r"[\s_\-]*"
REVISION_DECIMAL = r"\d\.\d{2}(?!\d)"
"""``Rev 1.02`` = design revision 102."""
REVISION_DESIGN = r"\d{3}(?!\d)"
"""``Rev 100`` is a design's first issue, ``Rev 203`` a major reissue."""
REVISION_SMALL = r"\d{1,2}(?![\d.])"
"""``Rev2``: a proposal's revision."""

REVISION_DECIMAL_IN_NAME = re.compile(rf"{REVISION_KEYWORD}{REVISION_GAP}({REVISION_DECIMAL})", re.I)
REVISION_DESIGN_IN_NAME = re.compile(rf"{REVISION_KEYWORD}{REVISION_GAP}({REVISION_DESIGN})", re.I)
REVISION_SMALL_IN_NAME = re.compile(rf"{REVISION_KEYWORD}{REVISION_GAP}({REVISION_SMALL})", re.I)
# Consultants' letters (``_(A)``, ``[C1]``, ``Rev.5``) are file-name forms only: see revisions.py.


# ---------------------------------------------------------------- queries
def _keywords(base: tuple[str, ...], fact: str) -> str:
    return "|".join(k.format(gap=QUERY_GAP) for k in (*base, *QUERY_ONLY_FORMS[fact]))


ROOM_IN_QUERY = re.compile(rf"\b(?:{_keywords(ROOM_KEYWORDS, 'room')}){QUERY_GAP}{ROOM_NUMBER}", re.I)
ROOM_LETTER_IN_QUERY = re.compile(
    rf"{_ROOM_LETTER_BEFORE}{ROOM_LETTER}{QUERY_GAP}{ROOM_LETTER_NUMBER}{_ROOM_LETTER_AFTER}", re.I
)
CHANGE_ORDER_IN_QUERY = re.compile(
    rf"\b(?:{_keywords((CHANGE_ORDER_KEYWORD, CHANGE_ORDER_SHORT), 'change_order')})"
    rf"{QUERY_GAP}(?:(?:{CHANGE_ORDER_LABEL}){QUERY_GAP})?{CHANGE_ORDER_NUMBER}",
    re.I,
)
REVISION_IN_QUERY = re.compile(
    rf"{REVISION_KEYWORD}{QUERY_GAP}({REVISION_DECIMAL}|{REVISION_DESIGN}|{REVISION_SMALL})", re.I
)
"""The number as written (``1.02``, ``102``, ``5``); :func:`~.revisions.numbered_revision` values it."""

# ---------------------------------------------------------------- ordinals (queries only)
# "the third change order", "3rd CO", "second variation": people count change orders; file names
# number them. Words up to twentieth; past that people write digits ("the 21st CO").
ORDINAL_WORDS: dict[str, int] = {
    w: n
    for n, w in enumerate(
        [
            "first",
            "second",
            "third",
            "fourth",
            "fifth",
            "sixth",
            "seventh",
            "eighth",
            "ninth",
            "tenth",
            "eleventh",
            "twelfth",
            "thirteenth",
            "fourteenth",
            "fifteenth",
            "sixteenth",
            "seventeenth",
            "eighteenth",
            "nineteenth",
            "twentieth",
        ],
        start=1,
    )
}
NUMBER_WORDS: dict[str, int] = {
    w: n
    for n, w in enumerate(
        [
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ],
        start=1,
    )
}
ORDINAL = rf"(\d{{1,3}})(?:st|nd|rd|th)|({'|'.join(ORDINAL_WORDS)})"
"""``3rd`` (group 1 = 3) or ``third`` (group 2, see :data:`ORDINAL_WORDS`)."""
_CHANGE_ORDER_WORDS = _keywords((CHANGE_ORDER_KEYWORD, CHANGE_ORDER_SHORT), "change_order")

WORD_BEFORE_CHANGE_ORDER = re.compile(rf"\b([A-Za-z]{{5,14}}){QUERY_GAP}(?:{_CHANGE_ORDER_WORDS})\b", re.I)
"""The word before a change-order keyword (an ordinal, maybe misspelt: ``thrid change order``)."""
CHANGE_ORDER_ORDINAL_IN_QUERY = re.compile(rf"\b(?:{ORDINAL}){QUERY_GAP}(?:{_CHANGE_ORDER_WORDS})\b", re.I)
"""``third change order``, ``3rd CO``, ``second variation``."""
CHANGE_ORDER_NUMBER_WORD_IN_QUERY = re.compile(
    rf"\b(?:{_CHANGE_ORDER_WORDS}){QUERY_GAP}(?:(?:{CHANGE_ORDER_LABEL}){QUERY_GAP})?({'|'.join(NUMBER_WORDS)})\b", re.I
)
"""``change order three``, ``CO number two``."""
CHANGE_ORDER_LATEST_IN_QUERY = re.compile(
    rf"\b(?:latest|last|newest|most{QUERY_GAP}recent|final){QUERY_GAP}(?:{_CHANGE_ORDER_WORDS})\b", re.I
)
"""``latest change order``, ``last CO``: the highest-numbered change order of the project."""


def ordinal_value(match: re.Match[str]) -> int:
    """The number of an :data:`ORDINAL` match (``3rd`` or ``third`` -> 3)."""
    digits, word = match.group(1), match.group(2)
    return int(digits) if digits else ORDINAL_WORDS[word.lower()]


# ---------------------------------------------------------------- levels
LEVEL_KEYWORDS = r"LEVEL|LVL|LV|L"
LEVEL_NUMBER = r"(\d{1,2})(?![\d.])"
LEVEL_IN_NAME = re.compile(rf"(?<![A-Za-z0-9])(?:{LEVEL_KEYWORDS})[\s_\-]?0?{LEVEL_NUMBER}(?![A-Za-z])", re.I)
"""``LEVEL 14``, ``L1``, ``Lvl 4``, ``Level_3``: a floor of a building (never ``L1234`` or ``R12``)."""
LEVEL_IN_QUERY = LEVEL_IN_NAME
"""Queries write levels as names do (``level 6``, ``L6``, ``lvl 6``)."""
GROUND_FLOOR = re.compile(r"\b(?:ground(?:\s+floor|\s+level)?|GF|GND)\b", re.I)
"""Level 0."""

# ---------------------------------------------------------------- glued words
_GLUED_BOUNDARY = re.compile(r"(?<=[a-z])(?=[A-Z][a-z])")
"""``ScopeOfWork``, ``HearingLoop``, ``RoomLayout``, ``AsBuilt``: a lower-case letter then a capitalised
word. Capitals runs stay whole (``SWMs``, ``QPS``, ``RSSigned``)."""


# The letters around every boundary: a pattern that starts with a character set is searched several times
# faster than one that starts with a look-behind, and most names have no boundary.
_GLUED = re.compile(r"[a-z][A-Z][a-z]")


def split_glued(text: str) -> str:
    """``text`` with glued capitalised words apart (``ScopeOfWork 1`` -> ``Scope Of Work 1``)."""
    return _GLUED_BOUNDARY.sub(" ", text) if _GLUED.search(text) else text
