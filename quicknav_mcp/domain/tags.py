"""Status tags (matched as words) and archive folders (matched by whole segment)."""

from __future__ import annotations

import re

from .text import squash_spaces, words_view

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


def status_tags(text: str) -> tuple[str, ...]:
    """Normalised status tags found as whole words in ``text``."""
    view = words_view(text)
    found: list[str] = []
    for tag, pattern in _TAGS:
        if pattern.search(view):
            if tag == "DRAFT" and "ENG DRAFT" in found:
                continue
            found.append(tag)
    return tuple(found)


def strip_tags(text: str) -> str:
    view = words_view(text)
    for _, pattern in _TAGS:
        view = pattern.sub(" ", view)
    return view


def is_archive_segment(segment: str) -> bool:
    """A folder that holds superseded material: ARCHIVE, Old, OLD DRAWINGS, SUPERSEDED, DRAFTS…"""
    return bool(_ARCHIVE.match(squash_spaces(segment)))
