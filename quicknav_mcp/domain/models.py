"""Value objects produced by the pure domain parser.

Everything here is free of I/O so it can be built from a path string alone, and is never changed once
built (frozen, but for :class:`ParsedDocument`: see there).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, slots=True)
class RangeFolder:
    """A range folder such as ``17000 - 17999``."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ProjectFolder:
    """A project folder such as ``21614 - PLWRX  TR L1 Upgrades``.

    ``client`` is the leading client/office abbreviation when one can be told apart
    (``PLWRX``, ``PAVS SA``, ``DWNR``), ``description`` the rest, whitespace normalised.
    """

    code: str
    name: str
    client: str | None
    description: str


@dataclass(frozen=True, slots=True)
class Revision:
    """A parsed revision mark.

    ``value`` is comparable within a scheme: design ``Rev 1.02`` -> 102, ``Rev 203`` -> 203;
    proposal ``Rev2`` -> 2; consultant letters ``(A)`` -> 1, ``[C1]`` ordered after ``[B9]``.
    ``scheme`` is one of ``design``, ``proposal``, ``consultant``.
    """

    value: int
    raw: str
    scheme: str


# Not frozen: a frozen dataclass's __init__ sets each of these 19 fields through object.__setattr__ (~6 us a
# document, about an eighth of parsing a name: ~0.7 CPU-s of a 116k-file first scan); nothing changes one.
@dataclass(slots=True)
class ParsedDocument:
    """Everything the domain can tell about one document from its path (never changed once built).

    ``folders`` are the folder segments between the project folder and the file.
    ``series_key`` identifies a document family across revisions: the normalised name
    without revision, status tags, dates and duplicate counters (folder not included).
    """

    name: str
    stem: str
    ext: str
    folders: tuple[str, ...]
    doc_type: str
    phase: str | None
    revision: Revision | None
    status_tags: tuple[str, ...]
    is_as_built: bool
    doc_date: date | None
    room: int | None
    change_order: int | None
    sheet: str | None
    project_code: str | None
    series_key: str
    is_archive: bool
    is_handover_copy: bool
    duplicate_counter: int | None
    extra: dict[str, str] = field(default_factory=dict)
