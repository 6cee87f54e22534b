"""The pure domain: how the firm names folders and documents. No I/O anywhere in this package."""

from .clients import client_names_from_documents
from .conflicts import conflict_marker, is_conflict_copy, strip_conflict
from .current import AUTO_SELECTION_LIMIT, DocFacts, auto_choice, current_by_series, is_provisional, rank_key
from .dates import parse_date
from .doc_types import DOC_TYPE_SYNONYMS, DOC_TYPES, classify_doc_type
from .document import parse_document
from .folders import PHASES, match_phase, parse_project_folder, parse_range_folder
from .models import ParsedDocument, ProjectFolder, RangeFolder, Revision
from .names import (
    duplicate_counter,
    extract_project_code,
    parse_change_order,
    parse_room,
    parse_sheet,
    series_key,
)
from .revisions import parse_revision
from .tags import is_archive_segment, status_tags
from .transient import is_transient

__all__ = [
    "AUTO_SELECTION_LIMIT",
    "DOC_TYPES",
    "DOC_TYPE_SYNONYMS",
    "PHASES",
    "DocFacts",
    "ParsedDocument",
    "ProjectFolder",
    "RangeFolder",
    "Revision",
    "auto_choice",
    "classify_doc_type",
    "client_names_from_documents",
    "conflict_marker",
    "current_by_series",
    "duplicate_counter",
    "extract_project_code",
    "is_archive_segment",
    "is_conflict_copy",
    "is_provisional",
    "is_transient",
    "match_phase",
    "parse_change_order",
    "parse_date",
    "parse_document",
    "parse_project_folder",
    "parse_range_folder",
    "parse_revision",
    "parse_room",
    "parse_sheet",
    "rank_key",
    "series_key",
    "status_tags",
    "strip_conflict",
]
