"""The rules for outside input: one digit normalisation, what a project reference is, page numbers
and the suggestions for misspelled argument names."""

from __future__ import annotations

import pytest

from quicknav_mcp.errors import InvalidInput
from quicknav_mcp.services.projects import find_literal
from quicknav_mcp.validation import (
    clean_text,
    closest_name,
    fold_digits,
    project_code,
    project_ref,
    unknown_arguments,
    whole_number,
)

# 17741 written in every decimal digit system people paste from.
SEVENTEEN_SEVEN_FORTY_ONE = {
    "full-width": "１７７４１",
    "Arabic-Indic": "١٧٧٤١",
    "Extended Arabic-Indic (Persian)": "۱۷۷۴۱",
    "Devanagari": "१७७४१",
    "Bengali": "১৭৭৪১",
    "Thai": "๑๗๗๔๑",
    "mathematical bold": "𝟏𝟕𝟕𝟒𝟏",
}


@pytest.mark.parametrize("script", sorted(SEVENTEEN_SEVEN_FORTY_ONE))
def test_every_decimal_digit_system_folds_to_ascii(script: str) -> None:
    text = SEVENTEEN_SEVEN_FORTY_ONE[script]
    assert fold_digits(text) == "17741"
    assert clean_text(text, "q") == "17741"
    assert project_code(text) == "17741"
    assert project_ref(text).code == "17741"
    assert whole_number(text, "page", 1, 99_999) == 17741


def test_fold_digits_leaves_everything_else_alone() -> None:
    assert fold_digits("Room ٣ - Level ２") == "Room 3 - Level 2"
    assert clean_text("Room ٣ - Ｌevel ２", "q") == "Room 3 - Level 2"
    assert fold_digits("项目 ½ Ⅻ ²") == "项目 ½ Ⅻ ²"  # numerals that are not decimal digits stay
    assert fold_digits("plain 123") == "plain 123"


@pytest.mark.parametrize("value", ["21614", 21614, "  21614 ", "２１６１４", "٢١٦١٤"])
def test_five_digit_codes_resolve_exactly(value: object) -> None:
    ref = project_ref(value)
    assert ref.code == "21614" and ref.text == "21614"


@pytest.mark.parametrize(
    ("value", "letters", "literal", "numbers"),
    [
        ("Poolwerx", True, True, []),
        ("50 Quay St", True, True, ["50"]),
        ("501", False, True, ["501"]),  # a number alone, 3+ digits: searched as a whole number
        (501, False, True, ["501"]),
        ("(2501)", False, True, ["2501"]),
        ("216140", False, True, ["216140"]),  # 6 digits is not a code
        ("CO-1", True, True, ["1"]),
        ("col:*", True, False, []),  # letters, but query syntax no folder name can hold
        ("pool*", True, False, []),
        ("a|b", True, False, []),
        ('"50 Quay St"', True, True, ["50"]),  # quotes only mark a phrase
        ("L1", True, True, ["1"]),
    ],
)
def test_search_terms_are_classified(value: object, letters: bool, literal: bool, numbers: list[str]) -> None:
    ref = project_ref(value)
    assert ref.code is None
    assert (ref.has_letters, ref.literal, ref.numbers) == (letters, literal, numbers)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (True, "got true"),
        (False, "got false"),
        ("-1", "no letters and no number of at least 3 digits"),
        (-1, "no letters and no number of at least 3 digits"),
        ("1 OR 1=1", "no letters and no number of at least 3 digits"),  # OR is an operator, not a word
        ("12 34", "no letters and no number of at least 3 digits"),
        ("0", "no letters and no number of at least 3 digits"),
        ("*", "only operators and punctuation"),
        ("--", "only operators and punctuation"),
        ("AND OR NOT", "only operators and punctuation"),
        ('"" : *', "only operators and punctuation"),
        ("", "is empty"),
        ("\u200b\x00", "is empty"),
        (["21614"], "must be text, got a list"),
        (21614.0, "must be text, got a decimal number"),
    ],
)
def test_terms_without_content_are_refused(value: object, reason: str) -> None:
    with pytest.raises(InvalidInput, match="project_number") as err:
        project_ref(value)
    assert reason in str(err.value)


def test_refusals_say_what_would_work() -> None:
    with pytest.raises(InvalidInput) as err:
        project_ref("-1")
    assert "5-digit project number like 17741" in str(err.value) and "words" in str(err.value)


@pytest.mark.parametrize(
    ("hay", "needle", "pos"),
    [
        ("18810 pavs sa saab hearing loop 2501", "2501", 32),
        ("18810 pavs sa saab hearing loop 2501", "501", -1),  # inside a longer number
        ("21614 plwrx tr l1 upgrades", "2161", -1),
        ("21614 plwrx tr l1 upgrades", "1614", -1),
        ("21614 plwrx tr l1 upgrades", "1", 16),  # L1: the digit run is whole
        ("21614 plwrx tr l1 upgrades", "l1", 15),
        ("20692 dwnr project b1012", "1012", 20),
        ("20692 dwnr project b1012", "b101", -1),
        ("21614 plwrx tr l1 upgrades", "plw", 6),  # letters may match part of a word
        ("a 12 and 123 and 12", "12", 2),
        ("a 123 and 12", "12", 10),  # the first whole occurrence, after a partial one
    ],
)
def test_literal_matches_keep_digit_runs_whole(hay: str, needle: str, pos: int) -> None:
    assert find_literal(hay, needle) == pos


@pytest.mark.parametrize(
    ("value", "expected"),
    [("1", 1), ("017", 17), ("10000", 10_000), ("２", 2), ("٢", 2), (" 3 ", 3)],
)
def test_page_numbers(value: str, expected: int) -> None:
    assert whole_number(value, "page", 1, 10_000) == expected


@pytest.mark.parametrize("value", ["abc", "0", "-1", "+1", "1.0", "1e3", "10001", "１７７４１", "9" * 30, "", "½", "Ⅻ"])
def test_bad_page_numbers_are_refused(value: str) -> None:
    with pytest.raises(InvalidInput, match="page must be a whole number from 1 to 10000"):
        whole_number(value, "page", 1, 10_000)


SEARCH_ARGS = ["query", "project_number", "doc_type", "filters", "limit", "offset", "current_only", "user_id"]


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("projectNumber", "project_number"),
        ("ProjectNumber", "project_number"),
        ("project-number", "project_number"),
        ("PROJECT_NUMBER", "project_number"),
        ("docType", "doc_type"),
        ("limt", "limit"),
        ("querry", "query"),
        ("currentOnly", "current_only"),
        ("userid", "user_id"),
        ("banana", None),
    ],
)
def test_closest_argument_name(given: str, meant: str | None) -> None:
    assert closest_name(given, SEARCH_ARGS) == meant


def test_unknown_argument_messages() -> None:
    assert unknown_arguments("search_documents", ["query", "limit"], SEARCH_ARGS) is None
    one = unknown_arguments("search_documents", ["query", "projectNumber"], SEARCH_ARGS)
    assert one is not None
    assert one.startswith("unknown argument 'projectNumber'; did you mean 'project_number'?")
    assert "search_documents takes: query, project_number, doc_type" in one
    two = unknown_arguments("search_documents", ["banana", "limt"], SEARCH_ARGS)
    assert two is not None and two.startswith("unknown arguments 'banana', 'limt' (did you mean 'limit'?)")
    none = unknown_arguments("index_status", ["verbose"], [])
    assert none == "unknown argument 'verbose' (index_status takes no arguments)"
