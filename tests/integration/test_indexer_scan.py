"""Filesystem indexer: initial scan, reconciliation on rescans, project renames, cancel, progress."""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from quicknav_mcp.indexers import scan_base, scan_walk, scan_write
from quicknav_mcp.indexers.filesystem import ScanProgress, ScanReport, scan_root, scan_roots

from quicknav_mcp.domain import parse_document
from quicknav_mcp.repo.documents import REL_PATH
from quicknav_mcp.store import Store

PF = "Project Folders"
RANGE = "21000 - 21999"
P1 = "21614 - PLWRX  TR L1 Upgrades"
P2 = "21620 - PAVS SA Collab MR Renewal Phase 2 inst"
P3 = "20692 - DWNR  - Project B1012"
MTIME = 1_700_000_000.0

TREE = {
    f"{PF}/{RANGE}/{P1}/4. System Designs/21614 - TR L1 UPGRADES - Rev 101.pdf": b"lld 101",
    f"{PF}/{RANGE}/{P1}/4. System Designs/ARCHIVE/21614 - TR L1 UPGRADES - Rev 100.pdf": b"lld 100",
    f"{PF}/{RANGE}/{P1}/1. Sales Handover/21614 - Poolwerx - Project Handover Document.pdf": b"handover",
    f"{PF}/{RANGE}/{P1}/2. BOM & Orders/Sales & Change Orders/21614 - Sales & PO Report - 03.04.2025.pdf": b"sales po",
    f"{PF}/{RANGE}/{P2}/4. System Designs/21620 - COLLAB MR - Rev 200 AS-BUILT.pdf": b"as built",
    f"{PF}/{RANGE}/{P2}/3. PMO/Change Order 7.docx": b"co7",
    f"{PF}/20000 - 20999/{P3}/4. System Designs/20692 - PROJECT B1012 - Rev 1.02.pdf": b"rev 102",
    f"{PF}/20000 - 20999/{P3}/notes.rtf": b"{\\rtf1}",
}
# Never indexed: hidden, Office lock files, shell litter, files outside any project.
JUNK = [
    f"{PF}/{RANGE}/{P1}/.DS_Store",
    f"{PF}/{RANGE}/{P1}/4. System Designs/~$21614 - TR L1 UPGRADES.docx",
    f"{PF}/{RANGE}/{P1}/4. System Designs/Thumbs.db",
    f"{PF}/{RANGE}/{P1}/desktop.ini",
    f"{PF}/{RANGE}/{P1}/.hidden/secret.pdf",
    f"{PF}/index.pdf",
    "readme.txt",
]


def write(root: Path, rel: str, data: bytes = b"x", mtime: float = MTIME) -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (mtime, mtime))
    return path


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "db" / "quicknav.db")
    yield s
    s.close()


@pytest.fixture
def firm(tmp_path: Path) -> Path:
    root = tmp_path / "Project Files"
    for rel, data in TREE.items():
        write(root, rel, data)
    for rel in JUNK:
        write(root, rel)
    return root


def docs(store: Store) -> dict[str, dict]:
    return {
        r["rel_path"]: dict(r)
        for r in store.query(
            f"SELECT d.*, {REL_PATH} AS rel_path FROM documents d JOIN projects p ON p.id = d.project_id"
        )
    }


def projects(store: Store) -> dict[str, dict]:
    return {r["code"]: dict(r) for r in store.query("SELECT * FROM projects")}


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def counting(folders, filename):
        calls.append(filename)
        return parse_document(folders, filename)

    monkeypatch.setattr(scan_walk, "parse_document", counting)
    return calls


# --------------------------------------------------------------------------- initial scan


