"""build_corpus_tree: the real catalogue as real files, safe, with revision-ordered mtimes."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from quicknav_mcp.demo.corpus_tree import build_corpus_tree, catalogue_mtime

pypdf = pytest.importorskip("pypdf")
docx = pytest.importorskip("docx")

P = "Project Folders/20000 - 20999/20797 - HTCHB- Ingenia Victoria Point Club House"


def _mtime(root: Path, rel: str) -> int:
    return int((root / rel).stat().st_mtime)


@pytest.mark.corpus
def test_real_catalogue_becomes_1792_real_files(real_paths: list[str], tmp_path: Path) -> None:
    count = build_corpus_tree(real_paths, tmp_path)
    assert count == len(real_paths) == 1792
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 1792
    sample_pdf = tmp_path / next(r for r in real_paths if r.endswith("AS-BUILT.pdf"))
    text = pypdf.PdfReader(io.BytesIO(sample_pdf.read_bytes()), strict=True).pages[0].extract_text()
    assert sample_pdf.stem in text
    sample_docx = tmp_path / next(r for r in real_paths if r.endswith(".docx"))
    assert docx.Document(sample_docx).paragraphs[0].text == sample_docx.stem
    sample_rtf = tmp_path / next(r for r in real_paths if r.endswith(".rtf"))
    assert sample_rtf.read_bytes().startswith(b"{\\rtf1")
    # newer revisions are newer on disk (real series from the catalogue)
    series = [r for r in real_paths if "20797-HTCHB-INGENIA VICTORIA POINT CLUB HOUSE-Rev" in r]
    by_rev = sorted(series, key=lambda r: int(r.rsplit("Rev", 1)[1][:3]))
    assert [_mtime(tmp_path, r) for r in by_rev] == sorted(_mtime(tmp_path, r) for r in by_rev)
    current = next(r for r in real_paths if r.endswith("Sales & PO Report - 23.04.2025.pdf") and "/Old/" not in r)
    older = [r for r in real_paths if "20797" in r and "/Old/" in r and "Sales & PO" in r and "2025" not in r]
    assert older and all(_mtime(tmp_path, o) < _mtime(tmp_path, current) for o in older)


@pytest.mark.corpus
def test_catalogue_file_argument_and_determinism(real_paths: list[str], tmp_path: Path) -> None:
    catalogue = tmp_path / "paths.txt"
    catalogue.write_text("\n".join(real_paths[:200]) + "\n\n# comment\n", encoding="utf-8")
    assert build_corpus_tree(catalogue, tmp_path / "a", content=False) == 200
    assert build_corpus_tree(real_paths[:200], tmp_path / "b", content=False) == 200
    for rel in real_paths[:200]:
        a, b = (tmp_path / "a" / rel).stat(), (tmp_path / "b" / rel).stat()
        assert a.st_mtime == b.st_mtime and a.st_size == b.st_size == 0


def test_revisions_dates_and_copies_order_mtimes(tmp_path: Path) -> None:
    lines = [
        f"{P}/4. System Designs/ARCHIVED/20797 - HTCHB - CLUB HOUSE - Rev 100 - ENG DRAFT.pdf",
        f"{P}/4. System Designs/ARCHIVED/20797 - HTCHB - CLUB HOUSE - Rev 100.pdf",
        f"{P}/4. System Designs/ARCHIVED/20797 - HTCHB - CLUB HOUSE - REV 101.pdf",
        f"{P}/4. System Designs/ARCHIVED/20797 - HTCHB - CLUB HOUSE - Rev 1.02.pdf",
        f"{P}/4. System Designs/ARCHIVED/20797 - HTCHB - CLUB HOUSE - Rev 1.02 AS-BUILT.pdf",
        f"{P}/4. System Designs/20797-HTCHB-CLUB HOUSE-Rev203.pdf",
    ]
    reports = [
        f"{P}/2. BOM & Orders/Sales & Change Orders/Old/20797 - X - Sales & PO Report  13-03-25.pdf",
        f"{P}/2. BOM & Orders/Sales & Change Orders/Old/20797 - X - Sales & PO Report  13-03-25 - 1.pdf",
        f"{P}/2. BOM & Orders/Sales & Change Orders/20797 - X - Sales & PO Report - 03.04.2025.pdf",
    ]
    consultant = [f"{P}/1. Sales Handover/Floor Plans/A-1101_({c}) - GA PLAN.pdf" for c in "ABC"]
    cos = [f"{P}/2. BOM & Orders/Sales & Change Orders/Change Orders/20797 - X - CO{k}.pdf" for k in (2, 9, 10)]
    build_corpus_tree(lines + reports + consultant + cos, tmp_path)
    for group in (lines, reports, consultant, cos):
        times = [_mtime(tmp_path, r) for r in group]
        assert times == sorted(times) and len(set(times)) == len(times), group
    assert catalogue_mtime(reports[-1]) == _mtime(tmp_path, reports[-1])


@pytest.mark.parametrize(
    "bad",
    ["../escape.pdf", "Project Folders/../../etc/passwd", "/etc/passwd", "C:\\Projects\\x.pdf", "a/b/../../../c.pdf"],
)
def test_refuses_absolute_and_parent_lines_before_writing(tmp_path: Path, bad: str) -> None:
    root = tmp_path / "root"
    with pytest.raises(ValueError):
        build_corpus_tree(["Project Folders/ok.pdf", bad], root)
    assert not (root / "Project Folders" / "ok.pdf").exists()
    assert not any(p.is_file() for p in tmp_path.rglob("*"))
    assert os.listdir(tmp_path) in ([], ["root"])
