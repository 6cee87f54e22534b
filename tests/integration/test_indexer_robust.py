"""Filesystem indexer on a hostile tree: permissions, symlinks, bad names, long paths, races."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from quicknav_mcp.indexers import scan_base, scan_project, scan_walk
from quicknav_mcp.indexers.filesystem import scan_root, scan_roots

from quicknav_mcp.errors import ConfigError
from quicknav_mcp.repo.documents import REL_PATH
from quicknav_mcp.store import Store

P1 = "21614 - PLWRX  TR L1 Upgrades"
P2 = "20692 - DWNR  - Project B1012"
DESIGNS = "4. System Designs"
MTIME = 1_700_000_000.0


def write(root: Path, rel: str, data: bytes = b"x") -> Path:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, (MTIME, MTIME))
    return path


@pytest.fixture
def store(tmp_path: Path):
    s = Store(tmp_path / "quicknav.db")
    yield s
    s.close()


@pytest.fixture
def root(tmp_path: Path) -> Path:
    base = tmp_path / "Project Folders" / "21000 - 21999"
    write(base, f"{P1}/{DESIGNS}/21614 - TR L1 - Rev 100.pdf")
    write(base, f"{P1}/{DESIGNS}/ARCHIVE/21614 - TR L1 - Rev 099.pdf")
    write(base, f"{P1}/3. PMO/minutes.docx")
    write(base, f"{P2}/{DESIGNS}/20692 - B1012 - Rev 100.pdf")
    return tmp_path / "Project Folders"


def rels(store: Store) -> set[str]:
    return {r[0] for r in store.query(f"SELECT {REL_PATH} FROM documents d JOIN projects p ON p.id = d.project_id")}


def problems(store: Store, scan_id: int) -> list[tuple[str, str]]:
    return [
        (r["kind"], r["path"])
        for r in store.query("SELECT kind, path FROM scan_problems WHERE scan_id = ? ORDER BY id", (scan_id,))
    ]


class _Listing:
    """What ``os.scandir`` returns, from a list taken before ``then`` ran."""

    def __init__(self, path, then) -> None:
        with os.scandir(path) as it:
            self.entries = list(it)
        then()

    def __enter__(self):
        return iter(self.entries)

    def __exit__(self, *exc) -> None:
        return None


def vanish_after_listing(monkeypatch: pytest.MonkeyPatch, folder: Path, victim: Path) -> None:
    real = scan_base._scandir

    def remove() -> None:
        if victim.is_dir():
            shutil.rmtree(victim)
        else:
            victim.unlink()

    def scandir(path):
        if os.fspath(path) == os.fspath(folder):
            return _Listing(path, remove)
        return real(path)

    monkeypatch.setattr(scan_base, "_scandir", scandir)


# --------------------------------------------------------------------------- roots


def test_missing_root_is_a_config_error(store: Store, tmp_path: Path) -> None:
    missing = tmp_path / "no such folder"
    with pytest.raises(ConfigError, match=r"no such folder.*does not exist"):
        scan_root(store, missing)
    assert store.query_one("SELECT count(*) FROM roots")[0] == 0


def test_file_root_is_a_config_error(store: Store, tmp_path: Path) -> None:
    file = write(tmp_path, "file.pdf")
    with pytest.raises(ConfigError, match=r"file\.pdf is not a directory"):
        scan_root(store, file)


def test_scan_roots_checks_every_root_first(store: Store, root: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="missing"):
        scan_roots(store, [root, tmp_path / "missing"])
    assert store.query_one("SELECT count(*) FROM scans")[0] == 0


def test_root_is_stored_resolved(store: Store, root: Path, tmp_path: Path) -> None:
    link = tmp_path / "shortcut"
    link.symlink_to(root, target_is_directory=True)
    report = scan_root(store, tmp_path / "shortcut" / ".." / "shortcut")
    assert report.root == str(root.resolve())
    assert report.added == 4


# --------------------------------------------------------------------------- permissions


def test_unreadable_folder_is_recorded_and_skipped(store: Store, root: Path, deny) -> None:
    archive = root / "21000 - 21999" / P1 / DESIGNS / "ARCHIVE"
    deny(archive)
    report = scan_root(store, root)
    assert report.status == "done"
    assert report.added == 3
    assert report.problems == 1
    sample = report.problem_samples[0]
    assert (sample.kind, sample.path) == ("permission", f"21000 - 21999/{P1}/{DESIGNS}/ARCHIVE")
    assert "Permission denied" in sample.message
    assert problems(store, report.scan_id) == [("permission", sample.path)]
    assert store.query_one("SELECT problems FROM scans WHERE id = ?", (report.scan_id,))[0] == 1


def test_rows_under_an_unreadable_folder_are_kept(store: Store, root: Path, monkeypatch, deny) -> None:
    scan_root(store, root)
    before = rels(store)
    write(root, f"21000 - 21999/{P2}/3. PMO/new.pdf")
    deny(root / "21000 - 21999" / P1)  # the whole project folder
    report = scan_root(store, root)
    assert report.deleted == 0 and report.projects_deleted == 0
    assert report.kept == 3
    assert report.added == 1  # the rest of the scan went on
    assert rels(store) == before | {f"21000 - 21999/{P2}/3. PMO/new.pdf"}
    monkeypatch.undo()
    (root / "21000 - 21999" / P1 / "3. PMO" / "minutes.docx").unlink()
    assert scan_root(store, root).deleted == 1


def test_unreadable_range_folder_keeps_its_projects(store: Store, root: Path, deny) -> None:
    scan_root(store, root)
    deny(root / "21000 - 21999")
    report = scan_root(store, root)
    assert report.projects_seen == 0
    assert (report.projects_deleted, report.deleted, report.kept) == (0, 0, 4)
    assert store.query_one("SELECT count(*) FROM projects")[0] == 2


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root ignores chmod")
def test_real_chmod_denied_folder(store: Store, root: Path) -> None:
    folder = root / "21000 - 21999" / P1 / "3. PMO"
    folder.chmod(0)
    try:
        report = scan_root(store, root)
    finally:
        folder.chmod(0o755)
    assert [p.kind for p in report.problem_samples] == ["permission"]
    assert report.added == 3


# --------------------------------------------------------------------------- symlinks


def test_symlink_loop_is_not_followed(store: Store, root: Path) -> None:
    project = root / "21000 - 21999" / P1
    (project / DESIGNS / "loop").symlink_to(project, target_is_directory=True)
    (project / "self").symlink_to(project / "self")  # ELOOP when followed
    (root / "again").symlink_to(root, target_is_directory=True)  # seen while discovering projects
    report = scan_root(store, root)
    assert report.status == "done"
    assert report.files_seen == report.added == 4
    kinds = sorted((p.kind, p.path.rsplit("/", 1)[-1]) for p in report.problem_samples)
    assert kinds == [("loop", "again"), ("loop", "loop"), ("loop", "self")]


def test_symlinks_do_not_escape_the_root(store: Store, root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    write(outside, "secret.pdf")
    write(outside, "sub/more.pdf")
    project = root / "21000 - 21999" / P1
    (project / "3. PMO" / "linked-folder").symlink_to(outside / "sub", target_is_directory=True)
    (project / "3. PMO" / "secret.pdf").symlink_to(outside / "secret.pdf")
    (project / "3. PMO" / "broken.pdf").symlink_to(tmp_path / "nowhere.pdf")
    (project / "3. PMO" / "alias.pdf").symlink_to(project / "3. PMO" / "minutes.docx")  # inside: indexed
    report = scan_root(store, root)
    assert f"21000 - 21999/{P1}/3. PMO/alias.pdf" in rels(store)
    assert not [r for r in rels(store) if "secret" in r or "more" in r]
    assert report.added == 5
    assert sorted(p.kind for p in report.problem_samples) == ["error", "error", "error"]


# --------------------------------------------------------------------------- names


@pytest.mark.skipif(os.name == "nt", reason="POSIX file names are bytes")
def test_undecodable_names_are_recorded_not_crashing(store: Store, root: Path) -> None:
    designs = os.fsencode(root / "21000 - 21999" / P1 / DESIGNS)
    try:
        with open(designs + b"/bad\xff name.pdf", "wb") as fh:
            fh.write(b"x")
        os.mkdir(designs + b"/Folder \xfe")
    except OSError as exc:  # some file systems refuse non-UTF-8 names
        pytest.skip(f"file system refuses non-UTF-8 names: {exc}")
    with open(designs + b"/Folder \xfe/inside.pdf", "wb") as fh:
        fh.write(b"x")
    write(root, f"21000 - 21999/{P1}/{DESIGNS}/Café – plan ☃.pdf")  # valid non-ASCII is fine

    report = scan_root(store, root)
    assert report.status == "done"
    assert report.added == 5
    assert f"21000 - 21999/{P1}/{DESIGNS}/Café – plan ☃.pdf" in rels(store)
    bad = sorted((p.kind, p.path) for p in report.problem_samples)
    assert bad == [
        ("encoding", f"21000 - 21999/{P1}/{DESIGNS}/Folder \\xfe"),
        ("encoding", f"21000 - 21999/{P1}/{DESIGNS}/bad\\xff name.pdf"),
    ]
    assert sorted(problems(store, report.scan_id)) == bad
    assert scan_root(store, root).unchanged == 5


@pytest.mark.skipif(os.name == "nt", reason="POSIX file names are bytes")
def test_undecodable_project_folder_is_skipped(store: Store, root: Path) -> None:
    try:
        os.mkdir(os.fsencode(root / "21000 - 21999") + b"/21999 - Bad \xe9 Name")
    except OSError as exc:
        pytest.skip(f"file system refuses non-UTF-8 names: {exc}")
    report = scan_root(store, root)
    assert report.projects_seen == 2
    assert [p.kind for p in report.problem_samples] == ["encoding"]


def test_long_paths_are_indexed(store: Store, root: Path) -> None:
    # Longer than Windows' old MAX_PATH, like the real catalogue's longest (300 characters).
    rel = (
        f"21000 - 21999/{P1}/6. Customer Handover Documents/As-Built Documents/System Designs/"
        + "Room 12 - Lenovo Core Medium Room Solution - Level 3 Executive Boardroom/" * 3
        + "21614 - LENOVO CORE MEDIUM ROOM #07 - SPRINGFIELD POLICE STATION - Rev 100 AS-BUILT.pdf"
    )
    assert len(rel) > 300
    write(root, rel)
    report = scan_root(store, root)
    assert report.problems == 0
    assert rel in rels(store)


@pytest.mark.skipif(os.name == "nt", reason="needs POSIX dir_fd support")
def test_path_too_long_for_the_os_is_recorded(store: Store, root: Path) -> None:
    """Folders nested past PATH_MAX (created with dir fds) cannot be listed by path."""
    top = root / "21000 - 21999" / P1 / "3. PMO"
    fd = os.open(top, os.O_RDONLY)
    length = len(os.fsencode(top))
    try:
        while length < 4200:
            os.mkdir("n" * 200, dir_fd=fd)
            deeper = os.open("n" * 200, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = deeper
            length += 201
        os.close(os.open("deep.pdf", os.O_CREAT | os.O_WRONLY, 0o644, dir_fd=fd))
    finally:
        os.close(fd)
    report = scan_root(store, root)
    assert report.status == "done"
    assert report.added == 4
    assert [p.kind for p in report.problem_samples] == ["too_long"]
    assert report.problem_samples[0].path.startswith(f"21000 - 21999/{P1}/3. PMO/nnnn")


# --------------------------------------------------------------------------- races


def test_file_vanishing_between_listing_and_stat(store: Store, root: Path, monkeypatch) -> None:
    scan_root(store, root)
    designs = root / "21000 - 21999" / P1 / DESIGNS
    victim = designs / "21614 - TR L1 - Rev 100.pdf"
    vanish_after_listing(monkeypatch, designs, victim)
    report = scan_root(store, root)
    assert report.status == "done"
    assert [(p.kind, p.path) for p in report.problem_samples] == [
        ("vanished", f"21000 - 21999/{P1}/{DESIGNS}/21614 - TR L1 - Rev 100.pdf")
    ]
    assert report.deleted == 1  # it is gone, so its row goes too
    assert f"21000 - 21999/{P1}/{DESIGNS}/21614 - TR L1 - Rev 100.pdf" not in rels(store)


def test_folder_vanishing_before_it_is_listed(store: Store, root: Path, monkeypatch) -> None:
    scan_root(store, root)
    designs = root / "21000 - 21999" / P1 / DESIGNS
    vanish_after_listing(monkeypatch, designs, designs / "ARCHIVE")
    report = scan_root(store, root)
    assert [p.kind for p in report.problem_samples] == ["vanished"]
    assert report.deleted == 1 and report.kept == 0


def test_parser_failure_on_one_name_is_recorded(store: Store, root: Path, monkeypatch) -> None:
    real = scan_walk.parse_document

    def fragile(folders, name):
        if name == "minutes.docx":
            raise ValueError("boom")
        return real(folders, name)

    monkeypatch.setattr(scan_walk, "parse_document", fragile)
    report = scan_root(store, root)
    assert report.added == 3
    assert [p.kind for p in report.problem_samples] == ["error"]
    assert "boom" in report.problem_samples[0].message


def test_problem_lists_are_capped(store: Store, root: Path, monkeypatch) -> None:
    monkeypatch.setattr(scan_base, "PROBLEM_SAMPLES", 2)
    monkeypatch.setattr(scan_base, "MAX_STORED_PROBLEMS", 3)
    project = root / "21000 - 21999" / P1
    for i in range(5):
        (project / f"loop{i}").symlink_to(project, target_is_directory=True)
    report = scan_root(store, root)
    assert report.problems == 5
    assert len(report.problem_samples) == 2
    assert len(problems(store, report.scan_id)) == 3


def test_nesting_backstop_stops_runaway_depth(store: Store, root: Path, monkeypatch) -> None:
    """Loops the symlink check cannot see (Windows junctions) end at MAX_WALK_DEPTH."""
    monkeypatch.setattr(scan_project, "MAX_WALK_DEPTH", 1)
    report = scan_root(store, root)
    assert [(p.kind, p.path) for p in report.problem_samples] == [("loop", f"21000 - 21999/{P1}/{DESIGNS}/ARCHIVE")]
    assert report.added == 3


def test_nesting_backstop_also_bounds_the_listing_ahead(store: Store, root: Path, monkeypatch) -> None:
    """A rescan's folders listed ahead of the walk (scan_prefetch) stop at the walk's MAX_WALK_DEPTH, read from
    the one place the walk reads it: nothing deeper is listed, and the walk records the same loop."""
    scan_root(store, root)
    monkeypatch.setattr(scan_project, "MAX_WALK_DEPTH", 1)
    monkeypatch.setattr(scan_walk, "PREFETCH_MIN_PROJECTS", 1)
    listed: list[str] = []
    real = os.scandir

    def scandir(path: str):  # type: ignore[no-untyped-def]
        listed.append(path)
        return real(path)

    monkeypatch.setattr(scan_base, "_scandir", scandir)
    report = scan_root(store, root, force=True)
    assert [(p.kind, p.path) for p in report.problem_samples] == [("loop", f"21000 - 21999/{P1}/{DESIGNS}/ARCHIVE")]
    assert listed and not [p for p in listed if p.endswith("ARCHIVE")]
    assert report.files_seen == 3
