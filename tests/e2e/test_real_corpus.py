"""End to end over a tree built from the real catalogue of 1,792 paths (skipped without it).

Expectations are what an engineer at the firm would open, written out by hand per project.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config
from tests.conftest import build_tree

pytestmark = pytest.mark.corpus

# project -> the system design an engineer would open (path relative to the project folder)
CURRENT_DESIGN = {
    "18810": "4. System Designs/18810 - SAAB HEARING LOOP (2501) - Rev 102.pdf",
    "20381": "4. System Designs/20381 - NEOEN MAIN BOARDROOM UPLIFT - AsBuilt.pdf",
    "20498": "4. System Designs/20498 - DTMR SMARTSHIP FMB2 PROJECTOR REPLACEMENT - AsBuilt.pdf",
    "20692": "4. System Designs/20692 - DOWNER PROJECT B1012 - Rev 102 - AS BUILT.pdf",
    "20699": "4. System Designs/20699 - VOLVO - VCV BRISBANE BOARDROOM - Rev 1.02 As Built.pdf",
    "20778": "4. System Designs/20778 - DHA TOWNSVILLE RELOCATION PROJECT - Rev 107 As Built.pdf",
    "20797": "4. System Designs/20797-HTCHB-INGENIA VICTORIA POINT CLUB HOUSE-Rev203.pdf",
    "21376": "4. System Designs/21376 - PAVS NSW - WPP BRISBANE WORKSPACE REFURB - Rev 105.pdf",
    "21614": "4. System Designs/21614 - POOLWERX TRAINING ROOM & LEVEL 1 UPGRADES - Rev 102 AS-BUILT.pdf",
}

# Projects with parallel design series: `latest` must hold each series' current revision.
LATEST_DESIGNS = {
    "20865": {
        "4. System Designs/20865 - 50 QUAY STREET - AV CABLE SCHEDULE - Rev 1.06.pdf",
        "4. System Designs/20865 - 50 QUAY STREET - MASTER POWER & DATA SCHEDULE - Rev 1.05.pdf",
        "4. System Designs/20865 - CPQST 50 QUAY ST - GROUND FLOOR - Rev 105.pdf",
        "4. System Designs/20865 - CPQST 50 QUAY ST - LEVEL 1 - Rev 105.pdf",
        "4. System Designs/20865 - CPQST 50 QUAY ST - LEVEL 3 - Rev 107.pdf",
        "4. System Designs/20865 - CPQST 50 QUAY ST - LEVEL 30 - Rev 102.pdf",
        "4. System Designs/20865 - CPQST 50 QUAY ST - LEVEL 31 - Rev 103.pdf",
        "4. System Designs/20865 - CPQST 50 QUAY ST - LEVEL 4 - Rev 104.pdf",
    },
}

# project -> the current Sales & PO report
CURRENT_SALES_PO = {
    "17741": "2. BOM & Orders/Sales & Change Orders/17741 - QPS MTR Room Upgrades - Bulk Order - "
    "Sales & PO Report - 06.06.2025.pdf",
    "18810": "2. BOM & Orders/Sales & Change Orders/18810 - PAVS-SA - SAAB Hearing Loop (2501) - "
    "Sales & PO Report - 17.12.2024.pdf",
    "20692": "2. BOM & Orders/Sales & Change Orders/20692 - Spotless - Project B1012 - "
    "Sales & PO Report 08.08.2024.pdf",
    "20699": "2. BOM & Orders/Sales & Change Orders/20699 - Volvo Group - Volvo - Brisbane Boardroom - "
    "Sales & PO Report 09.10.2024.pdf",
    "20778": "2. BOM & Orders/Sales & Change Orders/20778 - DHA - Townsville Relocation Project - "
    "Sales & PO Report 18.10.2024.pdf",
    "20797": "2. BOM & Orders/Sales & Change Orders/20797 - HTCHB - Ingenia Victoria Point Club House - "
    "Sales & PO Report - 23.04.2025.pdf",
    "21376": "2. BOM & Orders/Sales & Change Orders/21376 - PAVs NSW - WPP Brisbane Workspace - "
    "Sales & PO Report - 19.05.2025.pdf",
    "21614": "2. BOM & Orders/Sales & Change Orders/21614 - Poolwerx - Training Room & Level 1 Upgrades - "
    "Sales & PO Report - 03.04.2025.pdf",
    "21620": "2. BOM & Orders/Sales & Change Orders/21620 - PAVS SA - Collab Meeting Room Renewal Phase 2 Install - "
    "Sales & PO Report - 05.06.2025.pdf",
}


@pytest.fixture(scope="module")
def corpus_app(real_paths: list[str], tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("corpus") / "Project Files"
    root.mkdir()
    assert build_tree(root, real_paths) == len(real_paths)
    app = App.open(load_config(db=tmp_path_factory.mktemp("db") / "c.db", roots=[root], env={}))
    reports = app.indexing.reindex()
    assert reports[0]["problems"] == 0
    yield app
    app.close()


def _rel(app: App, code: str, path: str) -> str:
    project = app.projects.by_code(code)[0]
    return str(Path(path).relative_to(project.path))


def test_every_project_and_document_is_indexed(corpus_app: App, real_paths: list[str]) -> None:
    status = corpus_app.indexing.status()
    assert status.projects == 14
    assert status.documents == len(real_paths)


@pytest.mark.parametrize("code", sorted(CURRENT_DESIGN))
def test_auto_finds_the_design_an_engineer_would_open(corpus_app: App, code: str) -> None:
    result = corpus_app.documents.find(code, "lld", "auto")
    assert result.status == "success", (result.message, result.paths)
    assert _rel(corpus_app, code, result.path) == CURRENT_DESIGN[code]
    assert result.documents[0].is_current


@pytest.mark.parametrize("code", sorted(LATEST_DESIGNS))
def test_latest_returns_every_series_current_revision(corpus_app: App, code: str) -> None:
    result = corpus_app.documents.find(code, "lld", "latest")
    got = {_rel(corpus_app, code, p) for p in (result.paths or [result.path])}
    assert LATEST_DESIGNS[code] <= got
    assert not any("ARCHIVE" in p for p in got)
    auto = corpus_app.documents.find(code, "lld", "auto")
    assert auto.status == "select"  # several parallel series: no single winner


def test_latest_for_room_series_holds_each_room_once(corpus_app: App) -> None:
    result = corpus_app.documents.find("17741", "lld", "latest")
    assert result.status == "select"
    series = [d.series_key for d in result.documents]
    assert len(series) == len(set(series)), "a series appears twice"
    # The catalogue reuses some room numbers for different sites (R 61 Kedron and R 61 Warwick): both stay.
    assert sum(1 for d in result.documents if d.room == 61) == 2
    room12 = corpus_app.documents.find("17741", "lld", "auto", room=12)
    assert room12.status == "success"
    assert "REV 101 AS-BUILT" in room12.path


def test_handover_copy_is_not_counted_twice(corpus_app: App) -> None:
    result = corpus_app.documents.find("21614", "lld", "latest")
    assert result.status == "success"
    assert "Customer Handover" not in result.path


@pytest.mark.parametrize("code", sorted(CURRENT_SALES_PO))
def test_current_sales_and_po_report(corpus_app: App, code: str) -> None:
    result = corpus_app.documents.find(code, "sales_po", "auto")
    assert result.status == "success", (result.message, result.paths)
    assert _rel(corpus_app, code, result.path) == CURRENT_SALES_PO[code]


def test_sales_po_only_in_old_is_reported_not_hidden(corpus_app: App) -> None:
    result = corpus_app.documents.find("20498", "sales_po", "auto")
    assert result.status == "error"
    assert "include_archive" in result.message
    archived = corpus_app.documents.find("20498", "sales_po", "auto", include_archive=True)
    assert archived.status == "success"
    assert archived.path.endswith("Sales & PO Report 17.07.2024.pdf")


@pytest.mark.parametrize(
    ("code", "number", "expected_end"),
    [
        ("20692", 4, "Change Orders/20692 - Spotless - Project B1012 - CO4.pdf"),
        ("21614", 2, "Change Orders/21614 - Poolwerx - Training Room & Level 1 Upgrades - CO2.pdf"),
        ("20778", 3, "Sales & Change Orders/20778 - DHA - Townsville Relocation Project - CO3.pdf"),
        ("18810", 5, "Change Orders/18810 - PAVS-SA - SAAB Hearing Loop (2501) - CO5.pdf"),
    ],
)
def test_change_order_lookup(corpus_app: App, code: str, number: int, expected_end: str) -> None:
    result = corpus_app.documents.find(code, "change_order", "auto", change_order=number)
    assert result.status == "success", (result.message, result.paths)
    assert result.path.endswith(expected_end)
    assert result.documents[0].change_order == number


def test_change_order_with_copies_prefers_the_orders_folder(corpus_app: App) -> None:
    result = corpus_app.documents.find("20797", "change_order", "auto", change_order=15)
    paths = [result.path] if result.status == "success" else result.paths
    assert paths and all("15" in Path(p).name for p in paths)
    assert "2. BOM & Orders" in paths[0]


def test_web_export_change_orders_are_found(corpus_app: App) -> None:
    result = corpus_app.documents.find("17741", "change_order", "all", change_order=12)
    assert any("[Change+Order+12]" in p for p in (result.paths or [result.path]))


def test_navigate_every_project_by_code_and_by_client(corpus_app: App) -> None:
    for code in (
        "17741",
        "17742",
        "18810",
        "20381",
        "20498",
        "20692",
        "20699",
        "20778",
        "20797",
        "20865",
        "20957",
        "21376",
        "21614",
        "21620",
    ):
        assert corpus_app.navigation.navigate(code).status == "success", code
    for words, code in [
        ("Poolwerx", "21614"),
        ("Downer", "20692"),
        ("Gallagher Bassett", "17742"),
        ("Ingenia", "20797"),
        ("50 Quay", "20865"),
        ("Neoen", "20381"),
        ("volvo", "20699"),
    ]:
        result = corpus_app.navigation.navigate(words)
        assert result.status == "success", (words, result)
        assert code in result.path


def test_auto_never_guesses_among_many_change_orders(corpus_app: App) -> None:
    result = corpus_app.documents.find("17741", "change_order", "auto")
    assert result.status == "select"
    assert len(result.paths) <= 10 and "series" in result.message


def test_latest_puts_templates_last(corpus_app: App) -> None:
    result = corpus_app.documents.find("17741", "lld", "latest")
    flags = ["TEMPLATE" in d.status_tags or "DRAFT" in d.status_tags for d in result.documents]
    assert flags == sorted(flags), "a template or draft is listed before a finished design"
    assert not flags[0]
