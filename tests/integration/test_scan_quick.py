"""Quick rescans: folders unchanged since the last complete scan are not listed, and every name change is
still seen (files added, removed, renamed, moved; folders added); files edited in place are not (a full
rescan sees them)."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
from quicknav_mcp.indexers import scan_base
from quicknav_mcp.indexers.filesystem import scan_root

from quicknav_mcp.store import Store

PROJECT = "Project Folders/21000 - 21999/21614 - PLWRX  TR L1 Upgrades"
OTHER = "Project Folders/21000 - 21999/21620 - DWNR  Boardroom"
OLD = 1_700_000_000.0
FILES = [
    f"{PROJECT}/4. System Designs/21614 - TR L1 - Rev 101.pdf",
    f"{PROJECT}/4. System Designs/ARCHIVE/21614 - TR L1 - Rev 100.pdf",
    f"{PROJECT}/3. PMO/21614 - SWMS.pdf",
    f"{PROJECT}/3. PMO/Empty",
    f"{OTHER}/1. Sales Handover/21620 - Project Handover Document.pdf",
]
ROWS = "SELECT id, project_id, project_rel_path, size, mtime, doc_type FROM documents ORDER BY id"


def age(root: Path) -> None:
    """Every file and folder last changed long ago (as in a firm's share)."""
    for here, dirs, files in os.walk(root, topdown=False):
        for name in (*files, *dirs):
            os.utime(os.path.join(here, name), (OLD, OLD))
    os.utime(root, (OLD, OLD))


@pytest.fixture
def firm(tmp_path: Path) -> Path:
    root = tmp_path / "firm"
    for rel in FILES:
        path = root / rel
        if rel.endswith("Empty"):
            path.mkdir(parents=True)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"x" * len(rel))
    age(root)
    return root


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "q.db")
    yield s
    s.close()


