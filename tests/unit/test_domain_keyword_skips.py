"""The parsers skip a pattern when the name lacks its keyword: the answers must be the pattern's own.

Each case compares the parser with the bare pattern it skips, over real names (when the corpus is
there) and names built to sit on the edges: keywords in other cases, glued to separators, and
Unicode letters that case-insensitive matching folds onto ASCII ones (``ſ`` is ``s``, ``ı`` is ``i``).
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from quicknav_mcp.domain import classify_doc_type, dates, names, parse_revision, revisions, status_tags
from quicknav_mcp.domain.dates import ANY_DATE, find_date, may_hold_date
from quicknav_mcp.domain.grammar import _GLUED_BOUNDARY, CHANGE_ORDER_FAMILY_IN_NAME, ROOM_LETTER_IN_NAME, split_glued
from quicknav_mcp.domain.names import _ROOM_LETTER_HINT, _SHEET, _SHEET_HINT, parse_room
from quicknav_mcp.domain.revisions import _ANY_REVISION, strip_revision
from quicknav_mcp.domain.tags import _ANY_TAG, strip_tags
from quicknav_mcp.domain.text import fold, lacks, lower_ascii, word_test, words_view

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "real_paths.txt"

TOKENS = [
    "Rev 103",
    "REV_1.02",
    "rev.5",
    "(Rev_I)",
    "_(A)",
    "[C1]",
    "V2",
    "v3.1",
    "AS-BUILT",
    "as built",
    "ENG DRAFT",
    "rpsigned",
    "ſIGNED",
    "orıginal",
    "ʀev 4",
    "05.06.2025",
    "23.09.22",
    "31-Jan-2025",
    "12_03_2024",
    "20240325",
    "2024-03-25",
    "3 feb 24",
    "17741",
    "Sales & PO",
    "ſales_PO",
    "Change+Order+15",
    "Scope",
    "Level 1",
    "é",
    "R12 - Layout",
    "R_1",
    "R+2",
    "R 3",
    "Room05",
    "ROOM #3",
    "(REV A)",
    "R\u00a05",
    "A-1101",
    "SAAB-DU-006",
    "Variation",
    "VARIATION ORDER",
    "co 5",
    "Co12",
    "\u0661\u0662.03.2024",
]


def _names() -> list[str]:
    built = [" - ".join(p) for p in itertools.permutations(TOKENS, 2)]
    built += ["_".join(p) for p in itertools.combinations(TOKENS, 3)]
    if CORPUS.exists():
        built += [line.rstrip("\n").rsplit("/", 1)[-1] for line in CORPUS.open(encoding="utf-8")]
    return built


NAMES = _names()


def test_lower_ascii_and_lacks() -> None:
    assert lower_ascii("Rev 1") == "rev 1"
    assert lower_ascii("ſigned") is None
    assert lacks("plan a", "rev")
    assert not lacks("plan rev a", "draft", "rev")
    assert not lacks(None, "rev")  # other text: every pattern runs


def test_unicode_case_folding_still_matches() -> None:
    assert status_tags("Plan ſIGNED") == ("SIGNED",)
    assert status_tags("orıginal drawing") == ("ORIGINAL",)
    assert classify_doc_type((), "ſales & PO report.pdf") == "sales_po"


def test_skipped_patterns_agree_with_the_bare_patterns() -> None:
    for name in NAMES:
        assert strip_revision(name) == _ANY_REVISION.sub(" ", name), name
        assert strip_tags(name) == _ANY_TAG.sub(" ", words_view(name)), name
        if not may_hold_date(name):
            assert ANY_DATE.search(name) is None, name
            assert find_date(name) is None, name


@pytest.mark.parametrize(
    ("stem", "raw"),
    [("Plan V2", "V2"), ("Plan_(B)", "(B)"), ("Plan [C1]", "[C1]"), ("Plan rev 5", "rev 5"), ("Plan", None)],
)
def test_revisions_without_the_word_rev(stem: str, raw: str | None) -> None:
    rev = parse_revision(stem)
    assert (rev.raw if rev else None) == raw


def _bare(patterns: tuple[re.Pattern[str], ...]) -> re.Pattern[str]:
    """The alternation of ``patterns`` without the look-ahead the parsers put in front of it."""
    return re.compile("|".join(f"(?i:{p.pattern})" if p.flags & re.I else f"(?:{p.pattern})" for p in patterns))


def test_lookaheads_change_no_match() -> None:
    every_revision = _bare(
        (
            revisions._DECIMAL,
            revisions._DESIGN,
            revisions._CONSULTANT_PAREN,
            revisions._CONSULTANT_DOT,
            revisions._CONSULTANT_SUFFIX,
            revisions._CONSULTANT_BRACKET,
            revisions._CONSULTANT_LETTER,
            revisions._PROPOSAL,
            revisions._VERSION,
        )
    )
    without_rev = _bare(revisions._WITHOUT_REV)
    co_family = re.compile(CHANGE_ORDER_FAMILY_IN_NAME.pattern.removeprefix("(?=[CV])"), re.I)
    every_date = _bare((dates._ISO, dates._DMY, dates._DMONY, dates._YMD))
    for name in NAMES:
        assert _ANY_REVISION.sub(" ", name) == every_revision.sub(" ", name), name
        assert revisions._ANY_REVISION_WITHOUT_REV.sub(" ", name) == without_rev.sub(" ", name), name
        assert ANY_DATE.sub(" ", name) == every_date.sub(" ", name), name
        if _ROOM_LETTER_HINT.search(name) is None:
            assert ROOM_LETTER_IN_NAME.search(words_view(name)) is None, name
        if _SHEET_HINT.search(name) is None:
            assert _SHEET.search(name) is None, name
        found = CHANGE_ORDER_FAMILY_IN_NAME.search(name)
        bare = co_family.search(name)
        assert (found and found.span()) == (bare and bare.span()), name


def test_room_letter_forms_behind_the_hint() -> None:
    assert parse_room("R12 - Layout") == 12
    assert parse_room("R_1 - Layout") == 1  # the words view reads _ and + as spaces
    assert parse_room("R+2") == 2
    assert parse_room("PAVS R2D2") is None


def test_fast_forms_agree_with_the_plain_ones() -> None:
    """Hints, ASCII-only patterns and string methods that stand in for a pattern give its answers."""
    plain_code = re.compile(names._CODE.pattern.removeprefix("(?=[1-9])"))
    for name in NAMES:
        low = lower_ascii(name)
        assert may_hold_date(name) == (dates._DATE_HINT.search(name) is not None), name
        if revisions._lacks_version(low):
            assert revisions._VERSION.search(name) is None, name
        has = word_test(low)
        for word in ("rev", "co", "q-", "é", "sales"):
            assert has(word) == (not lacks(low, word)), name
        assert split_glued(name) == _GLUED_BOUNDARY.sub(" ", name), name
        assert fold(name) == re.sub(r"[^0-9a-z]+", " ", name.lower()).strip(), name
        assert words_view(name) == re.sub(r"[_+]", " ", name), name
        assert [m.span() for m in names._CODE.finditer(name)] == [m.span() for m in plain_code.finditer(name)], name
