"""``parse_document``: everything the domain can tell about a document from its path."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from .dates import parse_date
from .doc_types import classify_doc_type
from .folders import match_phase
from .models import ParsedDocument
from .names import duplicate_counter, extract_project_code, parse_change_order, parse_room, parse_sheet, series_key
from .revisions import parse_revision
from .tags import is_archive_segment, status_tags

_HANDOVER_HINTS = ("as-built documents", "as built documents", "customer handover")


@lru_cache(maxsize=4096)
def _folder_facts(folders: tuple[str, ...]) -> tuple[str | None, int | None, bool, bool]:
    """``(phase, room, is_archive, is_handover_copy)`` from the folders alone.

    Cached: a scan parses every file of a folder with the same folders."""
    phase = None
    for segment in folders:
        phase = match_phase(segment)
        if phase:
            break
    room = None
    for segment in reversed(folders):  # Room folders (Room01 Townsville...) apply to what they hold
        room = parse_room(segment)
        if room is not None:
            break
    folders_l = [f.lower() for f in folders]
    return (
        phase,
        room,
        any(is_archive_segment(f) for f in folders),
        phase == "customer_handover" or any(h in f for f in folders_l for h in _HANDOVER_HINTS),
    )


def parse_document(folders: Sequence[str], filename: str) -> ParsedDocument:
    """Parse a document given the folder segments between its project folder and itself."""
    folders = tuple(folders)
    stem, dot, ext = filename.rpartition(".")
    if not dot or not stem:
        stem, ext = filename, ""
    ext = ext.lower()
    phase, folder_room, is_archive, is_handover_copy = _folder_facts(folders)
    doc_type = classify_doc_type(folders, filename)
    tags = status_tags(stem)
    change_order = parse_change_order(stem) if doc_type in ("change_order", "purchase_order", "sales_po") else None
    room = parse_room(stem)
    if room is None:
        room = folder_room
    revision = parse_revision(stem)
    return ParsedDocument(
        name=filename,
        stem=stem,
        ext=ext,
        folders=folders,
        doc_type=doc_type,
        phase=phase,
        revision=revision,
        status_tags=tags,
        is_as_built="AS-BUILT" in tags,
        doc_date=parse_date(stem),
        room=room,
        change_order=change_order,
        sheet=parse_sheet(stem),
        project_code=extract_project_code(stem),
        series_key=series_key(stem, doc_type, change_order),
        is_archive=is_archive,
        is_handover_copy=is_handover_copy,
        duplicate_counter=duplicate_counter(stem),
    )
