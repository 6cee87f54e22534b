"""Status tags (matched as words) and archive folders (matched by whole segment)."""

from __future__ import annotations

import re

from .text import lacks, lower_ascii, squash_spaces, words_view

# Order matters: ENG DRAFT before DRAFT so the longer tag wins.
_TAGS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("AS-BUILT", re.compile(r"\bAS[\s\-]?BUILT\b", re.I)),
    ("ENG DRAFT", re.compile(r"\bENG(?:INEERING)?[\s\-]+DRAFT\b", re.I)),
    ("DRAFT", re.compile(r"\bDRAFT\b", re.I)),
    ("ORIGINAL", re.compile(r"\bORIGINAL\b", re.I)),
    # 'rpsigned' / 'RSSigned' are initials glued to SIGNED; DESIGNED is not signed.
    ("SIGNED", re.compile(r"\b(?:RP|RS)?SIGNED\b", re.I)),
    ("APPROVED", re.compile(r"\bAPPROVED\b", re.I)),
    ("FINAL", re.compile(r"\bFINAL\b", re.I)),
    ("TEMPLATE", re.compile(r"\bTEMPLATE\b", re.I)),
)
DRAFT_TAGS = frozenset({"DRAFT", "ENG DRAFT"})

_ARCHIVE = re.compile(
    r"^(?:z+[\s_\-]*|_+)?(?:"
    r"archived?s?|old|old[\s_\-]+(?:drawings?|info|information|revisions?|versions?|files|docs|documents|reports)"
    r"|superseded(?:[\s_\-]+\w+)?|drafts?|obsolete|previous(?:[\s_\-]+\w+)?"
    r")(?:\s*(?:[-–(].*|\d{4}))?$",
    re.I,
)


_ANY_TAG = re.compile("|".join(f"(?:{p.pattern})" for _, p in _TAGS), re.I)
# Every tag holds one of these words: a name without any (most names) skips the pattern.
_TAG_WORDS = ("built", "draft", "original", "signed", "approved", "final", "template")
_TAG_ORDER = {tag: i for i, (tag, _) in enumerate(_TAGS)}


def _tag_of(word: str) -> str:
    up = word.upper()
    if up.startswith("AS"):
        return "AS-BUILT"
    if up.startswith("ENG"):
        return "ENG DRAFT"
    if up.endswith("SIGNED"):
        return "SIGNED"
    return up


def status_tags(text: str) -> tuple[str, ...]:
    """Normalised status tags found as whole words in ``text`` (one combined pattern)."""
    if lacks(lower_ascii(text), *_TAG_WORDS):
        return ()
    found = {_tag_of(m.group(0)) for m in _ANY_TAG.finditer(words_view(text))}
    if not found:
        return ()
    if "ENG DRAFT" in found:
        found.discard("DRAFT")
    return tuple(sorted(found, key=_TAG_ORDER.__getitem__))


def strip_tags(text: str) -> str:
    view = words_view(text)
    return view if lacks(lower_ascii(text), *_TAG_WORDS) else _ANY_TAG.sub(" ", view)


def is_archive_segment(segment: str) -> bool:
    """A folder that holds superseded material: ARCHIVE, Old, OLD DRAWINGS, SUPERSEDED, DRAFTS…"""
    return bool(_ARCHIVE.match(squash_spaces(segment)))
