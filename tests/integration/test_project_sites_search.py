"""A project's site, learnt from its documents' text, finds it in project and document search with
why naming the site — where the folder and file names never say the place, and another project of
the same client names files after that town (a room roll-out)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from quicknav_mcp.app import App
from quicknav_mcp.config import load_config

RANGE = "Project Folders/30000 - 30999"
HEADER = "Acme Health\nProject: {code} - {title}\nClient: Acme Health\nSite address: {site}\nDate: 02/03/2025\n\n"


def _write(root: Path, code: str, folder: str, title: str, site: str, files: dict[str, str]) -> None:
    base = root / RANGE / f"{code} - {folder}"
    for rel, body in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(HEADER.format(code=code, title=title, site=site) + body, encoding="utf-8")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("sites")
    root = tmp / "root"
    # 30001: its place (Ipswich) is only in its documents' text.
    _write(
        root,
        "30001",
        "ACME - SOC Relocation",
        "Security Operations Centre Relocation",
        "47 Wickham Terrace, Ipswich QLD 4305",
        {
            "4. System Designs/30001 - ACME SOC RELOCATION - Rev 101 AS-BUILT.txt": "System design\nRack, DSP",
            "3. PMO/30001 - ACME - SWMS.txt": "Safe work method statement",
            "1. Sales Handover/30001 - ACME - Proposal Rev2.txt": "Proposal for the works",
            "2. BOM & Orders/30001 - ACME - Sales & PO Report - 03.04.2025.txt": "Line | Item",
        },
    )
    # 30002: the same client's room roll-out in Mackay, with rooms named after Ipswich places.
    _write(
        root,
        "30002",
        "ACME - MTR RM Upgrades",
        "MTR Room Upgrades",
        "9 Sandgate Road, Mackay QLD 4740",
        {
            "4. System Designs/30002 - R 01 - ZOOM ROOM - IPSWICH ACADEMY - Rev 100 AS-BUILT.txt": "Room design",
            "4. System Designs/30002 - R 02 - ZOOM ROOM - IPSWICH REGIONAL HQ - Rev 100 AS-BUILT.txt": "Room",
            "3. PMO/30002 - ACME - SWMS.txt": "Safe work method statement",
            "1. Sales Handover/Ipswich Academy Floor plan.txt": "Floor plan",
        },
    )
    # Projects elsewhere, so a town word is rare in the firm.
    for i, town in enumerate(["Cairns", "Toowoomba", "Geelong", "Perth"]):
        code = f"3001{i}"
        _write(
            root,
            code,
            f"OTHR - Boardroom Refurb {i}",
            "Boardroom Refurbishment",
            f"{i + 1} Ann Street, {town} QLD 4000",
            {f"4. System Designs/{code} - OTHR BOARDROOM - Rev 100.txt": "Design", f"3. PMO/{code} - SWMS.txt": "SWMS"},
        )
    config = load_config(db=tmp / "q.db", roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"})
    with App.open(config) as app:
        app.indexing.reindex()
        app.search.index_content(extract=True, embed=False, workers=1)
        assert app.search.project_search.wait_ready(60)
        yield app


def test_sites_are_learnt_from_the_documents_text(app: App) -> None:
    by_code = {r.code: r.id for r in app.projects.all()}
    sites = app.search.sites.current()
    assert sites[by_code["30001"]] == ("Ipswich",)
    assert sites[by_code["30002"]] == ("Mackay",)
    assert sites[by_code["30012"]] == ("Geelong",)


def test_project_search_finds_a_project_by_its_site_and_says_so(app: App) -> None:
    out = app.search.search_projects("Acme Ipswich", mode="lexical", include_facets=False)
    top = out.projects[0]
    assert top.project_number == "30001", [(p.project_number, p.why) for p in out.projects]
    assert "site: Ipswich" in top.why
    only = app.search.search_projects("Ipswich", mode="lexical", include_facets=False)
    assert only.projects[0].project_number == "30001"


def test_document_search_prefers_the_project_at_the_named_site(app: App) -> None:
    out = app.search.search_documents("current as built design for Acme Health Ipswich", limit=5, mode="lexical")
    top = out.documents[0]
    assert top.name.startswith("30001 - ACME SOC RELOCATION"), [(d.name, d.why) for d in out.documents]
    assert "site: Ipswich" in top.why
    # A room named after the town is still found by its own words.
    room = app.search.search_documents("Ipswich Academy floor plan", limit=3, mode="lexical")
    assert room.documents[0].name == "Ipswich Academy Floor plan.txt", [d.name for d in room.documents]


@pytest.mark.corpus
def test_the_real_catalogue_names_no_site_and_a_town_in_a_room_name_stays_the_rooms(
    corpus_text_db: tuple[Path, Path], tmp_path: Path
) -> None:
    """The real catalogue's files hold their names as text and no address: no site is learnt (a town
    naming a room, "IPSWICH POLICE STATION", is not where project 17741 is), and the room's files are
    still found by it."""
    root, built = corpus_text_db  # the catalogue's tree, indexed and extracted once per session
    shutil.copy(built, tmp_path / "q.db")
    config = load_config(db=tmp_path / "q.db", roots=[root], env={"QUICKNAV_EMBED_MODEL": "none"})
    with App.open(config) as app:
        app.indexing.reindex()
        app.search.index_content(extract=True, embed=False, workers=1)
        assert app.search.sites.wait_ready(60)
        assert dict(app.search.sites.current()) == {}
        out = app.search.search_documents("17741 Ipswich police station floor plan", limit=3, mode="lexical")
        assert "IPSWICH POLICE STATION" in out.documents[0].name.upper(), [d.name for d in out.documents]
        assert not any(str(w).startswith("site:") for d in out.documents for w in d.why)
