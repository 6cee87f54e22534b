"""A worker's batch: every file's row, and the cycle collector as it was before the batch."""

from __future__ import annotations

import gc

from quicknav_mcp.indexers.scan_parse import parse_values

from quicknav_mcp.domain import parse_document
from quicknav_mcp.repo.documents import document_values


def test_rows_and_the_collector_left_as_found() -> None:
    folders = ("4. System Designs",)
    names = ["17741 - QPS Rev 101.pdf", "Room 05 layout.dwg"]
    jobs = [(3, folders, n, "4. System Designs/" + n, 10, 1.0, None) for n in names]
    expected = [(7, *document_values(3, j[3], j[2], 10, 1.0, parse_document(folders, j[2]))) for j in jobs]
    assert gc.isenabled()
    assert parse_values(7, jobs) == expected
    assert gc.isenabled()
    gc.disable()
    try:
        assert parse_values(7, jobs) == expected
        assert not gc.isenabled()
    finally:
        gc.enable()
