"""Sync-client conflict copies: ``Report Rev 101-DESKTOP-ABC1234.pdf`` is not a new revision.

When two people edit the same synced file, OneDrive keeps both and renames one after the machine
that lost (``name-DESKTOP-ABC1234.pdf``, ``name-LAPTOP-9F2K1QX-2.pdf``); Dropbox and Nextcloud
write ``name (Jo's conflicted copy 2024-05-01).pdf``. Such a file belongs to its original's series
and is never chosen as the current document over a file that is not a copy.
"""

from __future__ import annotations

import re

# Windows' generated machine names (DESKTOP-7 chars, LAPTOP-8 chars) and the usual fleet prefixes;
# a trailing counter when several conflicts piled up. Upper-case only: a person's "-Desktop" is a word.
_HOST_SUFFIX = re.compile(r"-((?:DESKTOP|LAPTOP|PC|WIN|WS|NB)-[A-Z0-9]{4,15})(?:-\d{1,3})?$")
_CONFLICTED = re.compile(r"\s*\(([^()]*\bconflict(?:ed)?\b[^()]*)\)\s*$", re.I)


def conflict_marker(stem: str) -> str | None:
    """The machine or conflict note that makes ``stem`` (a name without extension) a conflict copy."""
    m = _HOST_SUFFIX.search(stem) or _CONFLICTED.search(stem)
    return m.group(1) if m else None


def strip_conflict(stem: str) -> str:
    """``stem`` without its conflict-copy marker (unchanged when it has none)."""
    text = _HOST_SUFFIX.sub("", stem)
    return _CONFLICTED.sub("", text) if "(" in text else text  # a conflict note is in brackets


def is_conflict_copy(name: str) -> bool:
    """Whether the file name (with or without extension) is a sync client's conflict copy."""
    stem, dot, _ext = name.rpartition(".")
    return conflict_marker(stem if dot and stem else name) is not None
