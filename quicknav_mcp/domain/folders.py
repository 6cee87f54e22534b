"""Range folders, project folders and phase folders."""

from __future__ import annotations

import re

from .models import ProjectFolder, RangeFolder
from .text import squash_spaces

_RANGE = re.compile(r"^\s*(\d{5})\s*[-–—]+\s*(\d{5})\s*$")
_PROJECT = re.compile(r"^\s*\(?(\d{5})\)?(?:\s*[-–—_:]+\s*|\s+|$)(.*)$", re.S)
# A leading abbreviation: capitals (optionally joined by '-' to a second capital group, e.g. PROAV-SA).
_ABBR = re.compile(r"^([A-Z][A-Z0-9&]{1,7}(?:-[A-Z]{2,4})?)(?=$|[\s\-–—])")
_OFFICE = re.compile(r"^(PAVS|PROAV)[\s-]+(SA|NSW|QLD|VIC|WA|NT|TAS|ACT)\b")
_LEADING_SEP = re.compile(r"^[\s\-–—_:]+")
_PHASE_NUMBER = re.compile(r"^\s*\d{1,2}\s*[.)\-_]?\s*")

PHASES = {
    "sales_handover": "Sales Handover",
    "bom_orders": "BOM & Orders",
    "pmo": "PMO",
    "system_designs": "System Designs",
    "customer_handover": "Customer Handover Documents",
    "avcare_handover": "AVCare Handover",
}
_PHASE_NAMES = {
    "sales handover": "sales_handover",
    "bom & orders": "bom_orders",
    "bom and orders": "bom_orders",
    "bom orders": "bom_orders",
    "pmo": "pmo",
    "project management": "pmo",
    "system designs": "system_designs",
    "system design": "system_designs",
    "customer handover documents": "customer_handover",
    "customer handover": "customer_handover",
    "avcare handover": "avcare_handover",
    "av care handover": "avcare_handover",
}


def parse_range_folder(name: str) -> RangeFolder | None:
    """``17000 - 17999`` -> RangeFolder(17000, 17999); anything else -> None."""
    m = _RANGE.match(name)
    if not m:
        return None
    start, end = int(m.group(1)), int(m.group(2))
    if end < start:
        return None
    return RangeFolder(start, end)


def parse_project_folder(name: str) -> ProjectFolder | None:
    """``21614 - PLWRX  TR L1 Upgrades`` -> code 21614, client PLWRX, description 'TR L1 Upgrades'."""
    if parse_range_folder(name) is not None:
        return None
    m = _PROJECT.match(name)
    if not m:
        return None
    code, rest = m.group(1), squash_spaces(m.group(2))
    if code[0] == "0":
        return None
    client: str | None = None
    description = rest
    office = _OFFICE.match(rest)
    abbr = _ABBR.match(rest)
    if office:
        client = squash_spaces(office.group(0))
        description = rest[office.end() :]
    elif abbr and not abbr.group(1).isdigit():
        client = abbr.group(1)
        description = rest[abbr.end() :]
    elif " - " in rest:
        head = rest.split(" - ", 1)[0].strip()
        if 0 < len(head.split()) <= 3 and not any(ch.isdigit() for ch in head):
            client = head
            description = rest.split(" - ", 1)[1]
    description = squash_spaces(_LEADING_SEP.sub("", description))
    return ProjectFolder(code=code, name=squash_spaces(name), client=client, description=description)


def match_phase(name: str) -> str | None:
    """A phase folder by its name (``4. System Designs`` -> ``system_designs``), whatever its number."""
    key = squash_spaces(_PHASE_NUMBER.sub("", name).replace("&", " & ")).lower()
    return _PHASE_NAMES.get(key)
