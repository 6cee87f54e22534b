"""Which document is current: what an engineer would open.

The highest design revision outside archive folders; an as-built beats a not-as-built at the same
revision (and an as-built with no revision number is the final issue); ``Rev 1.02`` (102) is above
``Rev 101``; a DRAFT loses; dated documents (Sales & PO reports) go by date; the original in its home
phase beats a handover copy of the same file, so copies are never counted twice; a sync client's
conflict copy (``name-DESKTOP-ABC1234.pdf``) is in its original's series and never its current one.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from .conflicts import is_conflict_copy

FINAL_WITHOUT_NUMBER = 1_000_000
AUTO_SELECTION_LIMIT = 10

# The phase where each family is filed first; a copy elsewhere loses a tie.
HOME_PHASE = {
    "lld": "system_designs",
    "hld": "system_designs",
    "change_order": "bom_orders",
    "sales_po": "bom_orders",
    "swms": "pmo",
    "qa_itp": "customer_handover",
    "floor_plans": "sales_handover",
    "handover": "sales_handover",
}


class DocFacts(Protocol):
    series_key: str
    revision: int | None
    revision_scheme: str | None
    is_as_built: bool
    doc_date: str | None
    mtime: float
    is_archive: bool
    is_handover_copy: bool
    name: str


T = TypeVar("T", bound=DocFacts)


def _provisional(d: DocFacts) -> bool:
    """Drafts and templates are never what an engineer means by 'the current design'."""
    tags = getattr(d, "status_tags", ()) or ()
    return any(t in ("DRAFT", "ENG DRAFT", "TEMPLATE") for t in tags)


def _drawing_mark(d: DocFacts) -> bool:
    if d.is_as_built:
        return True
    return d.revision is not None and d.revision_scheme in ("design", "consultant") and not _provisional(d)


def is_provisional(d: DocFacts) -> bool:
    """Public form of the draft/template test, for ordering lists."""
    return _provisional(d)


def rank_key(d: DocFacts) -> tuple:
    """Bigger is more current. Works on any object with the :class:`DocFacts` attributes."""
    scheme = d.revision_scheme
    if d.revision is not None and scheme in ("design", "consultant"):
        major = d.revision
    elif d.revision is None and d.is_as_built:
        major = FINAL_WITHOUT_NUMBER
    else:
        major = -1
    minor = d.revision if (d.revision is not None and scheme == "proposal") else -1
    draft = _provisional(d)
    home = getattr(d, "phase", None) == HOME_PHASE.get(getattr(d, "doc_type", ""), "")
    return (
        not d.is_archive,
        not is_conflict_copy(d.name),  # a sync conflict copy never outranks a file that is not one
        major,
        d.doc_date or "",
        minor,
        d.is_as_built,
        not draft,
        not d.is_handover_copy,
        home,
        d.mtime,
        d.name,
    )


def current_by_series(items: Sequence[T], include_archive: bool = False) -> list[T]:
    """The current item of every series, most current first."""
    best: dict[str, tuple[tuple, T]] = {}
    for item in items:
        if item.is_archive and not include_archive:
            continue
        key = rank_key(item)
        held = best.get(item.series_key)
        if held is None or key > held[0]:
            best[item.series_key] = (key, item)
    ranked = sorted(best.values(), key=lambda kv: kv[0], reverse=True)
    return [item for _, item in ranked]


def auto_choice(items: Sequence[T], include_archive: bool = False) -> list[T]:
    """One item when one clearly wins (a single series), else a short selection of series currents."""
    current = current_by_series(items, include_archive)
    if len(current) <= 1:
        return current
    # A single drawing series (design/consultant revision or as-built mark) beats loose files
    # without one. Proposal-style "Rev1"/"V2" marks do not count: quotes and proposals are
    # not one drawing series, and picking one of them would be a guess.
    marked = [d for d in current if _drawing_mark(d)]
    if len(marked) == 1:
        return marked
    # Across series, finished work that was touched most recently is the likeliest target.
    current.sort(key=lambda d: (not _provisional(d), d.is_as_built, d.mtime), reverse=True)
    return current[:AUTO_SELECTION_LIMIT]