@pytest.fixture
def listed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Folders inside projects that the scan lists."""
    seen: list[str] = []
    real = scan_base._scandir

    def counting(path: str):
        if "21614" in path or "21620" in path:
            seen.append(path)
        return real(path)

    monkeypatch.setattr(scan_base, "_scandir", counting)
    return seen


def _counts(report) -> tuple[int, ...]:
    return (report.files_seen, report.added, report.updated, report.moved, report.deleted, report.unchanged)


def test_an_unchanged_tree_is_not_listed(firm: Path, store: Store, listed: list[str]) -> None:
    scan_root(store, firm)
    assert len(listed) == 7  # every folder of both projects, once
    listed.clear()
    report = scan_root(store, firm, quick=True)
    assert _counts(report) == (4, 0, 0, 0, 0, 4)
    assert listed == []


def test_a_damaged_folder_record_lists_that_project_again(firm: Path, store: Store, listed: list[str]) -> None:
    scan_root(store, firm)
    with store.transaction() as conn:
        pid = conn.execute("SELECT id FROM projects WHERE code = '21614'").fetchone()[0]
        conn.execute("UPDATE scan_folders SET folders = x'00ff' WHERE project_id = ?", (pid,))
    listed.clear()
    report = scan_root(store, firm, quick=True)
    assert _counts(report) == (4, 0, 0, 0, 0, 4)
    assert listed and all("21614" in path for path in listed)  # only the project whose record is unreadable


def test_name_changes_are_seen_and_only_changed_folders_listed(firm: Path, store: Store, listed: list[str]) -> None:
    scan_root(store, firm)
    pmo, designs = firm / PROJECT / "3. PMO", firm / PROJECT / "4. System Designs"
    (pmo / "21614 - QA ITP.docx").write_bytes(b"new")  # added
    os.rename(pmo / "21614 - SWMS.pdf", pmo / "Empty/21614 - SWMS.pdf")  # moved (same name, size and mtime)
    # Renamed: a new name is a new document (the old one is deleted).
    os.rename(designs / "ARCHIVE/21614 - TR L1 - Rev 100.pdf", designs / "ARCHIVE/21614 - TR L1 - Rev 100 old.pdf")
    (firm / OTHER / "1. Sales Handover/21620 - Project Handover Document.pdf").unlink()  # deleted
    (pmo / "Empty" / "Site Photos 23.09.22.jpg").write_bytes(b"photo")  # a folder that held nothing
    (designs / "New").mkdir()
    (designs / "New" / "21614 - TR L1 - Rev 102.pdf").write_bytes(b"rev 102")  # a new folder
    listed.clear()
    quick = scan_root(store, firm, quick=True)
    assert _counts(quick) == (6, 4, 0, 1, 2, 1)
    assert sorted(os.path.relpath(p, firm / PROJECT) for p in listed if PROJECT in p) == [
        "3. PMO",
        "3. PMO/Empty",
        "4. System Designs",  # its new subfolder changed it
        "4. System Designs/ARCHIVE",
        "4. System Designs/New",
    ]
    quick_rows = [tuple(r) for r in store.query(ROWS)]
    # A full rescan finds nothing more to do: the quick one left the same rows.
    assert _counts(scan_root(store, firm)) == (6, 0, 0, 0, 0, 6)
    assert [tuple(r) for r in store.query(ROWS)] == quick_rows


def test_files_edited_in_place_are_left_to_full_rescans(firm: Path, store: Store) -> None:
    scan_root(store, firm)
    edited = firm / PROJECT / "3. PMO/21614 - SWMS.pdf"
    edited.write_bytes(b"a longer text than before")  # same name: its folder's mtime does not change
    os.utime(firm / PROJECT / "3. PMO", (OLD, OLD))  # (writing in place never touches it; be sure)
    assert _counts(scan_root(store, firm, quick=True)) == (4, 0, 0, 0, 0, 4)
    assert _counts(scan_root(store, firm)) == (4, 0, 1, 0, 0, 3)


def test_touched_and_recently_changed_folders_are_listed(firm: Path, store: Store, listed: list[str]) -> None:
    now = time.time()
    os.utime(firm / PROJECT / "3. PMO", (now, now))  # changed just before the scan: not trusted next time
    scan_root(store, firm)
    os.utime(firm / OTHER / "1. Sales Handover", (OLD + 5, OLD + 5))  # touched since, nothing changed
    listed.clear()
    assert _counts(scan_root(store, firm, quick=True)) == (4, 0, 0, 0, 0, 4)
    assert sorted(os.path.basename(p) for p in listed) == ["1. Sales Handover", "3. PMO"]


def test_a_cancelled_scan_leaves_the_last_complete_listing(firm: Path, store: Store, listed: list[str]) -> None:
    scan_root(store, firm)
    (firm / PROJECT / "3. PMO/21614 - SWMS.pdf").unlink()
    cancel = threading.Event()
    cancel.set()
    assert scan_root(store, firm, quick=True, cancel=cancel).status == "cancelled"
    report = scan_root(store, firm, quick=True)
    assert (report.deleted, report.unchanged) == (1, 3)


def test_a_folder_that_could_not_be_listed_is_listed_again(
    firm: Path, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan_root(store, firm)
    real = scan_base._scandir
    designs = str(firm / PROJECT / "4. System Designs")

    def failing(path: str):
        if path == designs:
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(scan_base, "_scandir", failing)
    report = scan_root(store, firm)  # a full scan lists it, and cannot
    assert (report.kept, report.deleted, report.problems) == (2, 0, 1)
    monkeypatch.setattr(scan_base, "_scandir", real)
    # Its subfolder (ARCHIVE) was never seen by that scan: trusting the folder would lose its rows.
    assert _counts(scan_root(store, firm, quick=True)) == (4, 0, 0, 0, 0, 4)


def test_quick_reindex_through_the_mcp_client_the_gateway_tool_and_the_cli(firm: Path, tmp_path: Path) -> None:
    """``reindex(quick=true)`` and ``quicknav index --quick`` see a file added since the last complete scan;
    quick with force is refused with a message naming both, and the server keeps serving."""
    import asyncio
    import subprocess
    import sys

    from mcp import Client

    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config
    from quicknav_mcp.server import build_server

    db = tmp_path / "mcp.db"
    config = load_config(db=db, roots=[firm], user="tester", env={})

    async def run() -> None:
        async with Client(build_server(lambda: App.open(config))) as client:
            first = await client.call_tool("reindex", {})
            assert not first.is_error, first.content
            assert first.structured_content["roots"][0]["added"] == 4
            added = firm / PROJECT / "3. PMO" / "21614 - Variation CO1.pdf"
            added.write_bytes(b"co")
            quick = await client.call_tool("reindex", {"quick": True})
            assert not quick.is_error, quick.content
            assert quick.structured_content["roots"][0]["added"] == 1
            both = await client.call_tool("reindex", {"quick": True, "force": True})
            assert both.is_error and "quick and force" in both.content[0].text
            listed = await client.call_tool("list_project_documents", {"project_number": "21614"})
            assert "Variation CO1" in listed.content[0].text

    asyncio.run(run())
    (firm / OTHER / "1. Sales Handover" / "21620 - Quote.pdf").write_bytes(b"q")
    env = {**os.environ, "QUICKNAV_LOG_LEVEL": "WARNING"}
    cli = [sys.executable, "-m", "quicknav_mcp.cli", "index", "--db", str(db), "--root", str(firm), "--json"]
    out = subprocess.run([*cli, "--quick"], capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert '"added": 1' in out.stdout
    refused = subprocess.run([*cli, "--quick", "--force"], capture_output=True, text=True, env=env, timeout=120)
    assert refused.returncode != 0 and "quick and force" in refused.stderr


def _paths(store: Store) -> list[tuple]:
    """The stored files as the scan sees them (no ids, no timestamps of indexing)."""
    rows = store.query(
        "SELECT p.code, d.project_rel_path, d.size, d.mtime FROM documents d JOIN projects p ON p.id = d.project_id"
    )
    return sorted(tuple(r) for r in rows)


def _edit_size(firm: Path) -> None:
    path = firm / PROJECT / "3. PMO/21614 - SWMS.pdf"
    st = path.stat()
    path.write_bytes(b"a longer text than before")
    os.utime(path, (st.st_mtime, st.st_mtime))  # the same mtime: only the size says it changed


def _edit_mtime(firm: Path) -> None:
    os.utime(firm / OTHER / "1. Sales Handover/21620 - Project Handover Document.pdf", (OLD + 60, OLD + 60))


CHANGES = {
    "added": lambda f: (f / PROJECT / "4. System Designs/ARCHIVE/21614 - TR L1 - Rev 99.pdf").write_bytes(b"99"),
    "removed": lambda f: (f / PROJECT / "4. System Designs/ARCHIVE/21614 - TR L1 - Rev 100.pdf").unlink(),
    "renamed": lambda f: os.rename(f / PROJECT / "3. PMO/21614 - SWMS.pdf", f / PROJECT / "3. PMO/21614 - SWMS v2.pdf"),
    "moved": lambda f: os.rename(
        f / PROJECT / "3. PMO/21614 - SWMS.pdf", f / PROJECT / "3. PMO/Empty/21614 - SWMS.pdf"
    ),
    "moved to another project": lambda f: os.rename(
        f / PROJECT / "3. PMO/21614 - SWMS.pdf", f / OTHER / "1. Sales Handover/21614 - SWMS.pdf"
    ),
    "folder renamed": lambda f: os.rename(
        f / PROJECT / "4. System Designs/ARCHIVE", f / PROJECT / "4. System Designs/Old"
    ),
    "edited (size)": _edit_size,
    "edited (mtime)": _edit_mtime,
}


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("quick", [True, False], ids=["quick", "full"])
def test_every_change_is_seen_beside_unchanged_projects(firm: Path, tmp_path: Path, change: str, quick: bool) -> None:
    """One change in one project (the other unchanged, so a quick rescan skips it): the rescan leaves the rows a
    first scan of the changed tree writes, except files edited in place, which only a full rescan sees."""
    store = Store(tmp_path / "a.db")
    scan_root(store, firm)
    before = _paths(store)
    CHANGES[change](firm)
    report = scan_root(store, firm, quick=quick)
    after = _paths(store)
    store.close()
    fresh = Store(tmp_path / "fresh.db")
    scan_root(fresh, firm)
    expected = _paths(fresh)
    fresh.close()
    if quick and change.startswith("edited"):
        assert (after, report.unchanged) == (before, 4)
    else:
        assert after == expected != before
        assert report.files_seen == len(expected)


def test_a_copy_of_a_file_of_an_unchanged_project_is_written_as_a_full_rescan_writes_it(
    firm: Path, tmp_path: Path, listed: list[str]
) -> None:
    """A new file with the name, size and mtime of a stored one may be a move: it waits for the end of the
    scan, also when the stored one is in a project a quick rescan does not load, so new rows get the same ids."""
    import shutil

    stores = []
    for name in ("quick", "full"):
        work = tmp_path / name
        shutil.copytree(firm, work / "firm", copy_function=shutil.copy2)
        store = Store(work / "s.db")
        scan_root(store, work / "firm")
        sales = work / "firm" / PROJECT / "1. Sales Handover"
        sales.mkdir()
        src = work / "firm" / OTHER / "1. Sales Handover/21620 - Project Handover Document.pdf"
        shutil.copy2(src, sales / src.name)  # a copy (its original stays): same name, size and mtime
        (sales / "Z new.pdf").write_bytes(b"z")
        os.utime(sales / "Z new.pdf", (OLD + 9, OLD + 9))
        listed.clear()
        report = scan_root(store, work / "firm", quick=name == "quick")
        assert _counts(report) == (6, 2, 0, 0, 0, 4)
        if name == "quick":
            assert listed and not any("21620" in p for p in listed)  # the other project was not listed
        stores.append([tuple(r) for r in store.query(ROWS)])
        store.close()
    assert stores[0] == stores[1]


def test_with_most_projects_changed_a_quick_rescan_writes_what_a_full_one_writes(tmp_path: Path, firm: Path) -> None:
    """Two of three projects changed (their rows are read from all the root's, the unchanged one's left out)."""
    import shutil

    third = firm / "Project Folders/21000 - 21999/21630 - QPS  Level 3/3. PMO"
    third.mkdir(parents=True)
    (third / "21630 - SWMS.pdf").write_bytes(b"swms")
    age(firm)
    stores = []
    for name in ("quick", "full"):
        tree = tmp_path / name / "firm"
        shutil.copytree(firm, tree, copy_function=shutil.copy2)
        age(tree)
        store = Store(tmp_path / name / "s.db")
        scan_root(store, tree)
        os.rename(tree / PROJECT / "3. PMO/21614 - SWMS.pdf", tree / OTHER / "1. Sales Handover/21614 - SWMS.pdf")
        (tree / PROJECT / "4. System Designs/ARCHIVE/21614 - TR L1 - Rev 100.pdf").unlink()
        report = scan_root(store, tree, quick=name == "quick")
        assert _counts(report) == (4, 0, 0, 1, 1, 3)
        stores.append([tuple(r) for r in store.query(ROWS)])
        store.close()
    assert stores[0] == stores[1]