def test_initial_scan_counts_and_rows(store: Store, firm: Path) -> None:
    report = scan_root(store, firm)

    assert isinstance(report, ScanReport)
    assert report.status == "done"
    assert report.files_seen == len(TREE)
    assert report.added == len(TREE)
    assert (report.updated, report.moved, report.deleted, report.unchanged) == (0, 0, 0, 0)
    assert report.problems == 0
    assert report.projects_seen == report.projects_added == 3
    assert set(docs(store)) == set(TREE)

    root_row = store.query_one("SELECT * FROM roots")
    assert root_row["path"] == str(firm.resolve())
    assert report.root_id == root_row["id"]

    scan = dict(store.query_one("SELECT * FROM scans WHERE id = ?", (report.scan_id,)))
    assert scan["status"] == "done"
    assert scan["finished_at"]
    assert (scan["files_seen"], scan["added"], scan["problems"]) == (len(TREE), len(TREE), 0)
    assert scan["seconds"] >= 0

    data = report.to_dict()
    assert data["added"] == len(TREE) and data["status"] == "done" and "files_per_s" in data
    json.dumps(data)  # serialisable as is


def test_project_rows(store: Store, firm: Path) -> None:
    scan_root(store, firm)
    rows = projects(store)
    assert set(rows) == {"21614", "21620", "20692"}
    p1 = rows["21614"]
    assert p1["folder_name"] == P1
    assert p1["rel_path"] == f"{PF}/{RANGE}/{P1}"
    assert p1["range_folder"] == RANGE
    assert p1["doc_count"] == 4
    assert rows["20692"]["range_folder"] == "20000 - 20999"
    assert rows["20692"]["doc_count"] == 2
    for row in rows.values():
        assert isinstance(json.loads(row["client_names"]), list)
        assert row["mtime"] is not None


def test_document_fields_are_what_the_parser_says(store: Store, firm: Path) -> None:
    scan_root(store, firm)
    rows = docs(store)
    for rel, data in TREE.items():
        row = rows[rel]
        parts = rel.split("/")
        folders, name = parts[3:-1], parts[-1]
        expected = parse_document(folders, name)
        assert row["name"] == name
        assert row["project_rel_path"] == "/".join([*folders, name])
        assert row["size"] == len(data)
        assert row["mtime"] == MTIME
        assert row["ext"] == expected.ext.lstrip(".").lower()
        assert row["doc_type"] == expected.doc_type
        assert row["phase"] == expected.phase
        assert row["series_key"] == expected.series_key
        assert json.loads(row["status_tags"]) == list(expected.status_tags)
        assert bool(row["is_as_built"]) == expected.is_as_built
        assert bool(row["is_archive"]) == expected.is_archive
        assert bool(row["is_handover_copy"]) == expected.is_handover_copy
        assert row["doc_date"] == (expected.doc_date.isoformat() if expected.doc_date else None)
        assert row["room"] == expected.room
        assert row["change_order"] == expected.change_order
        assert row["sheet"] == expected.sheet
        assert row["code_in_name"] == expected.project_code
        assert row["duplicate_counter"] == expected.duplicate_counter
        rev = expected.revision
        assert (row["revision"], row["revision_raw"], row["revision_scheme"]) == (
            (rev.value, rev.raw, rev.scheme) if rev else (None, None, None)
        )


def test_document_fields_from_the_design_rules(store: Store, firm: Path) -> None:
    scan_root(store, firm)
    rows = docs(store)
    lld = rows[f"{PF}/{RANGE}/{P1}/4. System Designs/21614 - TR L1 UPGRADES - Rev 101.pdf"]
    assert (lld["ext"], lld["doc_type"], lld["revision"], lld["is_archive"]) == ("pdf", "lld", 101, 0)
    old = rows[f"{PF}/{RANGE}/{P1}/4. System Designs/ARCHIVE/21614 - TR L1 UPGRADES - Rev 100.pdf"]
    assert (old["revision"], old["is_archive"]) == (100, 1)
    assert old["series_key"] == lld["series_key"]
    built = rows[f"{PF}/{RANGE}/{P2}/4. System Designs/21620 - COLLAB MR - Rev 200 AS-BUILT.pdf"]
    assert (built["revision"], built["is_as_built"]) == (200, 1)
    assert rows[f"{PF}/20000 - 20999/{P3}/4. System Designs/20692 - PROJECT B1012 - Rev 1.02.pdf"]["revision"] == 102
    assert rows[f"{PF}/{RANGE}/{P2}/3. PMO/Change Order 7.docx"]["change_order"] == 7
    sales = rows[f"{PF}/{RANGE}/{P1}/2. BOM & Orders/Sales & Change Orders/21614 - Sales & PO Report - 03.04.2025.pdf"]
    assert sales["doc_date"] == "2025-04-03"


