"""Files that are not documents: editors' lock and temp files, shell litter, partial downloads.

The scanner and the file watcher skip the same names, so a watched change and the next full scan
always agree about what is indexed.
"""

from __future__ import annotations

_EXACT = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})
# Temp files (Office's ``~WRL1234.tmp`` included) and downloads still being written.
_SUFFIXES = (".tmp", ".crdownload", ".part", ".partial")


def is_transient(name: str) -> bool:
    """Whether a file or folder name is skipped by indexing (hidden and lock files included)."""
    if name.startswith((".", "~$")):  # hidden entries, LibreOffice's .~lock.*#, Office's ~$ lock files
        return True
    lower = name.lower()
    return lower in _EXACT or lower.endswith(_SUFFIXES)
