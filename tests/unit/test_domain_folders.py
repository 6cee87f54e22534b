"""Range, project and phase folders as the firm really names them."""

from __future__ import annotations

import pytest

from quicknav_mcp.domain import match_phase, parse_project_folder, parse_range_folder


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("17000 - 17999", (17000, 17999)),
        ("20000 - 20999", (20000, 20999)),
        ("21000-21999", (21000, 21999)),
        ("21000 – 21999", (21000, 21999)),
    ],
)
def test_range_folders(name: str, expected: tuple[int, int]) -> None:
    r = parse_range_folder(name)
    assert r is not None and (r.start, r.end) == expected


@pytest.mark.parametrize("name", ["Project Folders", "17741 - QPS", "2000 - 2999", "17999 - 17000", ""])
def test_not_range_folders(name: str) -> None:
    assert parse_range_folder(name) is None


@pytest.mark.parametrize(
    ("name", "code", "client", "description"),
    [
        ("21614 - PLWRX  TR L1 Upgrades", "21614", "PLWRX", "TR L1 Upgrades"),
        ("20692 - DWNR  - Project B1012", "20692", "DWNR", "Project B1012"),
        ("18810 - PAVS SA SAAB Hearing Loop (2501)", "18810", "PAVS SA", "SAAB Hearing Loop (2501)"),
        (
            "20778 - PROAV-SA - DHA - Townsville Relocation Project",
            "20778",
            "PROAV-SA",
            "DHA - Townsville Relocation Project",
        ),
        ("20797 - HTCHB- Ingenia Victoria Point Club House", "20797", "HTCHB", "Ingenia Victoria Point Club House"),
        ("17741 - QPS  MTR RM Upgrades - Bulk Order", "17741", "QPS", "MTR RM Upgrades - Bulk Order"),
        ("17742 - Gallagher Bassett - NSW.VIC.SA Audit", "17742", "Gallagher Bassett", "NSW.VIC.SA Audit"),
        ("21376 - PAVS NSW  - WPP BNE Workspace Refurbishment", "21376", "PAVS NSW", "WPP BNE Workspace Refurbishment"),
        ("20865 - CPQST 50 Quay St BNE", "20865", "CPQST", "50 Quay St BNE"),
        (
            "20699 - VOLVO  - VCV BNE BR - instation of OFE Equipment",
            "20699",
            "VOLVO",
            "VCV BNE BR - instation of OFE Equipment",
        ),
        ("12345-Fitout", "12345", None, "Fitout"),
        ("12345", "12345", None, ""),
    ],
)
def test_project_folders(name: str, code: str, client: str | None, description: str) -> None:
    p = parse_project_folder(name)
    assert p is not None
    assert (p.code, p.client, p.description) == (code, client, description)


@pytest.mark.parametrize(
    "name",
    [
        "17000 - 17999",
        "Project Folders",
        "1. Sales Handover",
        "1234 - short",
        "Q-04974",
        "123456 - too long",
        "01234 - leading zero",
    ],
)
def test_not_project_folders(name: str) -> None:
    assert parse_project_folder(name) is None


@pytest.mark.parametrize(
    ("name", "phase"),
    [
        ("1. Sales Handover", "sales_handover"),
        ("2. BOM & Orders", "bom_orders"),
        ("3. PMO", "pmo"),
        ("4. System Designs", "system_designs"),
        ("5. Customer Handover Documents", "customer_handover"),
        ("6. Customer Handover Documents", "customer_handover"),
        ("6. AVCare Handover", "avcare_handover"),
        ("7. AVCare Handover", "avcare_handover"),
        ("4 System Designs", "system_designs"),
        ("system designs", "system_designs"),
        ("Sales & Change Orders", None),
        ("Floor Plans", None),
        ("ARCHIVE", None),
    ],
)
def test_phases_match_by_name_not_number(name: str, phase: str | None) -> None:
    assert match_phase(name) == phase
