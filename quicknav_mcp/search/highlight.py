"""Highlights: matched words in **bold**, in names and in a short window of the content."""

from __future__ import annotations

from collections.abc import Iterable

from .text import token_spans

SNIPPET_CHARS = 180


def highlight(
    text: str, words: Iterable[str], prefixes: Iterable[str] = (), spans: list[tuple[int, int, str]] | None = None
) -> str:
    """``text`` with every token in ``words`` (or starting with one of ``prefixes``) in ``**``;
    ``spans``: ``token_spans(text)`` when the caller has them already."""
    wanted = {w for w in words if w}
    pre = tuple(p for p in prefixes if len(p) >= 2)
    if not text or not (wanted or pre):
        return text
    out: list[str] = []
    last = 0
    for start, end, tok in token_spans(text) if spans is None else spans:
        if tok in wanted or (pre and tok.startswith(pre)):
            out.append(text[last:start])
            out.append(f"**{text[start:end]}**")
            last = end
    out.append(text[last:])
    return "".join(out)


def content_snippet(text: str, words: Iterable[str], *, width: int = SNIPPET_CHARS) -> str:
    """The window of ``text`` (about ``width`` chars) holding the most distinct matched words,
    highlighted; empty when no word matches."""
    wanted = {w for w in words if w}
    if not text or not wanted:
        return ""
    hits = [(s, e, t) for s, e, t in token_spans(text[:200_000]) if t in wanted]
    if not hits:
        return ""
    best_i, best_score = 0, -1
    j = 0
    for i in range(len(hits)):
        while j < len(hits) and hits[j][0] - hits[i][0] <= width:
            j += 1
        distinct = len({h[2] for h in hits[i:j]})
        score = distinct * 100 + (j - i)
        if score > best_score:
            best_i, best_score = i, score
    start = max(0, hits[best_i][0] - width // 4)
    # Start at a word boundary.
    while start > 0 and not text[start - 1].isspace() and hits[best_i][0] - start < width // 2:
        start -= 1
    end = min(len(text), start + width)
    while end < len(text) and not text[end].isspace() and end - start < width + 30:
        end += 1
    window = " ".join(text[start:end].split())
    snippet = highlight(window, wanted)
    return ("…" if start > 0 else "") + snippet + ("…" if end < len(text) else "")
