"""Tiny stdlib-only writers for the document formats the demo firm contains.

Every writer returns bytes and is deterministic: the same input gives the same bytes
(no timestamps inside files), so two generated trees compare equal byte for byte.

- :func:`pdf_bytes`  a minimal valid PDF 1.4: Helvetica (WinAnsiEncoding) text pages,
  correct xref offsets, an ``/Info`` title. pypdf extracts the text.
- :func:`docx_bytes` a minimal WordprocessingML package (``[Content_Types].xml``,
  ``_rels/.rels``, ``word/document.xml``, ``docProps/core.xml``). python-docx reads it.
- :func:`rtf_bytes`  plain RTF 1 with one paragraph per line.
- :data:`JPEG_BYTES` a valid 8x8 grey baseline JPEG used for every photo.
"""

from __future__ import annotations

import io
import re
import textwrap
import zipfile
from collections.abc import Sequence

__all__ = ["JPEG_BYTES", "docx_bytes", "pdf_bytes", "render_file", "rtf_bytes", "text_bytes"]

PRODUCER = "QuickNav demo generator"
_LINES_PER_PAGE = 58
_WRAP = 96

# --------------------------------------------------------------------------- PDF


def _pdf_literal(text: str) -> bytes:
    """``text`` as a PDF literal string in WinAnsiEncoding (cp1252), safely escaped."""
    raw = text.encode("cp1252", errors="replace")
    out = bytearray(b"(")
    for byte in raw:
        if byte in (0x28, 0x29, 0x5C):  # ( ) \
            out += b"\\" + bytes([byte])
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += b"\\%03o" % byte
    out += b")"
    return bytes(out)


def _pdf_text_string(text: str) -> bytes:
    """A PDF text string for metadata: ASCII literal, or UTF-16BE hex with BOM."""
    if text.isascii():
        return _pdf_literal(text)
    return b"<FEFF" + text.encode("utf-16-be").hex().upper().encode("ascii") + b">"


def _wrap(lines: Sequence[str], width: int = _WRAP) -> list[str]:
    out: list[str] = []
    for line in lines:
        if len(line) <= width:
            out.append(line)
        else:
            out.extend(textwrap.wrap(line, width, subsequent_indent="  ") or [""])
    return out


def _page_stream(lines: Sequence[str], heading: str | None) -> bytes:
    parts = [b"BT", b"/F1 10 Tf", b"13 TL", b"50 800 Td"]
    if heading is not None:
        parts += [b"/F1 14 Tf", _pdf_literal(heading) + b" Tj", b"/F1 10 Tf", b"0 -8 Td"]
        parts.append(b"T*")
    first = True
    for line in lines:
        if not first or heading is not None:
            parts.append(b"T*")
        first = False
        parts.append(_pdf_literal(line) + b" Tj")
    parts.append(b"ET")
    return b"\n".join(parts) + b"\n"


def pdf_bytes(lines: Sequence[str], *, title: str | None = None) -> bytes:
    """A minimal valid PDF whose pages show ``title`` (as a heading) and ``lines``."""
    body = _wrap(list(lines))
    first_cap = _LINES_PER_PAGE - (2 if title is not None else 0)
    pages: list[tuple[list[str], str | None]] = [(body[:first_cap], title)]
    rest = body[first_cap:]
    while rest:
        pages.append((rest[:_LINES_PER_PAGE], None))
        rest = rest[_LINES_PER_PAGE:]

    n_pages = len(pages)
    # Object numbers: 1 catalog, 2 pages, 3 font, 4 info, then (page, content) pairs.
    page_ids = [5 + 2 * i for i in range(n_pages)]
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % pid for pid in page_ids) + b"] /Count %d >>" % n_pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Producer "
        + _pdf_text_string(PRODUCER)
        + (b" /Title " + _pdf_text_string(title) if title else b"")
        + b" >>",
    ]
    for (page_lines, heading), pid in zip(pages, page_ids, strict=True):
        stream = _page_stream(page_lines, heading)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (pid + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"endstream")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


# --------------------------------------------------------------------------- DOCX

