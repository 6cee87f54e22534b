"""Pure planning of the synthetic firm: every folder, file name, mtime and ground truth.

Nothing here touches the disk. :func:`plan_firm` returns a :class:`FirmPlan` (manifest +
one :class:`PlannedFile` per file, with its document family) that :mod:`.firm` writes.
Same ``(projects, seed)`` -> same plan, byte for byte: only ``random.Random`` instances
seeded from the parameters are used, and the clock is the fixed :data:`NOW`. The shared parts live in
:mod:`.plan_parts`, the folders' planners in :mod:`.plan_folders` and :mod:`.plan_designs`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from .catalog import (
    ACTIONS,
    AREAS,
    CITIES,
    CLIENTS,
    END_CLIENTS,
    KITS,
    LEVELS,
    PEOPLE,
    ROOM_NAMES,
    STREETS,
    SUFFIXES,
    Client,
)
from .manifest import FirmManifest, ProjectRecord
from .plan_designs import plan_designs
from .plan_folders import (
    plan_avcare,
    plan_bom_extras,
    plan_change_orders,
    plan_customer_handover,
    plan_pmo,
    plan_sales_handover,
    plan_sales_reports,
)
from .plan_parts import (
    ARCHIVE_NAMES,
    NOW,
    ROLLOUT_PLACES,
    ROOT_FOLDER,
    SHOWCASE,
    STAGE_RANK,
    Builder,
    PlannedFile,
    ProjectContext,
    pick,
)


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
        builder = Builder(ctx, rng)
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

    kind = pick(rng, [("standard", 90.0), ("levels", 3.5), ("rooms", 1.1), ("irregular", 3.0)])
    if feature in ("levels", "rooms"):
        kind = feature
    elif feature is not None and kind == "irregular":
        kind = "standard"
    size = pick(rng, [(1, 63.0), (2, 25.0), (3, 8.5), (5, 3.2), (8, 0.3)])
    if kind == "levels":
        size = max(size, 3)
    elif kind == "rooms":
        size = max(size, 5)
        short = f"MTR RM {rng.choice(['Upgrades', 'Rollout'])} - Bulk Order"
        long = f"MTR Room {'Upgrades' if 'Upgrades' in short else 'Rollout'} - Bulk Order"

    abbr = client.abbr
    sep = pick(
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
        doc_client = pick(rng, [(client.name, 6.0), (rng.choice(client.aliases or (client.name,)), 1.5), (abbr, 2.5)])
    doc_base = pick(
        rng,
        [
            (f"{code} - {doc_client} - {long}", 7.0),
            (f"{code}-{abbr} - {long}", 1.0),
            (f"{code} - {doc_client} {long}", 2.0),
        ],
    )
    design_title = pick(
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
            base = f"{rng.choice(CITIES[state])[1]} {rng.choice(ROLLOUT_PLACES)}"
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


def _plan_project(b: Builder) -> ProjectRecord:
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
    rank = STAGE_RANK[ctx.stage]
    plan_sales_handover(b)
    plan_sales_reports(b, record)
    if rank >= 1:
        plan_change_orders(b, record)
        plan_bom_extras(b)
        plan_pmo(b)
        plan_designs(b, record)
    if rank >= 2:
        plan_customer_handover(b, record)
    if rank >= 3:
        plan_avcare(b)
    if b.rng.random() < 0.04:
        b.add("", f"INVINV{b.rng.randint(60000, 99999)}.pdf", b.when(0.97), "invoice")
    return record


def _plan_irregular(b: Builder, record: ProjectRecord) -> None:
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
