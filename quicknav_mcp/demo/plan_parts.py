"""The parts every planner of the synthetic firm shares: the folder names and clock, the planned
file and project context, and the builder that records a project's folders and files."""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .catalog import (
    Client,
)

ROOT_FOLDER = "Project Folders"
NOW = datetime(2025, 6, 30, 17, 0)
_TZ_OFFSET = 10 * 3600  # timestamps are Brisbane wall-clock (UTC+10, no DST)

SALES = "1. Sales Handover"
BOM = "2. BOM & Orders"
SCO = f"{BOM}/Sales & Change Orders"
PMO = "3. PMO"
DESIGNS = "4. System Designs"
ARCHIVE_NAMES = ("ARCHIVE", "ARCHIVED", "Archive", "OLD DRAWINGS")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# The first projects of every firm each showcase one rarer convention, so that even a
# small demo firm (~40+ projects) shows all of them whatever the seed.
SHOWCASE: tuple[str, ...] = (
    "levels",
    "rooms",
    "co_web",
    "cons_a_paren",
    "cons_bracket",
    "cons_rev_dot",
    "cons_rev_underscore",
    "rev_jump",
    "compact",
    "date_under4",
    "date_dot2",
    "co_alt",
    "dup",
    "asbuilt_norev",
    "draft",
    "decimal",
    "leave_old",
    "cons_wd_markup",
    "glued_folder",
    "keep_current",
)
ROLLOUT_PLACES = ("Police Station", "District Office", "Academy", "Regional HQ", "Comms Centre", "Station")

# Document families (the legacy ``doc_type`` values plus what the data shows).
FAMILIES = (
    "lld",
    "hld",
    "change_order",
    "sales_po",
    "floor_plans",
    "scope",
    "qa_itp",
    "swms",
    "supplier_quotes",
    "photos",
    "handover",
    "purchase_order",
    "manuals",
    "avcare",
    "bom",
    "program",
    "notes",
    "invoice",
    "cad",
    "other",
)


def epoch(dt: datetime) -> int:
    """Seconds since the epoch for a Brisbane wall-clock ``dt``."""
    return calendar.timegm(dt.timetuple()) - _TZ_OFFSET


def from_epoch(ts: int) -> datetime:
    """Inverse of :func:`epoch` (naive Brisbane wall-clock)."""
    return datetime(1970, 1, 1) + timedelta(seconds=ts + _TZ_OFFSET)


@dataclass(slots=True)
class PlannedFile:
    """One file to write: path relative to root, mtime, family and what goes inside."""

    rel: str
    mtime: int
    family: str
    project: str
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.rel.rsplit("/", 1)[-1]

    @property
    def ext(self) -> str:
        name = self.name
        dot = name.rfind(".")
        return name[dot:].lower() if dot > 0 else ""


@dataclass(slots=True)
class ProjectContext:
    """Everything about one project that file names and file contents draw on."""

    code: str
    client: Client
    end_client: tuple[str, str] | None
    short: str
    long: str
    design_title: str
    folder_name: str
    range_folder: str
    rel: str
    doc_client: str
    doc_base: str
    site: str
    site_short: str
    city: str
    state: str
    rooms: list[tuple[str, int]]
    start: datetime
    duration: int
    horizon: float
    stage: str
    size: int
    kind: str
    handover_folder: str
    avcare_folder: str
    archive: str
    salesperson: str
    pm: str
    feature: str | None = None

    @property
    def client_name(self) -> str:
        return self.client.name

    @property
    def dirs(self) -> list[str]:
        """Standard phase folders (created even when empty)."""
        if self.kind == "irregular":
            return []
        return [SALES, BOM, SCO, PMO, DESIGNS, self.handover_folder, self.avcare_folder]


STAGE_RANK = {"sales": 0, "design": 1, "delivery": 2, "complete": 3}


# --------------------------------------------------------------------------- helpers


def pick(rng: random.Random, options: list[tuple[Any, float]]) -> Any:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


def date_fmt(d: datetime, style: str) -> str:
    return {
        "dot4": f"{d:%d.%m.%Y}",
        "dot2": f"{d:%d.%m.%y}",
        "dash2": f"{d:%d-%m-%y}",
        "under4": f"{d:%d_%m_%Y}",
        "dash4": f"{d:%d-%m-%Y}",
    }[style]


def fmt_rev(value: int, style: str) -> str:
    """Format a normalised design revision (``102``) in one of the styles seen in the data."""
    dec = f"{value // 100}.{value % 100:02d}"
    return {
        "space": f"Rev {value}",
        "upper": f"REV {value}",
        "tight": f"Rev{value}",
        "decimal": f"Rev {dec}",
        "upper_decimal": f"REV {dec}",
    }[style]


class Builder:
    """Collects one project's files; refuses duplicate names (case-insensitively)."""

    def __init__(self, ctx: ProjectContext, rng: random.Random) -> None:
        self.ctx = ctx
        self.rng = rng
        self.files: list[PlannedFile] = []
        self.dirs: list[str] = []
        self._seen: set[str] = set()

    def has(self, feature: str) -> bool:
        """True when this project is the showcase for ``feature``."""
        return self.ctx.feature == feature

    # time ------------------------------------------------------------------
    def when(self, frac: float, *, hour: float | None = None) -> datetime:
        """A wall-clock time ``frac`` of the way through the project's elapsed window."""
        frac = min(max(frac, 0.0), 1.0)
        day = self.ctx.start + timedelta(days=self.ctx.duration * self.ctx.horizon * frac)
        h = hour if hour is not None else self.rng.uniform(8.0, 17.5)
        return datetime(day.year, day.month, day.day) + timedelta(hours=h)

    def series_times(self, fracs: list[float]) -> list[datetime]:
        """Strictly increasing times for an ordered sequence of events."""
        out: list[datetime] = []
        for frac in sorted(fracs):
            t = self.when(frac)
            if out and t <= out[-1]:
                t = out[-1] + timedelta(minutes=self.rng.randint(20, 240))
            out.append(t)
        return out

    # files -----------------------------------------------------------------
    def add(self, folder: str, name: str, when: datetime, family: str, **meta: Any) -> str | None:
        """Plan ``<project>/<folder>/<name>``; return its root-relative path (None if taken)."""
        rel_in = f"{folder}/{name}" if folder else name
        key = rel_in.lower()
        if key in self._seen:
            return None
        self._seen.add(key)
        rel = f"{self.ctx.rel}/{rel_in}"
        mtime = min(epoch(when), epoch(NOW) - 3600)
        self.files.append(PlannedFile(rel, mtime, family, self.ctx.code, meta))
        return rel

    def dup(self, folder: str, name: str, when: datetime, family: str, **meta: Any) -> None:
        """Occasionally also plan a download duplicate ``<stem> (1).<ext>``."""
        stem, _, ext = name.rpartition(".")
        counter = self.rng.choice([1, 1, 1, 2])
        self.add(folder, f"{stem} ({counter}).{ext}", when + timedelta(minutes=7), family, **meta)


def letters(n: int, start: int = 0) -> list[str]:
    return [chr(ord("A") + start + i) for i in range(n)]