_XML_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    '<Override PartName="/docProps/core.xml" '
    'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="word/document.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
    'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
    "</Relationships>"
)
_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _xml_escape(text: str) -> str:
    text = _XML_BAD.sub(" ", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _w_paragraph(text: str, *, bold: bool = False, size: int | None = None) -> str:
    props = ""
    if bold or size:
        props = "<w:rPr>" + ("<w:b/>" if bold else "") + (f'<w:sz w:val="{size}"/>' if size else "")
        props += "</w:rPr>"
    return f'<w:p><w:r>{props}<w:t xml:space="preserve">{_xml_escape(text)}</w:t></w:r></w:p>'


def docx_bytes(paragraphs: Sequence[str], *, title: str | None = None, compress: bool = True) -> bytes:
    """A minimal valid .docx: ``title`` as a bold first paragraph, then one paragraph per line."""
    body = []
    if title:
        body.append(_w_paragraph(title, bold=True, size=28))
    body.extend(_w_paragraph(p) for p in paragraphs)
    document = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<w:document xmlns:w="{_W_NS}"><w:body>{"".join(body)}'
        '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/></w:sectPr></w:body></w:document>'
    )
    core = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:title>{_xml_escape(title or '')}</dc:title><dc:creator>{PRODUCER}</dc:creator>"
        "</cp:coreProperties>"
    )
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in (
            ("[Content_Types].xml", _CONTENT_TYPES),
            ("_rels/.rels", _RELS),
            ("word/document.xml", document),
            ("docProps/core.xml", core),
        ):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            info.external_attr = 0o644 << 16
            zf.writestr(info, data.encode("utf-8"))
    return buf.getvalue()


# --------------------------------------------------------------------------- RTF / text / JPEG


def _rtf_escape(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if ch in "\\{}":
            out.append("\\" + ch)
        elif 32 <= code < 127:
            out.append(ch)
        elif code > 0xFFFF:
            out.append("?")
        elif code >= 128:
            out.append(f"\\u{code if code < 32768 else code - 65536}?")
        else:
            out.append(" ")
    return "".join(out)


def rtf_bytes(lines: Sequence[str], *, title: str | None = None) -> bytes:
    """A plain RTF document: ``title`` in bold, then one paragraph per line."""
    parts = [r"{\rtf1\ansi\ansicpg1252\deff0{\fonttbl{\f0\fswiss Helvetica;}}\f0\fs20"]
    if title:
        parts.append(r"{\b\fs28 " + _rtf_escape(title) + r"}\par")
    parts.extend(_rtf_escape(line) + r"\par" for line in lines)
    parts.append("}")
    return ("\n".join(parts) + "\n").encode("ascii")


def text_bytes(lines: Sequence[str], *, title: str | None = None) -> bytes:
    """UTF-8 plain text with a title line."""
    head = [title, "=" * min(len(title), 80), ""] if title else []
    return ("\n".join([*head, *lines]) + "\n").encode("utf-8")


def _make_jpeg() -> bytes:
    """An 8x8 mid-grey baseline JPEG: one DC-only block, one-symbol Huffman tables."""

    def segment(marker: int, payload: bytes) -> bytes:
        return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload

    jfif = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    dqt = segment(0xDB, b"\x00" + b"\x01" * 64)
    sof = segment(0xC0, b"\x08\x00\x08\x00\x08\x01\x01\x11\x00")
    one_code = b"\x01" + b"\x00" * 15  # a single code of length 1
    dht_dc = segment(0xC4, b"\x00" + one_code + b"\x00")  # DC category 0
    dht_ac = segment(0xC4, b"\x10" + one_code + b"\x00")  # AC EOB
    sos = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    scan = b"\x3f"  # bits 0 (DC diff 0) 0 (EOB), padded with ones
    return b"\xff\xd8" + jfif + dqt + sof + dht_dc + dht_ac + sos + scan + b"\xff\xd9"


JPEG_BYTES = _make_jpeg()


def render_file(ext: str, lines: Sequence[str], *, title: str | None, compress: bool = True) -> bytes:
    """Bytes for a file with extension ``ext`` (``.pdf`` ...) showing ``title`` and ``lines``."""
    ext = ext.lower()
    if ext == ".pdf":
        return pdf_bytes(lines, title=title)
    if ext == ".docx":
        return docx_bytes(lines, title=title, compress=compress)
    if ext == ".rtf":
        return rtf_bytes(lines, title=title)
    if ext in (".jpg", ".jpeg"):
        return JPEG_BYTES
    return text_bytes(lines, title=title)
