"""A scan's counters are defined once: the report, the ``scans`` row and ``index_status`` agree."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from quicknav_mcp.indexers.filesystem import ScanReport, scan_root

from quicknav_mcp.models import SCAN_COUNTERS, ScanSummary
from quicknav_mcp.services.indexing import IndexService
from quicknav_mcp.store import Store

PROJECT = "Project Folders/21000 - 21999/21614 - PLWRX  TR L1 Upgrades"


def test_report_carries_every_counter() -> None:
    fields = {f.name: f for f in dataclasses.fields(ScanReport)}
    for name in SCAN_COUNTERS:
        assert fields[name].type in (int, "int") and fields[name].default == 0, name


def test_report_answer_keeps_its_keys_in_order() -> None:
    """The counters come from ``ScanCounts``; the answer lists them where it always has (``kept`` before
    ``problems``), between the scan's head and its project counts."""
    report = ScanReport(root="/firm", root_id=1, scan_id=2)
    report.added += 2
    assert list(report.to_dict()) == [
        "root",
        "root_id",
        "scan_id",
        "status",
        "started_at",
        "finished_at",
        "seconds",
        *SCAN_COUNTERS[:-1],
        "kept",
        "problems",
        "projects_seen",
        "projects_added",
        "projects_renamed",
        "projects_deleted",
        "problem_samples",
        "files_per_s",
    ]
    assert SCAN_COUNTERS[-1] == "problems"
    assert report.counts() == dict.fromkeys(SCAN_COUNTERS, 0) | {"added": 2}


def test_report_row_and_status_agree(tmp_path: Path) -> None:
    root = tmp_path / "firm"
    for rel in ("4. System Designs/21614 - TR L1 - Rev 101.pdf", "3. PMO/21614 - SWMS.pdf", "notes.txt"):
        path = root / PROJECT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    store = Store(tmp_path / "q.db")
    try:
        scan_root(store, root)
        os.remove(root / PROJECT / "notes.txt")
        (root / PROJECT / "3. PMO/21614 - QA ITP.docx").write_bytes(b"y")
        report = scan_root(store, root)
        assert report.counts() == {
            "files_seen": 3,
            "added": 1,
            "updated": 0,
            "moved": 0,
            "deleted": 1,
            "unchanged": 2,
            "problems": 0,
        }
        (shown,) = IndexService(store, [root]).status().last_scans
        assert isinstance(shown, ScanSummary)
        assert shown.model_dump(include=set(SCAN_COUNTERS)) == report.counts()
        mine = report.summary()
        assert (
            (mine.root, mine.status, mine.finished_at)
            == (shown.root, shown.status, shown.finished_at)
            == (
                str(root.resolve()),
                "done",
                report.finished_at,
            )
        )
    finally:
        store.close()
