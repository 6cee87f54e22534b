"""The stdlib-only PDF/DOCX/RTF/JPEG writers produce files real readers accept."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from quicknav_mcp.demo.formats import JPEG_BYTES, docx_bytes, pdf_bytes, render_file, rtf_bytes, text_bytes

pypdf = pytest.importorskip("pypdf")
docx = pytest.importorskip("docx")


def test_pdf_text_is_extractable_with_escapes_and_non_ascii() -> None:
    lines = ["Client: Poolwerx (Brisbane) \\ level 1", "Crestron CP4N – Biamp Tesira", "Café 50 Quay Street"]
    data = pdf_bytes(lines, title="21614 - POOLWERX – Rev 102 AS-BUILT")
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    text = reader.pages[0].extract_text()
    assert "21614 - POOLWERX – Rev 102 AS-BUILT" in text
    for line in lines:
        assert line in text
    assert reader.metadata.title == "21614 - POOLWERX – Rev 102 AS-BUILT"


def test_pdf_xref_offsets_point_at_objects_and_long_text_paginates() -> None:
    data = pdf_bytes([f"Line {i} Samsung QM85C display" for i in range(150)], title="Long")
    xref_at = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data).group(1))
    assert data[xref_at:].startswith(b"xref\n")
    header = data[xref_at:].split(b"\n")
    count = int(header[1].split()[1])
    entries = header[3 : 3 + count - 1]
    for number, entry in enumerate(entries, start=1):
        assert len(entry) == 19  # 20 bytes with the newline
        offset = int(entry[:10])
        assert data[offset:].startswith(b"%d 0 obj\n" % number)
    reader = pypdf.PdfReader(io.BytesIO(data), strict=True)
    assert len(reader.pages) == 3
    assert "Line 149 Samsung" in reader.pages[2].extract_text()


def test_docx_opens_in_python_docx_and_is_deterministic() -> None:
    data = docx_bytes(["Scope for Charter Hall & <friends>", "Logitech Rally Bar"], title="Scope – Rev 2")
    assert data == docx_bytes(["Scope for Charter Hall & <friends>", "Logitech Rally Bar"], title="Scope – Rev 2")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        assert {"[Content_Types].xml", "_rels/.rels", "word/document.xml"} <= set(zf.namelist())
    document = docx.Document(io.BytesIO(data))
    texts = [p.text for p in document.paragraphs]
    assert texts == ["Scope – Rev 2", "Scope for Charter Hall & <friends>", "Logitech Rally Bar"]
    assert document.core_properties.title == "Scope – Rev 2"
    stored = docx_bytes(["x"], title="y", compress=False)
    assert [p.text for p in docx.Document(io.BytesIO(stored)).paragraphs] == ["y", "x"]


def test_rtf_text_and_jpeg() -> None:
    rtf = rtf_bytes(["braces {x} and \\ back", "Café"], title="Scope")
    assert rtf.startswith(b"{\\rtf1") and rtf.rstrip().endswith(b"}")
    assert b"braces \\{x\\} and \\\\ back" in rtf and b"Caf\\u233?" in rtf
    assert JPEG_BYTES.startswith(b"\xff\xd8\xff\xe0") and JPEG_BYTES.endswith(b"\xff\xd9")
    sof = JPEG_BYTES.index(b"\xff\xc0")
    assert JPEG_BYTES[sof + 5 : sof + 9] == b"\x00\x08\x00\x08"  # 8x8 pixels
    assert text_bytes(["a"], title="T").decode() == "T\n=\n\na\n"
    assert render_file(".JPG", ["ignored"], title="x") == JPEG_BYTES
    assert render_file(".pdf", [], title="x").startswith(b"%PDF-1.4")
