"""A document's text for a preview: the passage around the words searched for, or its opening lines.

Reads the text the extraction worker stored (``document_content``); when there is none it says why
(not extracted yet, a kind of file text is not read from, empty, failed...), so a preview never shows
a blank where the reader expects text.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from ..errors import NotFound
from ..store import Store
from ..validation import bounded_int, clean_text
from .highlight import content_snippet
from .text import token_spans, tokens

EXCERPT_CHARS = 600
MAX_LINES = 10
_WHY_NONE = {
    "empty": "the file holds no text (a scan or an image?)",
    "unsupported": "text is not read from .{ext} files",
    "failed": "text extraction failed",
    "timeout": "text extraction took too long and was stopped",
    "too_large": "the file is too large to read text from",
    "missing": "the file was gone when its text was to be read",
}


class Excerpt(BaseModel):
    """Some of a document's extracted text, or why there is none."""

    document_id: int
    found: bool = Field(description="Whether any text is shown")
    kind: str = Field(description="around the query words | opening lines | none")
    text: str = Field("", description="The excerpt; the query's words in **bold** when it is around them")
    note: str = Field("", description="Why there is no text, or that the stored text was cut short")
    chars: int = Field(0, description="Characters of text stored for the document")


class Excerpts:
    """Excerpts of stored document text (one indexed read per call)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def excerpt(self, document_id: object, query: object = "", width: object = EXCERPT_CHARS) -> Excerpt:
        """The passage around ``query``'s words (prefixes count: "floor pl" finds "plans"), else the
        first meaningful lines, else why the document has no text."""
        doc_id = bounded_int(document_id, "document_id", 1, 2**62)
        words = tokens(clean_text(query, "query", allow_empty=True))
        size = bounded_int(width, "width", 80, 5000)
        row = self.store.query_one(
            "SELECT d.ext, c.status, c.error, c.text, c.chars, c.truncated FROM documents d "
            "LEFT JOIN document_content c ON c.doc_id = d.id WHERE d.id = ?",
            (doc_id,),
        )
        if row is None:
            raise NotFound(f"document {doc_id} is not in the index")
        ext, status, error, text, chars, truncated = row
        if status is None:
            return Excerpt(document_id=doc_id, found=False, kind="none", note="its text is not extracted yet")
        if status != "ok" or not text or not text.strip():
            why = _WHY_NONE.get(status, f"no text ({status})").format(ext=ext or "?")
            note = f"{why}: {error}" if error and status in ("failed", "timeout") else why
            return Excerpt(document_id=doc_id, found=False, kind="none", note=note, chars=chars or 0)
        cut = "the stored text stops at the extraction limit" if truncated else ""
        around = _around(text, words, size)
        if around:
            return Excerpt(
                document_id=doc_id, found=True, kind="around the query words", text=around, note=cut, chars=chars
            )
        opening = opening_lines(text, size)
        return Excerpt(document_id=doc_id, found=True, kind="opening lines", text=opening, note=cut, chars=chars)


def _around(text: str, words: list[str], width: int) -> str:
    """The window of ``text`` holding the most query words (a word of 3+ letters matches words starting
    with it), highlighted; empty when none occurs."""
    if not words:
        return ""
    prefixes = tuple(w for w in words if len(w) >= 3)
    exact = set(words)
    present = {t for _s, _e, t in token_spans(text[:200_000]) if t in exact or (prefixes and t.startswith(prefixes))}
    return content_snippet(text, present, width=width) if present else ""


def opening_lines(text: str, width: int = EXCERPT_CHARS) -> str:
    """The first lines that say something (not blank, not a lone page number or rule, not a repeat),
    up to ``width`` characters."""
    out: list[str] = []
    seen: set[str] = set()
    used = 0
    for raw in text.splitlines():
        line = " ".join(raw.split())
        letters = sum(ch.isalpha() for ch in line)
        if letters < 3 or line.lower() in seen:
            continue
        seen.add(line.lower())
        if used + len(line) > width:
            if not out:
                out.append(line[:width].rsplit(" ", 1)[0] + "…")
            break
        out.append(line)
        used += len(line) + 1
        if len(out) >= MAX_LINES:
            break
    return "\n".join(out)


__all__ = ["Excerpt", "Excerpts", "opening_lines"]
