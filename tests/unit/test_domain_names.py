"""Revisions, status tags, dates, rooms, change orders, sheets, codes, archives and series keys."""

from __future__ import annotations

from datetime import date

import pytest

from quicknav_mcp.domain import (
    duplicate_counter,
    extract_project_code,
    is_archive_segment,
    parse_change_order,
    parse_date,
    parse_revision,
    parse_room,
    parse_sheet,
    series_key,
    status_tags,
)


@pytest.mark.parametrize(
    ("stem", "value", "scheme"),
    [
        ("21614 - POOLWERX TRAINING ROOM & LEVEL 1 UPGRADES - Rev 100", 100, "design"),
        ("20797-HTCHB-INGENIA VICTORIA POINT CLUB HOUSE-Rev203", 203, "design"),
        ("20797-HTCHB-INGENIA VICTORIA POINT CLUB HOUSE-Rev100", 100, "design"),
        ("20865 - CPQST 50 QUAY ST - LEVEL 1 - REV 101", 101, "design"),
        ("20865 - 50 QUAY STREET - AV CABLE SCHEDULE - Rev 1.06", 106, "design"),
        ("20699 - VOLVO - VCV BRISBANE BOARDROOM - Rev 1.02 As Built", 102, "design"),
        ("R1 - LEN CORE MED #02 - TOWNSVILLE - Rev100", 100, "design"),
        ("21614 - PoolWerx Training Room  & Lvl 1 Upgrades Proposal Rev2", 2, "proposal"),
        ("21614 - PoolWerx Training Room  & Lvl 1 Upgrades Proposal Rev5", 5, "proposal"),
        ("A-1101_(A)", 100, "consultant"),
        ("A-1101_(C)", 300, "consultant"),
        ("Level 3 Plan [C1]", 301, "consultant"),
        ("Electrical Layout Rev.5", 5, "consultant"),
        ("Ceiling Plan (Rev_I)", 900, "consultant"),
        ("Report 08.04.2024 V2", 2, "proposal"),
    ],
)
def test_revisions(stem: str, value: int, scheme: str) -> None:
    rev = parse_revision(stem)
    assert rev is not None and (rev.value, rev.scheme) == (value, scheme)


def test_decimal_revision_orders_above_three_digit() -> None:
    assert parse_revision("X - Rev 1.02").value > parse_revision("X - Rev 101").value


@pytest.mark.parametrize(
    "stem",
    [
        "Santos video walls (1)",
        "SPT-DG-FFE-B-101-A-03 (2)",
        "PREVIEW of room",
        "Project Handover Document",
        "GCSLC",
        "Review notes",
    ],
)
def test_not_revisions(stem: str) -> None:
    assert parse_revision(stem) is None


def test_duplicate_counter_is_not_a_revision() -> None:
    assert duplicate_counter("Santos video walls (1)") == 1
    assert duplicate_counter("SAAB HEARING LOOP (2501) - Rev 102") is None


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("21614 - X - Rev 102 AS-BUILT", ("AS-BUILT",)),
        ("20692 - X - Rev 102 - AS BUILT", ("AS-BUILT",)),
        ("20699 - X - Rev 1.02 As Built", ("AS-BUILT",)),
        ("20381 - NEOEN MAIN BOARDROOM UPLIFT - AsBuilt", ("AS-BUILT",)),
        ("20692 - DOWNER PROJECT B1012 - Rev 100 DRAFT", ("DRAFT",)),
        ("20797 - HTCHB - X - Rev 100 - ENG DRAFT", ("ENG DRAFT",)),
        ("20692 - Spotless - Project B1012 -  Sales & PO Report ORIGINAL", ("ORIGINAL",)),
        ("17741 - QPS - CO7 - rpsigned", ("SIGNED",)),
        ("QPS+MTR+Room+Upgrades+Change+Order+50+Rev1_RSSigned", ("SIGNED",)),
        ("APPROVED 17742 INVOICE_13510 617790", ("APPROVED",)),
        ("OnSold Support Services Register - Master Template 3-22", ("TEMPLATE",)),
        ("17741 - GOLD COAST DISTRICT OFFICE - Rev 100", ()),
        ("DESIGNED BY ENGINEERING", ()),
        ("20381 - Neoen OLD Office - Sales & PO Report", ()),
        ("Finalist drafting", ()),
    ],
)
def test_status_tags_are_words(text: str, tags: tuple[str, ...]) -> None:
    assert status_tags(text) == tags


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("X - Sales & PO Report - 03.04.2025", date(2025, 4, 3)),
        ("X - Sales & PO Report 23.09.22", date(2022, 9, 23)),
        ("X - Sales & PO Report  13-03-25", date(2025, 3, 13)),
        ("X - Sales & PO Report 12_03_2024", date(2024, 3, 12)),
        ("Minutes 31-Jan-2025", date(2025, 1, 31)),
        ("Scan 20240325", date(2024, 3, 25)),
        ("Received 03-03-2025", date(2025, 3, 3)),
        ("MadisonAV Q-239119-20250213-1635", date(2025, 2, 13)),
        ("X - Rev 1.02", None),
        ("Master Template 3-22", None),
        ("Spec v6.0.1", None),
        ("31.02.2025", None),
        ("QLD-QA-FT-v1-05-21614-Poolwerx", None),
    ],
)
def test_day_first_dates(text: str, expected: date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("text", "room"),
    [
        ("17741 - R 12 - LENOVO CORE SMALL #04 - L6 85 GEORGE ST - M6.01 - REV 101 AS-BUILT", 12),
        ("R1 - LEN CORE MED #02 - TOWNSVILLE - Rev100", 1),
        ("Priority 19 - Room 12 – MTR-SFP-DTACC-1", 12),
        ("Room01 Townsville Academy  Lenovo Core Medium Room Solution #01", 1),
        ("Room 05 layout", 5),
        ("MTR-ETS-MTR2 Floorplan", None),
        ("R&D lab", None),
        ("Meeting Room", None),
    ],
)
def test_rooms(text: str, room: int | None) -> None:
    assert parse_room(text) == room


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("20692 - Spotless - Project B1012 -  CO1", 1),
        ("20692 - Spotless - Project B1012 - CO8", 8),
        ("20797 - Change Order 15", 15),
        ("QPS+MTR+Room+Upgrades+-+Bulk+Order+[Change+Order+15]", 15),
        ("17741-10 QPS Rooms Change Order to Customer", 10),
        ("17741 - QPS MTR Room Upgrades - Bulk Order - CO30 External", 30),
        ("PAVS SA Collab MR Renewal", None),
        ("Lenovo Core Medium", None),
        ("Change Order - PAVS20699 - Additional Labour", None),
    ],
)
def test_change_orders(text: str, number: int | None) -> None:
    assert parse_change_order(text) == number