@pytest.mark.parametrize(
    ("sub", "prefix", "count"),
    [
        ("", f"{PF}/{RANGE}/{P1}/", len(TREE)),
        (PF, f"{RANGE}/{P1}/", len(TREE)),
        (f"{PF}/{RANGE}", f"{P1}/", 6),
        (f"{PF}/{RANGE}/{P1}", "", 4),
    ],
    ids=["firm-root", "project-folders", "range-folder", "project-folder"],
)
def test_root_may_be_any_level(store: Store, firm: Path, sub: str, prefix: str, count: int) -> None:
    report = scan_root(store, firm / sub if sub else firm)
    assert report.added == count
    lld = "4. System Designs/21614 - TR L1 UPGRADES - Rev 101.pdf"
    row = docs(store)[prefix + lld]
    assert row["project_rel_path"] == lld
    p1 = projects(store)["21614"]
    assert p1["rel_path"] == prefix.rstrip("/")
    assert p1["range_folder"] == RANGE
    assert p1["doc_count"] == 4
    assert scan_root(store, firm / sub if sub else firm).unchanged == count


def test_flat_folder_of_projects_and_depth_limit(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "flat"
    write(root, f"{P1}/a.pdf")
    write(root, f"{P3}/b.pdf")
    write(root, f"Admin/Templates/Old/Deep/{P2}/too deep.pdf")  # project at depth 5
    write(root, f"Admin/{P2}/c.pdf")
    report = scan_root(store, root)
    assert report.projects_seen == 3
    rows = projects(store)
    assert rows["21614"]["rel_path"] == P1
    assert rows["21614"]["range_folder"] is None
    assert rows["21620"]["rel_path"] == f"Admin/{P2}"
    assert set(docs(store)) == {f"{P1}/a.pdf", f"{P3}/b.pdf", f"Admin/{P2}/c.pdf"}


def test_nested_project_like_folders_belong_to_the_outer_project(store: Store, tmp_path: Path) -> None:
    root = tmp_path / "flat"
    write(root, f"{P1}/3. PMO/{P3}/copy.pdf")
    scan_root(store, root)
    assert set(projects(store)) == {"21614"}
    assert docs(store)[f"{P1}/3. PMO/{P3}/copy.pdf"]["project_rel_path"] == f"3. PMO/{P3}/copy.pdf"


# --------------------------------------------------------------------------- rescans


def test_rescan_without_changes_parses_nothing(store: Store, firm: Path, monkeypatch) -> None:
    scan_root(store, firm)
    before = docs(store)
    calls = count_parses(monkeypatch)
    report = scan_root(store, firm)
    assert calls == []
    assert report.unchanged == report.files_seen == len(TREE)
    assert (report.added, report.updated, report.moved, report.deleted) == (0, 0, 0, 0)
    assert (report.projects_added, report.projects_renamed, report.projects_deleted) == (0, 0, 0)
    assert docs(store) == before  # not even indexed_at moved


def test_force_reparses_everything(store: Store, firm: Path, monkeypatch) -> None:
    scan_root(store, firm)
    calls = count_parses(monkeypatch)
    report = scan_root(store, firm, force=True)
    assert len(calls) == len(TREE)
    assert report.updated == len(TREE)


def test_modify_move_delete_add_keep_ids(store: Store, firm: Path, monkeypatch) -> None:
    scan_root(store, firm)
    before = docs(store)
    ids = {rel: row["id"] for rel, row in before.items()}
    d1 = f"{PF}/{RANGE}/{P1}"

    modified = f"{d1}/1. Sales Handover/21614 - Poolwerx - Project Handover Document.pdf"
    write(firm, modified, b"handover, second edition", MTIME + 60)

    old_lld = f"{d1}/4. System Designs/21614 - TR L1 UPGRADES - Rev 101.pdf"
    new_lld = f"{d1}/4. System Designs/ARCHIVE/21614 - TR L1 UPGRADES - Rev 101.pdf"
    os.rename(firm / old_lld, firm / new_lld)  # a rename keeps size and mtime

    across_old = f"{PF}/20000 - 20999/{P3}/notes.rtf"
    across_new = f"{d1}/3. PMO/notes.rtf"
    (firm / across_new).parent.mkdir(parents=True)
    os.rename(firm / across_old, firm / across_new)

    deleted = f"{PF}/{RANGE}/{P2}/3. PMO/Change Order 7.docx"
    (firm / deleted).unlink()

    added = f"{d1}/4. System Designs/21614 - TR L1 UPGRADES - Rev 102.pdf"
    write(firm, added, b"lld 102", MTIME + 120)

    calls = count_parses(monkeypatch)
    report = scan_root(store, firm)
    assert (report.added, report.updated, report.moved, report.deleted) == (1, 1, 2, 1)
    assert report.unchanged == len(TREE) - 4
    assert sorted(calls) == sorted(p.rsplit("/", 1)[1] for p in (modified, new_lld, across_new, added))

    after = docs(store)
    assert set(after) == (set(before) - {old_lld, across_old, deleted}) | {new_lld, across_new, added}
    assert after[modified]["id"] == ids[modified]
    assert after[modified]["size"] == len(b"handover, second edition")
    assert after[modified]["mtime"] == MTIME + 60
    assert after[new_lld]["id"] == ids[old_lld]
    assert after[new_lld]["is_archive"] == 1
    assert after[new_lld]["project_rel_path"] == "4. System Designs/ARCHIVE/21614 - TR L1 UPGRADES - Rev 101.pdf"
    assert after[across_new]["id"] == ids[across_old]
    assert after[across_new]["project_id"] == projects(store)["21614"]["id"]
    assert after[added]["id"] not in ids.values()

    counts = {code: row["doc_count"] for code, row in projects(store).items()}
    assert counts == {"21614": 6, "21620": 1, "20692": 1}


def test_copy_with_same_metadata_is_not_a_move(store: Store, firm: Path) -> None:
    scan_root(store, firm)
    src = f"{PF}/{RANGE}/{P1}/4. System Designs/21614 - TR L1 UPGRADES - Rev 101.pdf"
    dst = (
        f"{PF}/{RANGE}/{P1}/6. Customer Handover Documents/As-Built Documents/System Designs/"
        "21614 - TR L1 UPGRADES - Rev 101.pdf"
    )
    (firm / dst).parent.mkdir(parents=True)
    shutil.copy2(firm / src, firm / dst)  # same name, size and mtime
    before = docs(store)
    report = scan_root(store, firm)
    assert (report.added, report.moved, report.deleted) == (1, 0, 0)
    after = docs(store)
    assert after[src]["id"] == before[src]["id"]
    assert after[dst]["id"] != before[src]["id"]


def test_same_path_replaced_is_an_update(store: Store, firm: Path) -> None:
    scan_root(store, firm)
    rel = f"{PF}/{RANGE}/{P2}/3. PMO/Change Order 7.docx"
    old_id = docs(store)[rel]["id"]
    write(firm, rel, b"co7", MTIME + 1)  # same size, newer mtime
    report = scan_root(store, firm)
    assert (report.updated, report.added, report.deleted) == (1, 0, 0)
    assert docs(store)[rel]["id"] == old_id


def test_renamed_project_folder_keeps_ids(store: Store, firm: Path) -> None:
    scan_root(store, firm)
    before_docs = docs(store)
    before_proj = projects(store)["21614"]
    old = firm / PF / RANGE / P1
    renamed = "21614 - PLWRX - TR Level 1 Upgrades"
    os.rename(old, old.with_name(renamed))

    report = scan_root(store, firm)
    assert report.projects_renamed == 1
    assert (report.projects_added, report.projects_deleted) == (0, 0)
    assert report.moved == 4
    assert (report.added, report.deleted) == (0, 0)
    proj = projects(store)["21614"]
    assert proj["id"] == before_proj["id"]
    assert proj["folder_name"] == renamed
    assert proj["rel_path"] == f"{PF}/{RANGE}/{renamed}"
    assert proj["doc_count"] == 4
    after = docs(store)
    for rel, row in before_docs.items():
        if P1 in rel:
            new_rel = rel.replace(P1, renamed)
            assert after[new_rel]["id"] == row["id"]
            assert after[new_rel]["project_rel_path"] == row["project_rel_path"]
    # Nothing left to do on the next scan.
    again = scan_root(store, firm)
    assert again.unchanged == len(TREE) and again.moved == again.projects_renamed == 0


def test_project_moved_to_another_range_and_changed_inside(store: Store, firm: Path) -> None:
    scan_root(store, firm)
    pid = projects(store)["20692"]["id"]
    write(firm, f"{PF}/20000 - 20999/{P3}/extra.pdf", b"new")
    (firm / PF / "Archive").mkdir()
    os.rename(firm / PF / "20000 - 20999" / P3, firm / PF / "Archive" / P3)
    report = scan_root(store, firm)
    assert report.projects_renamed == 1
    assert report.added == 1
    proj = projects(store)["20692"]
    assert proj["id"] == pid
    assert proj["range_folder"] is None
    assert proj["doc_count"] == 3


def test_ambiguous_rename_makes_new_projects_but_keeps_document_ids(store: Store, firm: Path) -> None:
    scan_root(store, firm)
    old_pid = projects(store)["20692"]["id"]
    before = docs(store)
    base = firm / PF / "20000 - 20999"
    os.rename(base / P3, base / "20692 - DWNR - Project B1012 part A")
    (base / "20692 - DWNR - Project B1012 part B").mkdir()
    report = scan_root(store, firm)
    assert report.projects_renamed == 0
    assert (report.projects_added, report.projects_deleted) == (2, 1)
    assert report.moved == 2 and report.added == 0 and report.deleted == 0
    after = docs(store)
    for rel, row in before.items():
        if P3 in rel:
            assert after[rel.replace(P3, "20692 - DWNR - Project B1012 part A")]["id"] == row["id"]
    assert old_pid not in {p["id"] for p in projects(store).values()}


def test_vanished_project_is_deleted_with_its_documents(store: Store, firm: Path) -> None:
    scan_root(store, firm)
    shutil.rmtree(firm / PF / RANGE / P2)
    report = scan_root(store, firm)
    assert report.projects_deleted == 1
    assert report.deleted == 2
    assert set(projects(store)) == {"21614", "20692"}
    assert not [r for r in docs(store) if P2 in r]


def test_emptied_root_deletes_everything_only_when_forced(store: Store, firm: Path) -> None:
    scan_root(store, firm)
    shutil.rmtree(firm / PF)
    # An emptied root looks like an unmounted share: nothing is deleted without force.
    refused = scan_root(store, firm)
    assert refused.deleted == 0 and refused.projects_deleted == 0
    assert [p.kind for p in refused.problem_samples] == ["suspect"]
    assert len(docs(store)) == len(TREE)
    report = scan_root(store, firm, force=True)
    assert report.deleted == len(TREE) and report.projects_deleted == 3
    assert docs(store) == {} and projects(store) == {}


def test_two_roots_are_independent(store: Store, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    write(a, f"{P1}/x.pdf")
    write(b, f"{P1}/x.pdf")
    write(b, f"{P3}/y.pdf")
    reports = scan_roots(store, [a, b])
    assert [r.added for r in reports] == [1, 2]
    shutil.rmtree(b / P3)
    again = scan_root(store, a)
    assert again.deleted == 0
    assert store.query_one("SELECT count(*) FROM documents")[0] == 3
    assert store.query_one("SELECT count(*) FROM roots")[0] == 2


# --------------------------------------------------------------------------- cancel and progress


def test_cancel_before_walk_deletes_nothing(store: Store, firm: Path) -> None:
    scan_root(store, firm)
    gone = f"{PF}/{RANGE}/{P2}/3. PMO/Change Order 7.docx"
    (firm / gone).unlink()
    cancel = threading.Event()
    cancel.set()
    report = scan_root(store, firm, cancel=cancel)
    assert report.status == "cancelled"
    assert report.deleted == 0
    assert gone in docs(store)
    assert store.query_one("SELECT status FROM scans WHERE id = ?", (report.scan_id,))[0] == "cancelled"
    assert scan_root(store, firm).deleted == 1


def test_cancel_mid_walk_commits_what_was_done(store: Store, firm: Path, monkeypatch) -> None:
    monkeypatch.setattr(scan_base, "PROGRESS_INTERVAL", 0.0)
    cancel = threading.Event()

    def progress(p: ScanProgress) -> None:
        if p.files_seen:
            cancel.set()

    report = scan_root(store, firm, progress=progress, cancel=cancel)
    assert report.status == "cancelled"
    assert 0 < report.added < len(TREE)
    assert len(docs(store)) == report.added
    counts = sum(p["doc_count"] for p in projects(store).values())
    assert counts == report.added
    finished = scan_root(store, firm)
    assert finished.status == "done"
    assert finished.added == len(TREE) - report.added
    assert finished.unchanged == report.added


def test_progress_reports_phases_and_counts(store: Store, firm: Path, monkeypatch) -> None:
    monkeypatch.setattr(scan_base, "PROGRESS_INTERVAL", 0.0)
    seen: list[ScanProgress] = []
    scan_root(store, firm, progress=seen.append)
    assert seen[0].phase == "discover"
    assert seen[-1].phase == "done"
    assert seen[-1].files_seen == len(TREE)
    assert seen[-1].projects_seen == seen[-1].projects_total == 3
    walk = [p for p in seen if p.phase == "walk"]
    assert walk and {p.current_project for p in walk} <= {"21614", "21620", "20692", None}
    files = [p.files_seen for p in seen]
    assert files == sorted(files)


def test_progress_is_throttled_and_errors_in_it_are_ignored(store: Store, firm: Path) -> None:
    calls: list[ScanProgress] = []

    def broken(p: ScanProgress) -> None:
        calls.append(p)
        raise RuntimeError("display went away")

    report = scan_root(store, firm, progress=broken)
    assert report.status == "done"
    assert len(calls) <= 6  # the forced ones (discover, reconcile, done) plus a few at most


def test_small_batches_commit_in_chunks(store: Store, firm: Path, monkeypatch) -> None:
    monkeypatch.setattr(scan_write, "BATCH_ROWS", 1)
    report = scan_root(store, firm)
    assert report.added == len(docs(store)) == len(TREE)


def test_other_writers_are_not_locked_out(store: Store, firm: Path, tmp_path: Path, monkeypatch) -> None:
    """A second connection (another process) can write between the scan's batches."""
    monkeypatch.setattr(scan_write, "BATCH_ROWS", 1)
    other = Store(store.path)
    writes: list[int] = []

    def progress(p: ScanProgress) -> None:
        with other.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO roots (path) VALUES (?)", (f"/elsewhere/{len(writes)}",))
        writes.append(1)

    monkeypatch.setattr(scan_base, "PROGRESS_INTERVAL", 0.0)
    try:
        report = scan_root(store, firm, progress=progress)
    finally:
        other.close()
    assert report.status == "done" and writes
