"""Sync-client conflict copies: same series as their original, never its current revision."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from quicknav_mcp.domain import (
    conflict_marker,
    current_by_series,
    is_conflict_copy,
    parse_document,
    strip_conflict,
)

SD = ("4. System Designs",)


@pytest.mark.parametrize(
    ("name", "marker"),
    [
        ("21614 - Training Room - Rev 101-DESKTOP-ABC1234.pdf", "DESKTOP-ABC1234"),
        ("Site Survey-LAPTOP-9F2K1QXA-2.docx", "LAPTOP-9F2K1QXA"),
        ("Quote (Jo Smith's conflicted copy 2024-05-01).xlsx", "Jo Smith's conflicted copy 2024-05-01"),
        ("BOM (conflict 2024-05-01 101112).xlsx", "conflict 2024-05-01 101112"),
    ],
)
def test_conflict_copies_are_recognised(name: str, marker: str) -> None:
    assert is_conflict_copy(name)
    assert conflict_marker(name.rpartition(".")[0]) == marker


@pytest.mark.parametrize(
    "name",
    [
        "21614 - Training Room - Rev 101.pdf",
        "Meeting notes-Desktop.docx",  # a word, not a machine name
        "Floor plan (1).pdf",
        "CO-12 Conflicting requirements.pdf",
        "DESKTOP-ABC1234",  # nothing before the marker: not a copy of anything
    ],
)
def test_ordinary_names_are_not_conflict_copies(name: str) -> None:
    assert not is_conflict_copy(name)


def test_strip_conflict_leaves_the_original_stem() -> None:
    assert strip_conflict("Plan Rev 101-DESKTOP-ABC1234") == "Plan Rev 101"
    assert strip_conflict("Plan (Jo's conflicted copy)") == "Plan"
    assert strip_conflict("Plan Rev 101") == "Plan Rev 101"


def test_a_conflict_copy_is_in_its_originals_series() -> None:
    original = parse_document(SD, "21614 - Training Room - Rev 101.pdf")
    copy = parse_document(SD, "21614 - Training Room - Rev 101-DESKTOP-ABC1234.pdf")
    assert copy.series_key == original.series_key
    assert copy.revision == original.revision


@dataclass
class Doc:
    """The :class:`DocFacts` of a parsed name, as the store holds them."""

    name: str
    series_key: str
    revision: int | None
    revision_scheme: str | None
    status_tags: tuple[str, ...]
    is_as_built: bool
    doc_date: str | None
    is_archive: bool
    is_handover_copy: bool
    phase: str | None
    doc_type: str | None
    mtime: float


def _doc(name: str, mtime: float) -> Doc:
    p = parse_document(SD, name)
    rev = p.revision
    return Doc(
        name,
        p.series_key,
        rev.value if rev else None,
        rev.scheme if rev else None,
        tuple(p.status_tags),
        p.is_as_built,
        p.doc_date,
        p.is_archive,
        p.is_handover_copy,
        p.phase,
        p.doc_type,
        mtime,
    )


def test_a_newer_conflict_copy_never_becomes_current() -> None:
    docs = [
        _doc("21614 - Training Room - Rev 101.pdf", 100.0),
        _doc("21614 - Training Room - Rev 101-DESKTOP-ABC1234.pdf", 200.0),  # saved later
        _doc("21614 - Training Room - Rev 102-LAPTOP-9F2K1QXA.pdf", 300.0),  # even a higher revision
    ]
    assert [d.name for d in current_by_series(docs)] == ["21614 - Training Room - Rev 101.pdf"]


def test_a_conflict_copy_alone_is_still_its_series_current() -> None:
    docs = [_doc("Site Survey-DESKTOP-ABC1234.docx", 1.0)]
    assert [d.name for d in current_by_series(docs)] == ["Site Survey-DESKTOP-ABC1234.docx"]


def test_the_real_corpus_conflict_copies_yield_to_their_original() -> None:
    # Three files side by side in one Sales Handover folder of the real firm.
    base = "21376 - Project Handover Document"
    docs = [
        _doc(f"{base}-DESKTOP-K5SB01T.pdf", 300.0),
        _doc(f"{base}-DESKTOP-TIDTJEI.pdf", 200.0),
        _doc(f"{base}.pdf", 100.0),
    ]
    assert len({d.series_key for d in docs}) == 1
    assert [d.name for d in current_by_series(docs)] == [f"{base}.pdf"]