@pytest.mark.parametrize(
    ("text", "sheet"),
    [
        ("A-1101_(A)", "A-1101"),
        ("SAAB-DU-006", "SAAB-DU-006"),
        ("SAAB-E2-041", "SAAB-E2-041"),
        ("PAVS-20692 quote", None),
        ("Q-04974", None),
        ("Downer B1012", None),
    ],
)
def test_sheets(text: str, sheet: str | None) -> None:
    assert parse_sheet(text) == sheet


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("21614 - Poolwerx - CO1", "21614"),
        ("Change Order - PAVS20699 - Additional Labour", "20699"),
        ("3301191298 Pro AV - Quote PAVS-20692", "20692"),
        ("(20692) - Project Handover Document", "20692"),
        ("Pro AV - LLD BOM Report (By Location) PAVS20957 SLSQ", "20957"),
        ("Barco Quote Q-04974 - 20240621", None),
        ("PURCHASE_94566 CO2 CO3", None),
        ("INVINV72871", None),
        ("PO-85414- for the change order", None),
        ("Scan 20240325", None),
        ("MadisonAV Q-239119-20250213-1635", None),
    ],
)
def test_project_codes(text: str, code: str | None) -> None:
    assert extract_project_code(text) == code


@pytest.mark.parametrize(
    ("segment", "archive"),
    [
        ("ARCHIVE", True),
        ("ARCHIVED", True),
        ("Archive", True),
        ("OLD DRAWINGS", True),
        ("Old", True),
        ("OLD INFO", True),
        ("SUPERSEDED", True),
        ("Superseded Drawings", True),
        ("DRAFTS - ENG ONLY", True),
        ("Old Revisions", True),
        ("_archive", True),
        ("Project Folders", False),
        ("Gold Coast", False),
        ("Folders", False),
        ("Older Buildings Survey", False),
        ("4. System Designs", False),
        ("Sales & Change Orders", False),
        ("Bold", False),
        ("Neoen OLD Office", False),
    ],
)
def test_archive_by_whole_segment(segment: str, archive: bool) -> None:
    assert is_archive_segment(segment) is archive


def test_series_key_ignores_revision_status_date_and_separators() -> None:
    keys = {
        series_key("20692 - DOWNER PROJECT B1012 - Rev 100 DRAFT"),
        series_key("20692 - DOWNER PROJECT B1012 - Rev 101"),
        series_key("20692 - DOWNER PROJECT B1012 - Rev 102 - AS BUILT"),
    }
    assert len(keys) == 1
    assert series_key("20797 - HTCHB - INGENIA VICTORIA POINT CLUB HOUSE - Rev 100") == series_key(
        "20797-HTCHB-INGENIA VICTORIA POINT CLUB HOUSE-Rev203"
    )
    assert series_key("20865 - CPQST 50 QUAY ST - LEVEL 1 - Rev 105") != series_key(
        "20865 - CPQST 50 QUAY ST - LEVEL 3 - Rev 107"
    )
    assert series_key("17741 - R 01 - X - REV 100") != series_key("17741 - R 02 - X - REV 100")
    assert series_key("Santos video walls (1)") == series_key("Santos video walls")


def test_series_key_groups_sales_reports_and_change_order_copies() -> None:
    assert series_key("anything", "sales_po") == series_key("other words", "sales_po")
    assert series_key("20797 - Change Order 15", "change_order", 15) == series_key("X - CO15", "change_order", 15)
    assert series_key("X - CO15", "change_order", 15) != series_key("X - CO16", "change_order", 16)
