"""The file-name parser and the query parser read rooms, change orders and revisions alike.

Both are built from domain/grammar.py; a form a query accepts and a file name does not must be
one of the widenings written down there (QUERY_ONLY_FORMS, QUERY_GAP, case).
"""

from __future__ import annotations

import pytest

from quicknav_mcp.domain import parse_change_order, parse_revision, parse_room
from quicknav_mcp.domain.grammar import QUERY_ONLY_FORMS
from quicknav_mcp.search.query import parse_query


def _rev(text: str) -> int | None:
    rev = parse_revision(text)
    return rev.value if rev else None


FILE = {"room": parse_room, "change_order": parse_change_order, "revision": _rev}


def _query(fact: str, text: str) -> int | None:
    return getattr(parse_query(text), fact)


SHARED = [
    ("room", "Room 05", 5),
    ("room", "Room12", 12),
    ("room", "ROOM #3", 3),
    ("room", "Room - 7", 7),
    ("room", "R 12 - LENOVO CORE SMALL", 12),
    ("room", "R1 - TOWNSVILLE", 1),
    ("room", "R12", 12),
    ("room", "R&D lab", None),
    ("room", "Meeting Room", None),
    ("room", "R2D2", None),
    ("change_order", "CO5", 5),
    ("change_order", "CO 12", 12),
    ("change_order", "CO30 External", 30),
    ("change_order", "Change Order 15", 15),
    ("change_order", "ChangeOrder 9", 9),
    ("change_order", "Change+Order+15", 15),
    ("change_order", "[Change+Order+15]", 15),
    ("change_order", "Change Order No. 7", 7),
    ("change_order", "Change Order #7", 7),
    ("change_order", "CHANGE ORDER NUMBER 3", 3),
    ("change_order", "Collab Core", None),
    ("change_order", "Lenovo Core Medium", None),
    ("revision", "Rev 100", 100),
    ("revision", "REV101", 101),
    ("revision", "-Rev203", 203),
    ("revision", "Rev_102", 102),
    ("revision", "REV-101", 101),
    ("revision", "Rev 1.02", 102),
    ("revision", "Rev1.06", 106),
    ("revision", "REVISION 203", 203),
    ("revision", "Rev2", 2),
    ("revision", "Revision 5", 5),
    ("revision", "PREVIEW of room", None),
    ("revision", "Review notes", None),
]


@pytest.mark.parametrize(("fact", "text", "value"), SHARED, ids=[f"{f}:{t}" for f, t, _ in SHARED])
def test_file_names_and_queries_agree_on_every_shared_form(fact: str, text: str, value: int | None) -> None:
    assert FILE[fact](text) == value
    assert _query(fact, text) == value


# One example per query-only keyword: adding a form to QUERY_ONLY_FORMS needs an example here.
QUERY_ONLY_EXAMPLES = {
    ("room", r"RM"): ("rm 12", 12),
    ("change_order", r"C\.O\."): ("c.o. 5", 5),
    ("change_order", r"VO"): ("VO 3", 3),
    ("change_order", r"VARIATIONS?"): ("variation 3", 3),
    ("change_order", r"CHANGE{gap}ORDERS"): ("change orders 4", 4),
}


def test_every_query_only_form_has_an_example() -> None:
    listed = {(fact, form) for fact, forms in QUERY_ONLY_FORMS.items() for form in forms}
    assert listed == set(QUERY_ONLY_EXAMPLES)


@pytest.mark.parametrize(("key", "example"), QUERY_ONLY_EXAMPLES.items(), ids=[k[1] for k in QUERY_ONLY_EXAMPLES])
def test_query_only_forms_are_read_in_queries_not_in_file_names(key: tuple[str, str], example: tuple[str, int]) -> None:
    fact, _ = key
    text, value = example
    assert _query(fact, text) == value
    assert FILE[fact](text) is None


@pytest.mark.parametrize(
    ("fact", "text", "value"),
    [
        # QUERY_GAP: punctuation people type between keyword and number.
        ("revision", "rev:102", 102),
        ("change_order", "co#5", 5),
        ("room", "room:12", 12),
        ("change_order", "co no. 6", 6),
        # Any case: file names need capitals to tell CO5 and R12 from words.
        ("change_order", "co5", 5),
        ("room", "r12", 12),
    ],
)
def test_query_widenings_are_the_documented_ones(fact: str, text: str, value: int) -> None:
    assert _query(fact, text) == value
    assert FILE[fact](text) is None
