"""Pure planning of the synthetic firm: every folder, file name, mtime and ground truth.

Nothing here touches the disk. :func:`plan_firm` returns a :class:`FirmPlan` (manifest +
one :class:`PlannedFile` per file, with its document family) that :mod:`.firm` writes.
Same ``(projects, seed)`` -> same plan, byte for byte: only ``random.Random`` instances
seeded from the parameters are used, and the clock is the fixed :data:`NOW`.
"""

from __future__ import annotations

import calendar
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from .catalog import (
    ACTIONS,
    AREAS,
    CITIES,
    CLIENTS,
    CONSULTANTS,
    END_CLIENTS,
    EQUIPMENT,
    FIRM,
    KITS,
    LEVELS,
    PEOPLE,
    ROOM_NAMES,
    SCHEDULE_NAMES,
    SHEET_DESCRIPTIONS,
    STREETS,
    SUFFIXES,
    TECHS,
    VENDORS,
    Client,
)
from .manifest import DesignSeries, FirmManifest, ProjectRecord

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
_ROLLOUT_PLACES = ("Police Station", "District Office", "Academy", "Regional HQ", "Comms Centre", "Station")

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


@dataclass(slots=True)
class FirmPlan:
    """A planned firm: manifest (with ground truth), files and per-project context."""

    manifest: FirmManifest
    files: list[PlannedFile]
    contexts: dict[str, ProjectContext]
    dirs: list[str]

    def files_by_project(self) -> dict[str, list[PlannedFile]]:
        out: dict[str, list[PlannedFile]] = {}
        for f in self.files:
            out.setdefault(f.project, []).append(f)
        return out


# --------------------------------------------------------------------------- helpers


def _pick(rng: random.Random, options: list[tuple[Any, float]]) -> Any:
    values, weights = zip(*options, strict=True)
    return rng.choices(values, weights=weights)[0]


def _date_fmt(d: datetime, style: str) -> str:
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


class _Builder:
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


# --------------------------------------------------------------------------- firm-level


def _codes(n: int, rng: random.Random) -> list[int]:
    mean_gap = max(1.25, 3600 / max(n, 1))
    code = (15000 if n > 3000 else 17000) + rng.randrange(0, 600)
    out = []
    for _ in range(n):
        out.append(code)
        code += 1 + int(rng.expovariate(1.0 / (mean_gap - 1.0)))
    if out and out[-1] > 99999:  # pragma: no cover - only for absurd n
        raise ValueError("too many projects for 5-digit codes")
    return out


def _client_weights() -> list[float]:
    return [(3.0 if c.office else 1.0) / (i + 2) ** 0.55 for i, c in enumerate(CLIENTS)]


