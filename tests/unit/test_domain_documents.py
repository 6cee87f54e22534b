"""Document families, parse_document, the choice of the current document, and robustness."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quicknav_mcp.domain import (
    DOC_TYPE_SYNONYMS,
    DOC_TYPES,
    auto_choice,
    classify_doc_type,
    client_names_from_documents,
    clients,
    current_by_series,
    parse_document,
    parse_project_folder,
)

SD = "4. System Designs"
HANDOVER_SD = ("5. Customer Handover Documents", "As-Built Documents", "System Designs")
SCO = ("2. BOM & Orders", "Sales & Change Orders")


@pytest.mark.parametrize(
    ("folders", "name", "doc_type"),
    [
        ((SD,), "21614 - POOLWERX TRAINING ROOM & LEVEL 1 UPGRADES - Rev 100.pdf", "lld"),
        ((SD, "ARCHIVE"), "20692 - DOWNER PROJECT B1012 - Rev 100.pdf", "lld"),
        (HANDOVER_SD, "20692 - DOWNER PROJECT B1012 - Rev 102 - AS BUILT.pdf", "lld"),
        ((SD,), "SAAB-DU-006.pdf", "cad"),
        ((SD, "DOCUMENTS"), "Barco F70 Series User Guide.pdf", "manual"),
        ((SD, "ARCHIVE", "DRAFTS - ENG ONLY"), "DHA - SCHEMATICS ONLY.pdf", "hld"),
        ((*SCO,), "20692 - Spotless - Project B1012 - Sales & PO Report 08.08.2024.pdf", "sales_po"),
        ((*SCO, "Old", "1 - General"), "17741 - QPS - Sales & PO Report CO30 04.11.22.pdf", "sales_po"),
        ((*SCO, "Change Orders"), "20692 - Spotless - Project B1012 - CO4.pdf", "change_order"),
        (
            ("1. Sales Handover", "Tranche 2"),
            "QPS+MTR+Room+Upgrades+-+Bulk+Order+[Change+Order+15].pdf",
            "change_order",
        ),
        (("1. Sales Handover", "Purchase Orders"), "PURCHASE_91955 CO2 CO3.pdf", "purchase_order"),
        (("1. Sales Handover", "Purchase Orders"), "3301191298 Pro AV - Quote PAVS-20692.pdf", "purchase_order"),
        (("1. Sales Handover", "Floor Plans"), "Poolwerx ground floor plans.pdf", "floor_plans"),
        (("1. Sales Handover", "Supplier Quotes"), "MadisonAV Q-239119-20250213-1635.pdf", "supplier_quotes"),
        (("3. PMO", "SWM"), "21614 Poolwerx TR L1 Upgrades (SWMS) 2025 v6.0.1.pdf", "swms"),
        (("5. Customer Handover Documents", "QA-ITP Reports"), "21614-Meeting-Poolwerx-Daniel-Thomas.pdf", "qa_itp"),
        (("1. Sales Handover",), "21614 - Project Handover Document.pdf", "handover"),
        (("1. Sales Handover",), "21614 - PoolWerx Training Room  & Lvl 1 Upgrades Proposal Rev2.pdf", "proposal"),
        (("Site Photos",), "IMG_2041.jpg", "photos"),
        ((), "INVINV72871.pdf", "invoice"),
        ((), "GCSLC.pdf", "other"),
    ],
)
def test_doc_types(folders: tuple[str, ...], name: str, doc_type: str) -> None:
    assert classify_doc_type(folders, name) == doc_type
    assert doc_type in DOC_TYPES


def test_legacy_doc_types_and_synonyms_exist() -> None:
    legacy = {
        "lld",
        "hld",
        "change_order",
        "sales_po",
        "floor_plans",
        "scope",
        "qa_itp",
        "swms",
        "supplier_quotes",
        "photos",
    }
    assert legacy <= set(DOC_TYPES)
    assert set(DOC_TYPE_SYNONYMS.values()) <= set(DOC_TYPES)
    assert DOC_TYPE_SYNONYMS["variation"] == "change_order"
    assert DOC_TYPE_SYNONYMS["design"] == "lld"


def test_parse_document_fills_every_field() -> None:
    d = parse_document(HANDOVER_SD, "21614 - POOLWERX TRAINING ROOM & LEVEL 1 UPGRADES - Rev 102 AS-BUILT.pdf")
    assert d.doc_type == "lld" and d.phase == "customer_handover" and d.ext == "pdf"
    assert d.revision.value == 102 and d.is_as_built and d.is_handover_copy and not d.is_archive
    assert d.project_code == "21614"
    d = parse_document(
        ("2. BOM & Orders", "Sales & Change Orders", "Old"),
        "21614 - Poolwerx - Training Room & Level 1 Upgrades - Sales & PO Report  13-03-25.pdf",
    )
    assert d.is_archive and d.doc_type == "sales_po" and d.doc_date.isoformat() == "2025-03-13"
    d = parse_document(
        ("1. Sales Handover", "Floor Plans", "Room01 Townsville Academy  Lenovo Core Medium"), "acadmey1.pdf"
    )
    assert d.room == 1 and d.phase == "sales_handover"
    d = parse_document(("Project Folders",), "GOLD COAST - Rev 100.pdf")
    assert not d.is_archive and d.status_tags == ()
    d = parse_document((), "no extension")
    assert d.ext == "" and d.doc_type == "other"


@dataclass
class Doc:
    name: str
    series_key: str
    revision: int | None = None
    revision_scheme: str | None = "design"
    is_as_built: bool = False
    doc_date: str | None = None
    mtime: float = 0.0
    is_archive: bool = False
    is_handover_copy: bool = False
    status_tags: list[str] = field(default_factory=list)
    phase: str | None = "system_designs"
    doc_type: str = "lld"


def test_current_is_highest_revision_outside_archive() -> None:
    docs = [
        Doc("r100", "s", 100, is_archive=True),
        Doc("r101", "s", 101, is_archive=True),
        Doc("r102", "s", 102),
        Doc("r103-archived", "s", 103, is_archive=True),
    ]
    assert [d.name for d in current_by_series(docs)] == ["r102"]
    assert [d.name for d in current_by_series(docs, include_archive=True)] == ["r102"]


def test_as_built_beats_same_revision_and_decimal_beats_three_digit() -> None:
    docs = [Doc("102", "s", 102), Doc("102ab", "s", 102, is_as_built=True), Doc("101", "s", 101)]
    assert current_by_series(docs)[0].name == "102ab"
    docs = [Doc("1.02", "s", 102), Doc("101", "s", 101)]
    assert current_by_series(docs)[0].name == "1.02"


def test_unnumbered_as_built_is_final_and_draft_loses() -> None:
    docs = [Doc("rev101", "s", 101), Doc("asbuilt", "s", None, revision_scheme=None, is_as_built=True)]
    assert current_by_series(docs)[0].name == "asbuilt"
    docs = [Doc("draft", "s", 100, status_tags=["DRAFT"], mtime=9), Doc("issued", "s", 100, mtime=1)]
    assert current_by_series(docs)[0].name == "issued"


def test_handover_copy_not_counted_twice() -> None:
    docs = [
        Doc("orig", "s", 102, is_as_built=True),
        Doc("copy", "s", 102, is_as_built=True, is_handover_copy=True, phase="customer_handover"),
    ]
    assert [d.name for d in current_by_series(docs)] == ["orig"]
    assert [d.name for d in auto_choice(docs)] == ["orig"]


def test_dated_reports_go_by_date() -> None:
    docs = [
        Doc("orig", "p", None, None, doc_type="sales_po", phase="bom_orders"),
        Doc("mar", "p", None, None, doc_date="2025-03-13", doc_type="sales_po", is_archive=True),
        Doc("apr", "p", None, None, doc_date="2025-04-03", doc_type="sales_po", phase="bom_orders"),
        Doc("v2-old-date", "p", 2, "proposal", doc_date="2024-04-08", doc_type="sales_po"),
    ]
    assert current_by_series(docs)[0].name == "apr"


def test_auto_choice_single_winner_or_short_selection() -> None:
    one = [Doc("a100", "a", 100), Doc("a101", "a", 101)]
    assert [d.name for d in auto_choice(one)] == ["a101"]
    two = [Doc("l1", "level 1", 105), Doc("l3", "level 3", 107)]
    assert {d.name for d in auto_choice(two)} == {"l1", "l3"}
    loose = [Doc("design", "d", 105), Doc("loose", "x", None, None)]
    assert [d.name for d in auto_choice(loose)] == ["design"]
    many = [Doc(f"r{i}", f"room {i}", 100) for i in range(40)]
    assert len(auto_choice(many)) == 10
    assert auto_choice([]) == []


def test_client_names_from_documents() -> None:
    folder = parse_project_folder("21614 - PLWRX  TR L1 Upgrades")
    names = [
        "21614 - Poolwerx - Training Room & Level 1 Upgrades - CO1.pdf",
        "21614 - Poolwerx - Training Room & Level 1 Upgrades - CO2.pdf",
        "21614 - POOLWERX TRAINING ROOM & LEVEL 1 UPGRADES - Rev 100.pdf",
    ]
    assert client_names_from_documents(folder, names) == ["Poolwerx"]
    folder = parse_project_folder("20692 - DWNR  - Project B1012")
    names = [
        "20692 - DOWNER PROJECT B1012 - Rev 100.pdf",
        "Downer B1012.pdf",
        "20692 - Spotless - Project B1012 - CO1.pdf",
        "20692 - Spotless - Project B1012 - CO2.pdf",
    ]
    assert set(client_names_from_documents(folder, names)) == {"Downer", "Spotless"}


def _second_by_definition(text: str, code: str) -> str | None:
    parts = [p.strip() for p in clients._SEGMENTS.split(text) if p.strip()]
    return parts[1] if len(parts) >= 3 and code in parts[0] else None


_SEGMENT_PIECES = ["21614", " - ", " – ", "  -  ", "-", " ", "Poolwerx", "Sales", "x", "", " - - ", "\t-\t"]


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_SEGMENT_PIECES), max_size=9))
def test_second_segment_is_the_second_of_three_or_more_segments(pieces: list[str]) -> None:
    """Split in three first (the quick way most names take), yet the same as splitting the whole name: empty
    pieces are no segments, whatever their place."""
    text = "".join(pieces)
    assert clients._second_segment(text, "21614") == _second_by_definition(text, "21614")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=5), st.text(max_size=120))
def test_parse_document_never_raises(folders: list[str], name: str) -> None:
    d = parse_document(folders, name)
    assert d.doc_type in DOC_TYPES
    assert isinstance(d.series_key, str)


def test_every_real_path_parses(real_paths: list[str]) -> None:
    projects = set()
    for line in real_paths:
        parts = line.split("/")
        assert parts[0] == "Project Folders"
        assert parse_project_folder(parts[1]) is None  # the range folder is not a project
        project = parse_project_folder(parts[2])
        assert project is not None, parts[2]
        projects.add(project.code)
        d = parse_document(parts[3:-1], parts[-1])
        assert d.doc_type in DOC_TYPES
    assert len(projects) == 14


def test_proposal_style_marks_do_not_make_a_single_winner() -> None:
    docs = [Doc("quote rev0", "a", 0, "proposal"), Doc("other quote", "b", None, None)]
    assert len(auto_choice(docs)) == 2
    draft = [Doc("draft design", "a", 100, status_tags=["DRAFT"]), Doc("loose", "b", None, None)]
    assert len(auto_choice(draft)) == 2