def plan_firm(projects: int = 300, seed: int = 7) -> FirmPlan:
    """Plan a firm of ``projects`` projects deterministically from ``seed``."""
    if projects < 1:
        raise ValueError("projects must be >= 1")
    master = random.Random(f"quicknav-demo:{seed}")
    codes = _codes(projects, master)
    first, last = codes[0], codes[-1]
    span_days = 5 * 365
    weights = _client_weights()
    files: list[PlannedFile] = []
    records: list[ProjectRecord] = []
    contexts: dict[str, ProjectContext] = {}
    dirs: list[str] = []
    for index, code in enumerate(codes):
        rng = random.Random(f"quicknav-demo:{seed}:{code}")
        feature = SHOWCASE[index // 2] if index % 2 and index // 2 < len(SHOWCASE) else None
        position = (code - first) / max(1, last - first)
        start = NOW - timedelta(days=span_days * (1 - position) + 20 + rng.uniform(0, 25))
        client = rng.choices(CLIENTS, weights=weights)[0]
        ctx = _context(str(code), client, start, rng, feature)
        builder = _Builder(ctx, rng)
        record = _plan_project(builder)
        record.file_count = len(builder.files)
        files.extend(builder.files)
        dirs.extend(f"{ctx.rel}/{d}" for d in ctx.dirs)
        dirs.extend(builder.dirs)
        records.append(record)
        contexts[ctx.code] = ctx
    manifest = FirmManifest(
        seed=seed, projects_requested=projects, content=True, file_count=len(files), projects=records
    )
    return FirmPlan(manifest, files, contexts, dirs)


# --------------------------------------------------------------------------- project context


def _describe(rng: random.Random, ctx_city: tuple[str, str, str]) -> tuple[str, str, str]:
    """Folder description (short), document title (long) and the area word."""
    area_s, area_l = rng.choice(AREAS)
    act_s, act_l = rng.choice(ACTIONS)
    short, long = [area_s], [area_l]
    r = rng.random()
    if r < 0.3:
        lvl_s, lvl_l = rng.choice(LEVELS)
        short.append(lvl_s)
        long.append(("& " if rng.random() < 0.5 else "") + lvl_l)
    elif r < 0.55:
        short.insert(0, ctx_city[0])
        long.insert(0, ctx_city[1])
    elif r < 0.65:
        b_s, b_l = rng.choice(AREAS)
        if b_s != area_s:
            short.append(b_s)
            long.append("& " + b_l)
    short.append(act_s)
    long.append(act_l)
    r = rng.random()
    if r < 0.10:
        suffix = rng.choice(SUFFIXES)
        short.append(suffix)
        long.append(suffix)
    elif r < 0.16:
        po = f"({rng.randint(1000, 9999)})"
        short.append(po)
        long.append(po)
    return " ".join(short), " ".join(long), area_l


def _context(
    code: str, client: Client, start: datetime, rng: random.Random, feature: str | None = None
) -> ProjectContext:
    state = client.state
    city = rng.choice(CITIES[state]) if rng.random() < 0.8 else rng.choice(CITIES["QLD"])
    end_client = rng.choice(END_CLIENTS) if client.office else None
    short, long, _area = _describe(rng, city)
    if client.gov and rng.random() < 0.3:
        rfq = f"MSQ{start.year % 100:02d}{rng.randint(0, 999):03d}"
        short, long = f"{rfq} RFQ - {short}", f"{rfq} RFQ - {long}"
    if end_client is not None:
        short, long = f"{end_client[0]} {short}", f"{end_client[0]} {long}"

    kind = _pick(rng, [("standard", 90.0), ("levels", 3.5), ("rooms", 1.1), ("irregular", 3.0)])
    if feature in ("levels", "rooms"):
        kind = feature
    elif feature is not None and kind == "irregular":
        kind = "standard"
    size = _pick(rng, [(1, 63.0), (2, 25.0), (3, 8.5), (5, 3.2), (8, 0.3)])
    if kind == "levels":
        size = max(size, 3)
    elif kind == "rooms":
        size = max(size, 5)
        short = f"MTR RM {rng.choice(['Upgrades', 'Rollout'])} - Bulk Order"
        long = f"MTR Room {'Upgrades' if 'Upgrades' in short else 'Rollout'} - Bulk Order"

    abbr = client.abbr
    sep = _pick(
        rng,
        [
            (" - {a}  {d}", 3.0),
            (" - {a} {d}", 4.0),
            (" - {a}  - {d}", 1.5),
            (" - {a} - {d}", 2.0),
            (" - {a}- {d}", 0.8),
        ],
    )
    if feature == "glued_folder":
        sep = " - {a}- {d}"
    folder_name = code + sep.format(a=abbr, d=short)
    if kind == "irregular":
        folder_name = f"{code} - {client.name} - {long.replace('&', 'and')}"
    start_k = int(code) // 1000 * 1000
    range_folder = f"{start_k} - {start_k + 999}"

    if client.office:
        doc_client = rng.choice((abbr, *client.aliases))
    else:
        doc_client = _pick(rng, [(client.name, 6.0), (rng.choice(client.aliases or (client.name,)), 1.5), (abbr, 2.5)])
    doc_base = _pick(
        rng,
        [
            (f"{code} - {doc_client} - {long}", 7.0),
            (f"{code}-{abbr} - {long}", 1.0),
            (f"{code} - {doc_client} {long}", 2.0),
        ],
    )
    design_title = _pick(
        rng, [(f"{doc_client} {long}", 4.0), (f"{abbr} {long}", 2.0), (f"{abbr} - {long}", 2.0)]
    ).upper()

    num = rng.randint(1, 480)
    street_s, street_l = rng.choice(STREETS)
    level = f"Level {rng.randint(1, 32)}, " if rng.random() < 0.4 else ""
    site = f"{level}{num} {street_l}, {city[1]} {state if city in CITIES[state] else 'QLD'} {city[2]}"
    site_short = f"{num} {street_s}"

    n_rooms = {
        "standard": rng.randint(1, 1 + size),
        "levels": rng.randint(4, 4 + 2 * size),
        "rooms": rng.randint(8, 6 + 3 * size),
        "irregular": rng.randint(1, 3),
    }[kind]
    rooms: list[tuple[str, int]] = []
    used: set[str] = set()
    for i in range(n_rooms):
        base = rng.choice(ROOM_NAMES)
        if kind == "rooms":
            base = f"{rng.choice(CITIES[state])[1]} {rng.choice(_ROLLOUT_PLACES)}"
        name = base if base not in used else f"{base} {i + 1}"
        if kind == "levels" or (kind == "standard" and rng.random() < 0.3):
            name = f"{name} - {rng.randint(1, 9)}.{rng.randint(1, 30):02d}"
        used.add(base)
        rooms.append((name, rng.randrange(len(KITS))))

    duration = int(40 + 35 * size + rng.uniform(0, 90))
    elapsed = (NOW - timedelta(days=2) - start).days / duration
    horizon = min(1.0, max(0.05, elapsed))
    if elapsed >= 1.0:
        stage = "complete"
    elif elapsed >= 0.6:
        stage = "delivery"
    elif elapsed >= 0.2:
        stage = "design"
    else:
        stage = "sales"
    handover_n = rng.choice([5, 6]) if kind != "rooms" else 6
    return ProjectContext(
        code=code,
        client=client,
        end_client=end_client,
        short=short,
        long=long,
        design_title=design_title,
        folder_name=folder_name,
        range_folder=range_folder,
        rel=f"{ROOT_FOLDER}/{range_folder}/{folder_name}",
        doc_client=doc_client,
        doc_base=doc_base,
        site=site,
        site_short=site_short,
        city=city[1],
        state=state,
        rooms=rooms,
        start=start,
        duration=duration,
        horizon=horizon,
        stage=stage,
        size=size,
        kind=kind,
        handover_folder=f"{handover_n}. Customer Handover Documents",
        avcare_folder=f"{handover_n + 1}. AVCare Handover",
        archive=rng.choice(ARCHIVE_NAMES),
        feature=feature,
        salesperson=rng.choice(PEOPLE),
        pm=rng.choice(PEOPLE),
    )


# --------------------------------------------------------------------------- project plan

_STAGE_RANK = {"sales": 0, "design": 1, "delivery": 2, "complete": 3}


def _plan_project(b: _Builder) -> ProjectRecord:
    ctx = b.ctx
    record = ProjectRecord(
        code=ctx.code,
        folder_name=ctx.folder_name,
        rel_path=ctx.rel,
        range_folder=ctx.range_folder,
        client_abbr=ctx.client.abbr,
        client_name=ctx.client.name,
        description=ctx.short,
        title=ctx.long,
        end_client=ctx.end_client[1] if ctx.end_client else None,
        site_address=ctx.site,
        stage=ctx.stage,
        rooms=[r for r, _ in ctx.rooms],
    )
    if ctx.kind == "irregular":
        _plan_irregular(b, record)
        return record
    rank = _STAGE_RANK[ctx.stage]
    _plan_sales_handover(b)
    _plan_sales_reports(b, record)
    if rank >= 1:
        _plan_change_orders(b, record)
        _plan_bom_extras(b)
        _plan_pmo(b)
        _plan_designs(b, record)
    if rank >= 2:
        _plan_customer_handover(b, record)
    if rank >= 3:
        _plan_avcare(b)
    if b.rng.random() < 0.04:
        b.add("", f"INVINV{b.rng.randint(60000, 99999)}.pdf", b.when(0.97), "invoice")
    return record


def _plan_irregular(b: _Builder, record: ProjectRecord) -> None:
    """A project filed without the phase-folder template (like ``17742 - Gallagher Bassett``)."""
    ctx, rng = b.ctx, b.rng
    flat = ctx.long.replace("&", "and")
    record.sales_po_current = b.add(
        "",
        f"{ctx.code} - {ctx.client.name} - {flat} - SALES PO.pdf",
        b.when(0.5),
        "sales_po",
        title="Sales & PO Report",
    )
    b.add(
        "",
        f"APPROVED {ctx.code} INVOICE_{rng.randint(10000, 99999)} {rng.randint(100000, 999999)}.pdf",
        b.when(0.9),
        "invoice",
    )
    b.add("", f"{ctx.client.abbr} - PAVS Credit Form (002).pdf", b.when(0.1), "other")
    b.add("", f"{flat.replace(' ', '_')}_with_quote.pdf", b.when(0.05), "proposal")
    nested = f"{ctx.code} - {ctx.client.name} {flat}/{ctx.avcare_folder}"
    b.add(nested, "OnSold Support Services Register - Master Template 3-22.docx", b.when(1.0), "avcare")


# ---- 1. Sales Handover -----------------------------------------------------------------


def _plan_sales_handover(b: _Builder) -> None:
    ctx, rng = b.ctx, b.rng
    code = ctx.code
    phd = _pick(
        rng,
        [
            (f"{code} - Project Handover Document.pdf", 6.0),
            (f"({code}) - Project Handover Document.pdf", 2.5),
            (f"(Proj No) - Project Handover Document -{code} {ctx.short} PHD.pdf", 0.5),
        ],
    )
    t0 = b.when(0.02)
    b.add(SALES, phd, t0, "handover", title="Project Handover Document")
    if rng.random() < 0.05:
        b.add(
            SALES,
            f"UPDATE {code} - Project Handover Document.pdf",
            b.when(0.3),
            "handover",
            title="Project Handover Document (updated)",
        )
    if rng.random() < 0.03:
        b.add(
            SALES,
            f"{code} - Project Handover Document-DESKTOP-{rng.randint(100000, 999999):X}.pdf",
            b.when(0.03),
            "handover",
            title="Project Handover Document",
        )
    if rng.random() < 0.05:
        b.add(
            f"{SALES}/Sales Handover Document",
            f"{code} - {ctx.long}.pdf",
            t0,
            "handover",
            title="Sales Handover Document",
        )

    # Proposals with their own revision numbers (Rev2, Rev3, ...).
    n_prop = _pick(rng, [(0, 4.0), (1, 4.0), (2, 1.5), (3, 1.0), (5, 0.3)])
    word = rng.choice(["Proposal", "Proposal", "Fitout Proposal", "Estimate Proposal"])
    client_word = ctx.client.name if rng.random() < 0.6 else ctx.doc_client
    for i, t in enumerate(b.series_times([-0.05 + 0.02 * k for k in range(n_prop)])):
        rev = "" if i == 0 else rng.choice([f" Rev{i + 1}", f" - Rev{i + 1}"])
        b.add(
            SALES,
            f"{code} - {client_word} {ctx.long} {word}{rev}.pdf",
            t,
            "proposal",
            title=f"Proposal{rev}",
            proposal_rev=i + 1,
        )

    lean = ctx.size == 1 and rng.random() < 0.35 and ctx.feature is None  # small jobs: little paperwork
    if not lean:
        _plan_floor_plans(b)
        _plan_supplier_quotes(b)
        _plan_purchase_orders(b)

    if rng.random() < 0.3:
        name = rng.choice(
            [f"{code} - ScopeOfWork.rtf", "ScopeOfWork 1.rtf", f"{code} - Scope of Works.docx", "Scope of Works.docx"]
        )
        b.add(SALES, name, b.when(0.01), "scope", title="Scope of Works")
    if ctx.kind == "rooms":
        for kit_index in sorted({k for _, k in ctx.rooms})[:6]:
            ext = rng.choice([".docx", ".rtf"])
            b.add(
                f"{SALES}/Scopes",
                f"{KITS[kit_index][0].replace(' Solution', '')} Scope{ext}",
                b.when(0.01),
                "scope",
                title="Scope of Works",
                kit=kit_index,
            )
    if not lean and rng.random() < 0.2:
        visit = b.when(0.01)
        folder = f"{SALES}/Site Photos/{rng.choice(['Site Visit', 'SL Site Visit'])} {visit:%d-%m-%y}"
        for k in range(rng.randint(1, 2 + ctx.size)):
            b.add(folder, f"IMG_{rng.randint(1000, 9999)}.jpg", visit + timedelta(minutes=2 * k), "photos")
        if rng.random() < 0.4:
            b.add(
                folder,
                rng.choice(["MeasureOn Report.pdf", "Site Notes P1.pdf"]),
                visit,
                "notes",
                title="Site visit notes",
            )
        if rng.random() < 0.5:
            b.add(folder, "Site Visit Notes.txt", visit + timedelta(hours=3), "notes", title="Site visit notes")
    if rng.random() < 0.08:
        b.add(SALES, f"Room Audit[{rng.randint(10, 99)}].docx", b.when(0.02), "scope", title="Room Audit")
    if ctx.client.gov and rng.random() < 0.5:
        rfq = ctx.short.split(" RFQ")[0] if " RFQ" in ctx.short else f"RFQ{rng.randint(1000, 9999)}"
        b.add(SALES, f"{rfq}_{ctx.short.split(' - ')[-1]}_RFQ.pdf", b.when(0.0), "scope", title="Request for Quote")
        b.add(SALES, f"{rfq}_Statement of Work request.pdf", b.when(0.0), "scope", title="Statement of Work")
    if rng.random() < 0.04:
        b.add(SALES, f"Trust Account Notice - {rng.randint(10000, 99999)}.pdf", b.when(0.05), "other")


def _plan_floor_plans(b: _Builder) -> None:
    ctx, rng = b.ctx, b.rng
    fp = f"{SALES}/Floor Plans"
    t = b.when(0.0)
    n_plain = max(rng.randint(0, ctx.size), 1 if b.has("dup") else 0)
    for _ in range(n_plain):
        lvl = rng.choice(LEVELS)[1]
        name = _pick(
            rng,
            [
                (f"{lvl} Floor Plan.pdf", 3.0),
                (f"{ctx.site_short} {lvl} Floor Plan.pdf", 2.0),
                (f"{ctx.client.abbr} {lvl}.pdf", 1.0),
                ("Floor Plan.pdf", 1.0),
                (f"{t:%d%m%Y}{rng.randint(80000, 170000):06d}-0001.pdf", 0.6),
                (f"{ctx.client.name} {ctx.city} Floor Plan.pdf", 1.0),
            ],
        )
        b.add(fp, name, t, "floor_plans", title="Floor plan", level=lvl)
        if rng.random() < 0.08 or b.has("dup"):
            b.dup(fp, name, t, "floor_plans", title="Floor plan", level=lvl)
    if rng.random() < 0.1:
        b.add(fp, "RoomLayout.docx", t, "floor_plans", title="Room layout")
    if ctx.kind == "rooms":
        for i, (room, _kit) in enumerate(ctx.rooms[:20], start=1):
            folder = f"{fp}/Room{i:02d} {room}"
            b.add(folder, f"{room} Floor plan.pdf", t, "floor_plans", title="Floor plan", room=room)
    # Consultant drawing sets carry their own revisions.
    p_set = 0.05 + 0.05 * ctx.size
    forced = (ctx.feature or "").removeprefix("cons_") if (ctx.feature or "").startswith("cons_") else None
    if rng.random() < p_set or forced:
        _plan_consultant_set(b, fp, forced)
    if ctx.size >= 3 and rng.random() < 0.35:
        _plan_consultant_set(b, f"{SALES}/Electrical")


def _letters(n: int, start: int = 0) -> list[str]:
    return [chr(ord("A") + start + i) for i in range(n)]


def _plan_consultant_set(b: _Builder, base: str, style: str | None = None) -> None:
    ctx, rng = b.ctx, b.rng
    picked = rng.choice(["a_paren", "bracket", "rev_dot", "rev_underscore", "wd_markup"])
    style = style or picked
    received = b.when(0.01)
    sub = _pick(
        rng,
        [
            ("", 2.0),
            (f"Dwgs for Markups {received:%d-%m-%Y}", 1.0),
            (f"From ProCore {received:%d-%m-%Y}", 1.0),
            (f"Received {received:%d-%m-%Y}", 1.0),
            (rng.choice(LEVELS)[1], 1.0),
        ],
    )
    folder = f"{base}/{sub}" if sub else base
    superseded = f"{folder}/{rng.choice(['99.-SUPERSEDED', 'Superseded', 'OLD'])}"
    keep_old = rng.random() < 0.35
    job = f"{rng.choice(['BP', 'PS', 'CD', 'AR'])}{rng.randint(21000, 24999)}"
    consultant = rng.choice(CONSULTANTS)
    n_sheets = rng.randint(2, 2 + ctx.size)
    for s in range(n_sheets):
        desc = rng.choice(SHEET_DESCRIPTIONS)
        n_rev = rng.randint(1, 3) if keep_old else 1
        if style == "a_paren":
            revs = _letters(n_rev, rng.randint(0, 2))
            sheet = f"A-{rng.choice([11, 12, 51])}{rng.randint(0, 30):02d}"
            names = [f"{sheet}_({r}) - {desc} - SHEET {s + 1}.pdf" for r in revs]
        elif style == "bracket":
            letter = rng.choice("ABCD")
            revs = [f"{letter}{k + 1}" if rng.random() < 0.5 else chr(ord(letter) + k) for k in range(n_rev)]
            sheet = f"{job}-{rng.choice(['E', 'EL', 'HY', 'ME'])}-L{rng.randint(0, 3):02d}-{rng.randint(1, 3)}0{s}"
            names = [f"{sheet} [{r}].pdf" for r in revs]
        elif style == "rev_dot":
            start = rng.randint(0, 5)
            revs = [str(start + k) for k in range(n_rev)]
            sheet = f"A{rng.randint(0, 5)}-{rng.randint(100, 299)}-{desc.replace(' ', '-')}"
            names = [f"{sheet}-Rev.{r}.pdf" for r in revs]
        elif style == "rev_underscore":
            sched = rng.choice(SCHEDULE_NAMES).replace(" ", "_")
            revs = [str(k + 1) for k in range(n_rev)] if rng.random() < 0.5 else _letters(n_rev, 2 + s % 6)
            names = [f"{sched}_Schedule_(Rev_{r}).pdf" for r in revs]
        else:
            revs = _letters(n_rev, rng.randint(3, 18))
            sheet = f"A_WD_{rng.randint(300, 1300):04d}_ {desc}"
            names = [f"{sheet} Rev.{r} markup.pdf" for r in revs]
        for k, (name, r) in enumerate(zip(names, revs, strict=True)):
            last = k == len(names) - 1
            t = received + timedelta(hours=k - len(names) + 1)
            b.add(
                folder if last else superseded,
                name,
                t,
                "floor_plans",
                title="Consultant drawing",
                consultant=consultant,
                sheet_rev=r,
                sheet=desc,
            )


def _plan_supplier_quotes(b: _Builder) -> None:
    ctx, rng = b.ctx, b.rng
    folder = f"{SALES}/Supplier Quotes"
    for _ in range(_pick(rng, [(0, 3.0), (1, 3.0), (2, 1.5), (3, 0.6), (5, 0.3)])):
        vendor = rng.choice(VENDORS)
        t = b.when(rng.uniform(0.0, 0.1))
        name = _pick(
            rng,
            [
                (f"{vendor} Quote Q-{rng.randint(1000, 99999):05d} - {t:%Y%m%d}.pdf", 2.0),
                (
                    f"{vendor.replace(' ', '')} Q-{rng.randint(100000, 299999)}-{t:%Y%m%d}"
                    f"-{rng.randint(800, 1759)}.pdf",
                    1.5,
                ),
                (f"{vendor} QUOTATION - {rng.randint(1000000, 1999999)}.pdf", 1.0),
                (f"Sales Quote {rng.randint(100000, 199999)}.pdf", 1.0),
                (f"{vendor} - Estimate_{rng.randint(1000000, 1999999)}.pdf", 1.0),
                (f"{vendor} RFQ - {ctx.code} {ctx.client.name} - {ctx.site_short} {ctx.city}.pdf", 1.0),
                (f"PAVS {ctx.state} QUOTE_{rng.randint(70000, 99999)}.pdf", 0.4),
            ],
        )
        b.add(folder, name, t, "supplier_quotes", title="Supplier quotation", vendor=vendor)


def _plan_purchase_orders(b: _Builder) -> None:
    ctx, rng = b.ctx, b.rng
    folder = f"{SALES}/Purchase Orders"
    for _ in range(_pick(rng, [(0, 2.0), (1, 4.0), (2, 1.5)])):
        t = b.when(rng.uniform(0.03, 0.12))
        name = _pick(
            rng,
            [
                (f"PURCHASE_{rng.randint(60000, 99999)}.pdf", 3.0),
                (f"PO{rng.randint(2000000000, 4599999999)}_{ctx.client.name.upper()}.pdf", 1.0),
                (f"{rng.randint(3000000000, 3999999999)} Paragon AV - Quote PAVS-{ctx.code}.pdf", 1.0),
                (f"Order_Number_{rng.randint(1900000, 1999999)}-AU.pdf", 1.0),
                (
                    f"PO{ctx.client.abbr.replace(' ', '')}{rng.randint(10, 99)}_"
                    f"{ctx.client.name} {ctx.long}_ {FIRM}.pdf",
                    1.0,
                ),
                (f"{ctx.long} - Letter of Acceptance.pdf", 0.5),
            ],
        )
        b.add(folder, name, t, "purchase_order", title="Purchase order")


# ---- 2. BOM & Orders --------------------------------------------------------------------


def _plan_sales_reports(b: _Builder, record: ProjectRecord) -> None:
    ctx, rng = b.ctx, b.rng
    rank = _STAGE_RANK[ctx.stage]
    n = 1 if rank == 0 else min(14, 1 + int(rng.expovariate(1.0 / (0.45 * ctx.size + 0.2 * rank))))
    original = rng.random() < 0.75
    style = _pick(rng, [("dot4", 6.0), ("dot2", 1.0), ("dash2", 2.0), ("under4", 1.0)])
    if ctx.feature in ("date_under4", "date_dot2", "keep_current") and rank:
        n = max(n, 4)
        style = {"date_under4": "under4", "date_dot2": "dot2"}.get(ctx.feature, style)
    base = ctx.doc_base
    fracs = sorted(rng.uniform(0.15, 1.0) for _ in range(n))
    times = b.series_times(fracs)
    # distinct calendar days so the newest report is unambiguous by its date
    days: list[datetime] = []
    for t in times:
        if days and t.date() <= days[-1].date():
            t = datetime(days[-1].year, days[-1].month, days[-1].day) + timedelta(days=1, hours=t.hour)
        if t >= NOW - timedelta(hours=12):  # never a report dated in the future
            break
        days.append(t)
    if not days:
        days = [times[0]]
    n = len(days)
    entries: list[tuple[str, datetime]] = []
    if original:
        first = days[0] - timedelta(days=rng.randint(3, 20))
        sep = rng.choice([" ", "  ", " - "])
        entries.append((f"{base} - Sales & PO Report{sep}ORIGINAL.pdf", first))
        days = days[1:] if n > 1 else []
    for t in days:
        st = style if rng.random() < 0.85 or ctx.feature else rng.choice(["dot4", "dot2", "dash2", "under4"])
        sep = _pick(rng, [(" - ", 6.0), ("  ", 2.0), (" ", 2.0)])
        entries.append((f"{base} - Sales & PO Report{sep}{_date_fmt(t, st)}.pdf", t))
    if not entries:
        return
    history: list[str] = []
    current_name, current_t = entries[-1]
    for name, t in entries[:-1]:
        keep_in_current = (name, t) == entries[-2] and (rng.random() < 0.08 or b.has("keep_current"))
        rel = b.add(SCO if keep_in_current else f"{SCO}/Old", name, t, "sales_po", title="Sales & PO Report")
        if rel:
            history.append(rel)
        if rng.random() < 0.06:  # an accidental second save of an old report
            stem = name[:-4]
            suffix = rng.choice([" V2", " - 1", "-1"])
            extra = b.add(
                f"{SCO}/Old", f"{stem}{suffix}.pdf", t + timedelta(minutes=30), "sales_po", title="Sales & PO Report"
            )
            if extra:
                history.append(extra)
    current = b.add(SCO, current_name, current_t, "sales_po", title="Sales & PO Report")
    record.sales_po_current = current
    record.sales_po_history = history
    if rank >= 3 and rng.random() < 0.2:
        b.add(
            ctx.avcare_folder,
            f"{ctx.code} {ctx.long} - Sales & PO Report.pdf",
            current_t + timedelta(days=2),
            "sales_po",
            title="Sales & PO Report",
        )


def _plan_change_orders(b: _Builder, record: ProjectRecord) -> None:
    ctx, rng = b.ctx, b.rng
    top = {1: 2, 2: 4, 3: 8, 5: 16, 8: 30}[ctx.size]
    if ctx.kind == "rooms":
        top *= 2
    if rng.random() < 0.25:
        top = 0
    n_top = rng.randint(0, top) if top else 0
    if ctx.feature in ("co_web", "co_alt"):
        n_top = max(n_top, 6)
    if _STAGE_RANK[ctx.stage] < 2:
        n_top = min(n_top, 2)
    numbers = [k for k in range(1, n_top + 1) if k == n_top or rng.random() > 0.12]
    if not numbers:
        return
    times = b.series_times([rng.uniform(0.2, 0.95) for _ in numbers])
    base = ctx.doc_base
    co_dir = _pick(rng, [(f"{SCO}/Change Orders", 8.0), (f"{SCO}/All COs", 1.0)])
    processed = co_dir.endswith("All COs") and len(numbers) > 6
    alt_style = rng.random() < 0.12 or b.has("co_alt")  # "<code> - Change Order 7.pdf" in Sales Handover
    web_export = len(numbers) >= 3 and (rng.random() < 0.12 or b.has("co_web"))
    to_customer = len(numbers) >= 3 and rng.random() < 0.06
    plus_title = "+".join(f"{ctx.client.abbr} {ctx.long}".replace("&", "and").split())
    person = rng.choice(PEOPLE)
    latest = set(numbers[-rng.randint(1, 2) :]) if rng.random() < 0.4 else set()
    for k, t in zip(numbers, times, strict=True):
        paths: list[str] = []
        spacing = " -  " if rng.random() < 0.06 else " - "
        name = f"{base}{spacing}CO{k}.pdf"
        meta = {"title": f"Change Order {k}", "co": k}
        if k in latest:
            rel = b.add(SCO, name, t, "change_order", **meta)
            paths += [rel] if rel else []
            if rng.random() < 0.5:
                rel = b.add(co_dir, name, t + timedelta(hours=2), "change_order", **meta)
                paths += [rel] if rel else []
        else:
            folder = f"{co_dir}/Processed in Ostendo" if processed and k < numbers[-1] - 3 else co_dir
            rel = b.add(folder, name, t, "change_order", **meta)
            paths += [rel] if rel else []
        if rng.random() < 0.05:
            rel = b.add(co_dir, f"{base} - CO{k} Updated.pdf", t + timedelta(days=1), "change_order", **meta)
            paths += [rel] if rel else []
        if rng.random() < 0.06:
            tag = rng.choice([" - signed", " External", " - RP Signed", " - rpsigned"])
            rel = b.add(
                f"{SALES}/Purchase Orders", f"{base} - CO{k}{tag}.pdf", t + timedelta(days=2), "change_order", **meta
            )
            paths += [rel] if rel else []
        if alt_style:
            rel = b.add(SALES, f"{ctx.code} - Change Order {k}.pdf", t - timedelta(hours=3), "change_order", **meta)
            paths += [rel] if rel else []
        if web_export and k >= numbers[len(numbers) // 2]:
            rel = b.add(
                f"{SALES}/Change Orders for {person}",
                f"{plus_title}+[Change+Order+{k}].pdf",
                t - timedelta(hours=1),
                "change_order",
                **meta,
            )
            paths += [rel] if rel else []
        if to_customer and k % 2:
            stamp = times[-1]
            rel = b.add(
                f"{SCO}/CO's to customer {stamp:%d.%m.%y}",
                f"{ctx.code}-{k} {ctx.doc_client} {ctx.long} - Change Order to Customer.pdf",
                stamp,
                "change_order",
                **meta,
            )
            paths += [rel] if rel else []
        if paths:
            record.change_orders[k] = paths
    if rng.random() < 0.05:
        b.add(
            SALES,
            f"Change Order - PAVS{ctx.code} - Additional Labour.pdf",
            times[0],
            "change_order",
            title="Change Order - Additional Labour",
        )
    if len(numbers) >= 2 and rng.random() < 0.2:
        listed = numbers[: rng.randint(2, min(5, len(numbers)))]
        cos = "CO" + ",".join(str(k) for k in listed) if rng.random() < 0.6 else " ".join(f"CO{k}" for k in listed)
        b.add(
            f"{SALES}/Purchase Orders",
            f"PURCHASE_{rng.randint(60000, 99999)} {cos}.pdf",
            times[-1],
            "purchase_order",
            title="Purchase order",
            covers=listed,
        )


def _plan_bom_extras(b: _Builder) -> None:
    ctx, rng = b.ctx, b.rng
    if rng.random() < 0.3:
        b.add(
            BOM,
            f"{ctx.code} - {ctx.client.abbr} - {ctx.long} - LLD BOM Report (By Location).pdf",
            b.when(0.3),
            "bom",
            title="LLD BOM Report (By Location)",
        )
    if rng.random() < 0.08:
        b.add(
            SCO,
            f"Job Status Report - {ctx.code} {ctx.client.name.split()[0]}.pdf",
            b.when(0.8),
            "bom",
            title="Job Status Report",
        )


# ---- 3. PMO -----------------------------------------------------------------------------


def _plan_pmo(b: _Builder) -> None:
    ctx, rng = b.ctx, b.rng
    t = b.when(0.4)
    name = _pick(
        rng,
        [
            (f"SWM/{ctx.doc_base} - SWMs.pdf", 5.0),
            (f"{ctx.code} - {ctx.client.name} - {ctx.long}  SWMs.pdf", 2.0),
            (f"SWM/{ctx.code} {ctx.client.name} {ctx.short} (SWMS) {t.year} v6.0.1.pdf", 2.0),
        ],
    )
    folder, _, leaf = name.rpartition("/")
    b.add(f"{PMO}/{folder}" if folder else PMO, leaf, t, "swms", title="Safe Work Method Statement")
    if rng.random() < 0.3:
        b.add(
            PMO,
            f"{ctx.code} -{ctx.client.abbr}-{ctx.long} - Program Schedule.pdf",
            b.when(0.35),
            "program",
            title="Program Schedule",
        )
    if rng.random() < 0.08:
        b.add(PMO, "New Dunlop Carpet Tile Adhesive SDS.pdf", b.when(0.5), "swms", title="Safety Data Sheet")
    if rng.random() < 0.12:
        area = rng.choice(ctx.rooms)[0].split(" - ")[0]
        for _ in range(rng.randint(2, 3 + ctx.size)):
            brand, model = rng.choice(EQUIPMENT)
            b.add(
                f"{PMO}/{area} O&M/{brand}",
                f"{brand} {model.split(' ')[0]} Datasheet.pdf",
                b.when(0.6),
                "manuals",
                title=f"{brand} {model} datasheet",
                brand=brand,
                model=model,
            )
    if rng.random() < 0.15:
        b.add(PMO, f"{ctx.code} - Site Access Notes.txt", b.when(0.45), "notes", title="Site access notes")


# ---- 4. System Designs ------------------------------------------------------------------


@dataclass(slots=True)
class _SeriesSpec:
    name: str
    base: str  # file-name prefix before the revision
    compact: bool
    issues: int
    rooms: list[tuple[str, int]]


def _series_specs(b: _Builder) -> list[_SeriesSpec]:
    ctx, rng = b.ctx, b.rng
    code, title = ctx.code, ctx.design_title
    compact = rng.random() < 0.08 or b.has("compact")
    main_base = f"{code}-{ctx.client.abbr}-{ctx.long.upper()}" if compact else f"{code} - {title}"
    issues_main = _pick(rng, [(1, 3.0), (2, 3.5), (3, 2.5), (4, 1.2), (5, 0.6), (7, 0.3)])
    if ctx.feature in ("rev_jump", "leave_old", "compact", "asbuilt_norev", "draft", "decimal"):
        issues_main = max(issues_main, 4 if ctx.feature in ("rev_jump", "compact") else 3)
    if ctx.kind == "rooms":
        specs = []
        for i, (room, kit) in enumerate(ctx.rooms, start=1):
            size_word = KITS[kit][1]
            base = f"{code} - R {i:02d} - {size_word} #{(i % 15) + 1:02d} - {room.upper()}"
            specs.append(
                _SeriesSpec(f"R {i:02d}", base, False, _pick(rng, [(1, 5.0), (2, 3.0), (3, 1.0)]), [(room, kit)])
            )
        return specs
    if ctx.kind == "levels":
        n_levels = rng.randint(2, 5)
        levels = ["GROUND FLOOR"] + [f"LEVEL {n}" for n in sorted(rng.sample(range(1, 32), n_levels - 1))]
        prefix = f"{code} - {ctx.client.abbr} {ctx.site_short.upper()}"
        per = max(1, len(ctx.rooms) // len(levels))
        specs = [
            _SeriesSpec(level, f"{prefix} - {level}", False, rng.randint(1, 5), ctx.rooms[i * per : (i + 1) * per])
            for i, level in enumerate(levels)
        ]
        if rng.random() < 0.6:
            for sched in rng.sample(["AV CABLE SCHEDULE", "MASTER POWER & DATA SCHEDULE"], rng.randint(1, 2)):
                specs.append(
                    _SeriesSpec(
                        sched, f"{code} - {ctx.site_short.upper()} - {sched}", False, rng.randint(2, 5), ctx.rooms
                    )
                )
        return specs
    specs = [_SeriesSpec("main", main_base, compact, issues_main, ctx.rooms)]
    if ctx.size >= 3 and rng.random() < 0.3:
        room, kit = rng.choice(ctx.rooms)
        specs.append(
            _SeriesSpec(
                room.upper().split(" - ")[0],
                f"{main_base} - {room.upper().split(' - ')[0]}",
                compact,
                rng.randint(1, 4),
                [(room, kit)],
            )
        )
    return specs


def _plan_designs(b: _Builder, record: ProjectRecord) -> None:
    ctx, rng = b.ctx, b.rng
    complete = ctx.stage == "complete"
    style = _pick(rng, [("space", 6.0), ("upper", 1.5), ("tight", 0.5), ("decimal", 1.0), ("upper_decimal", 0.3)])
    if ctx.kind == "rooms":
        style = "upper"
    elif b.has("decimal"):
        style = "decimal"
    archive = f"{DESIGNS}/{ctx.archive}"
    handover = f"{ctx.handover_folder}/As-Built Documents/System Designs"
    for spec in _series_specs(b):
        series_style = "decimal" if "SCHEDULE" in spec.name else "tight" if spec.compact else style
        n = spec.issues
        values: list[int] = []
        v = 100
        jump_at = rng.randrange(2, n) if n >= 4 and (rng.random() < 0.18 or b.has("rev_jump")) else None
        if b.has("compact") and spec.compact and n >= 4:
            jump_at = jump_at or 3  # the "-Rev203" look
        for i in range(n):
            if i == jump_at:
                v = 200
            values.append(v)
            v += 1
        # As-built outcome for finished projects.
        ab_mode = "none"
        if complete:
            ab_mode = _pick(rng, [("next", 55.0), ("same", 20.0), ("norev", 8.0), ("none", 17.0)])
            if b.has("asbuilt_norev"):
                ab_mode = "norev"
        frac0, frac1 = 0.2, (0.85 if complete else 0.95)
        step = (frac1 - frac0) / max(1, n)
        times = b.series_times([frac0 + step * i for i in range(n)])
        leave_old = rng.random() < 0.15 or b.has("leave_old")
        sep = "-" if spec.compact else " - "

        def name_for(
            value: int, tag: str = "", *, spec: _SeriesSpec = spec, sep: str = sep, series_style: str = series_style
        ) -> str:
            st = series_style if rng.random() > 0.08 else rng.choice(["space", "upper", "decimal"])
            return f"{spec.base}{sep}{fmt_rev(value, st)}{tag}.pdf"

        planned: list[tuple[str, datetime, int, bool, bool]] = []  # name, time, value, as_built, draft
        if rng.random() < 0.12 or b.has("draft"):
            tag = rng.choice([" DRAFT", " - ENG DRAFT"])
            planned.append(
                (name_for(values[0], tag), times[0] - timedelta(days=rng.randint(1, 5)), values[0], False, True)
            )
        for value, t in zip(values, times, strict=True):
            planned.append((name_for(value), t, value, False, False))
        end = b.when(0.97)
        if end <= times[-1]:
            end = times[-1] + timedelta(days=1)
        ab_tag = _pick(
            rng,
            [(" AS-BUILT", 5.0), (" - AS BUILT", 2.0), (" As Built", 1.0), (" AS BUILT", 1.0), (" - AS-BUILT", 1.0)],
        )
        if ab_mode == "next":
            planned.append((name_for(values[-1] + 1, ab_tag), end, values[-1] + 1, True, False))
        elif ab_mode == "same":
            planned.append((name_for(values[-1], ab_tag), end, values[-1], True, False))
        elif ab_mode == "norev":
            planned.append((f"{spec.base} - AsBuilt.pdf", end, -1, True, False))

        current_idx = len(planned) - 1
        kits = [k for _, k in spec.rooms][:8]
        room_names = [r for r, _ in spec.rooms][:8]
        history: list[str] = []
        current_rel: str | None = None
        for idx, (name, t, value, as_built, draft) in enumerate(planned):
            meta = {
                "title": "System Design",
                "series": spec.name,
                "rev": value,
                "as_built": as_built,
                "draft": draft,
                "rooms": kits,
                "room_names": room_names,
            }
            if idx == current_idx:
                folder = DESIGNS
            elif draft or ab_mode == "norev":
                folder = archive
            elif ab_mode == "same" and idx == current_idx - 1:
                folder = DESIGNS if rng.random() < 0.5 else archive
            elif leave_old and idx >= current_idx - 2:
                folder = DESIGNS
            else:
                folder = archive
            rel = b.add(folder, name, t, "lld", **meta)
            if rel:
                history.append(rel)
                if idx == current_idx:
                    current_rel = rel
        if current_rel is None:  # pragma: no cover - names are unique by construction
            continue
        cur_name, cur_t, cur_value, cur_ab, _ = planned[current_idx]
        copy = None
        if cur_ab:
            copy = b.add(
                handover,
                cur_name,
                cur_t + timedelta(days=rng.randint(1, 6)),
                "lld",
                title="System Design",
                series=spec.name,
                rev=cur_value,
                as_built=True,
                draft=False,
                rooms=kits,
                room_names=room_names,
            )
        record.designs.append(
            DesignSeries(
                name=spec.name,
                current=current_rel,
                revision=None if cur_value < 0 else cur_value,
                as_built=cur_ab,
                history=history,
                handover_copy=copy,
            )
        )
    # Distractors: an early issue copied elsewhere, engineering info, IP schedules.
    if record.designs and rng.random() < 0.08:
        first = record.designs[0].history[0].rsplit("/", 1)[-1]
        b.add(
            rng.choice([SALES, f"{PMO}/TEAM 1"]),
            first,
            b.when(0.25),
            "lld",
            title="System Design",
            series=record.designs[0].name,
            rev=100,
            as_built=False,
            draft=False,
            rooms=[],
            room_names=[],
        )
    if rng.random() < 0.2:
        eng = f"{DESIGNS}/{rng.choice(['ENG INFO', 'DOCUMENTS'])}"
        for _ in range(rng.randint(1, 1 + ctx.size)):
            brand, model = rng.choice(EQUIPMENT)
            name = _pick(
                rng,
                [
                    (f"{brand} {model.split(' ')[0]} Datasheet.pdf", 3.0),
                    (f"Electrical {rng.choice([50, 80, 100])} percent DD.pdf", 1.0),
                    (f"PAVS-{ctx.code} {ctx.client.abbr} BOM.pdf", 1.0),
                    (f"{brand.lower()}_{model.split(' ')[0].lower()}_cad_drawings.pdf", 1.0),
                ],
            )
            fam = "cad" if "cad" in name else "bom" if "BOM" in name else "manuals"
            b.add(eng, name, b.when(0.3), fam, title=name[:-4], brand=brand, model=model)
    if rng.random() < 0.12:
        b.add(DESIGNS, f"{ctx.code} - IP Schedule.txt", b.when(0.6), "notes", title="IP address schedule")
    if rng.random() < 0.04:
        b.add(DESIGNS, f"{ctx.client.name} video walls (1).pdf", b.when(0.3), "hld", title="Concept design")


# ---- 5./6. Customer Handover, 6./7. AVCare ---------------------------------------------


def _plan_customer_handover(b: _Builder, record: ProjectRecord) -> None:
    ctx, rng = b.ctx, b.rng
    complete = ctx.stage == "complete"
    qa = f"{ctx.handover_folder}/QA-ITP Reports"
    client_h = "-".join(ctx.client.name.split()[:2])
    rooms = ctx.rooms if complete else ctx.rooms[: max(1, len(ctx.rooms) // 2)]
    if ctx.kind == "standard":
        rooms = rooms[: rng.randint(1, 3)]
    grouped = len(rooms) > 6 and rng.random() < 0.6
    for i, (room, _kit) in enumerate(rooms[:30], start=1):
        t = b.when(0.9 + 0.08 * i / max(1, len(rooms)))
        room_h = "-".join(room.replace(".", "-").split())
        stamp = f"{t.day:02d}-{MONTHS[t.month - 1]}-{t.year}"
        tech = rng.choice(TECHS)
        name = _pick(
            rng,
            [
                (f"{ctx.code}-{room_h}-{client_h}-{tech}-QLD-HB.pdf", 3.0),
                (f"{ctx.code}-{room_h}-{client_h}.pdf", 1.0),
                (f"{stamp}-{ctx.site_short.replace(' ', '-')}-{room_h}.pdf", 1.0),
            ],
        )
        folder = f"{qa}/{(i // 10) * 10}+" if grouped else qa
        if not complete and rng.random() < 0.5:
            folder = f"{qa}/Unfinished Tests"
        b.add(folder, name, t, "qa_itp", title="QA / ITP Report", room=room, tech=tech)
    if complete and rng.random() < 0.25:
        b.add(
            f"{ctx.handover_folder}/As-Built Documents",
            f"{ctx.code} - {ctx.long} - O&M Manual.pdf",
            b.when(1.0),
            "manuals",
            title="Operation & Maintenance Manual",
        )
    if complete and rng.random() < 0.2:
        for room, _kit in rooms[:4]:
            folder = f"{ctx.handover_folder}/As Built Photos/{room}"
            t = b.when(0.98)
            for k in range(rng.randint(1, 4)):
                b.add(folder, f"IMG_{rng.randint(1000, 9999)}.jpg", t + timedelta(minutes=k), "photos")


def _plan_avcare(b: _Builder) -> None:
    ctx, rng = b.ctx, b.rng
    folder = ctx.avcare_folder
    t = b.when(1.0)
    reg = _pick(
        rng,
        [
            ("OnSold Support Services Register - Master Template 3-22.docx", 6.0),
            ("Job - OnSold Support Services Register - Date.docx", 1.5),
            (f"{ctx.code} - OnSold Support Services Register.docx", 1.5),
        ],
    )
    b.add(folder, reg, t, "avcare", title="OnSold Support Services Register")
    if rng.random() < 0.45:
        typo = "Cusotmer" if rng.random() < 0.2 else "Customer"
        b.add(
            folder,
            f"{ctx.doc_base} - Standard {typo} Proposal - Support 2023.pdf",
            t,
            "avcare",
            title="Standard Customer Proposal - Support",
        )
    if rng.random() < 0.2:
        b.add(
            folder,
            f"{ctx.doc_base} - Standard Customer Proposal with Managed Services.pdf",
            t,
            "avcare",
            title="Standard Customer Proposal with Managed Services",
        )
    if ctx.kind == "rooms":
        for i, (room, kit) in enumerate(ctx.rooms[:25], start=1):
            b.add(
                folder,
                f"{ctx.code} - ROOM {i} - {room}  {KITS[kit][0]}.docx",
                t,
                "avcare",
                title="Room support register",
                room=room,
                kit=kit,
            )
