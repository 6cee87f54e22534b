"""Realistic text for the demo firm's documents, so full-text search has something to find.

Every document names the firm, the project code and title, the client's full name and the
site address, then a body typical of its family (equipment lists for designs, line items
for Sales & PO reports, hazards for SWMS ...). Deterministic per file path and seed.
"""

from __future__ import annotations

import random

from .catalog import EQUIPMENT, FIRM, FIRM_LEGAL, HAZARDS, KITS, PEOPLE, VENDORS
from .plan_parts import PlannedFile, ProjectContext, from_epoch

_STATUS = ("Ordered", "Received", "Back-ordered", "Delivered to site", "Installed")
_CO_REASONS = (
    "Additional display requested by the client in {room}",
    "Relocate floor box and add HDMI/USB-C table input in {room}",
    "Additional after-hours labour to suit building access in {room}",
    "Upgrade ceiling microphones to beamforming array in {room}",
    "Add wireless presentation (Barco ClickShare) to {room}",
    "Supply and install additional data points for AV rack in {room}",
    "Remove and dispose of legacy projector and screen in {room}",
)
_QA_CHECKS = (
    "Display powers on from the touch panel",
    "All sources switch and scale correctly",
    "Microphone coverage tested at every seat",
    "Echo cancellation verified on a Teams call",
    "Room booking panel shows the calendar",
    "Cable labels match the cable schedule",
    "Rack ventilation and power sequencing checked",
    "Hearing loop field strength measured",
)


def _kit_lines(kit: int) -> list[str]:
    name, _, items = KITS[kit]
    return [f"  Solution: {name}", *(f"  - {item}" for item in items)]


def _equipment(rng: random.Random, n: int) -> list[tuple[str, str]]:
    return rng.sample(EQUIPMENT, k=min(n, len(EQUIPMENT)))


def _header(pf: PlannedFile, ctx: ProjectContext, doc_title: str) -> list[str]:
    when = from_epoch(pf.mtime)
    client = ctx.client.name
    if ctx.end_client:
        client += f" (end client: {ctx.end_client[1]})"
    return [
        f"{FIRM} - {FIRM_LEGAL}",
        f"Document: {doc_title}",
        f"Project: {ctx.code} - {ctx.long}",
        f"Client: {client}",
        f"Site address: {ctx.site}",
        f"Date: {when:%d/%m/%Y}",
        "",
    ]


def _rooms_for(pf: PlannedFile, ctx: ProjectContext) -> list[tuple[str, int]]:
    names = pf.meta.get("room_names")
    kits = pf.meta.get("rooms")
    if names and kits:
        return list(zip(names, kits, strict=False))
    return ctx.rooms[:6]


def _body(pf: PlannedFile, ctx: ProjectContext, rng: random.Random) -> list[str]:
    fam = pf.family
    meta = pf.meta
    rooms = _rooms_for(pf, ctx)
    room = rng.choice(rooms)[0] if rooms else "Boardroom"
    if fam == "lld":
        rev = meta.get("rev", 100)
        status = "AS-BUILT" if meta.get("as_built") else "DRAFT" if meta.get("draft") else "FOR CONSTRUCTION"
        lines = [
            f"System Design (LLD) - series {meta.get('series', 'main')}",
            f"Revision: {rev if rev and rev > 0 else 'as built'} - status {status}",
            "Sheets: cover, AV schematic, rack elevation, cable schedule, room layouts",
            "",
        ]
        for name, kit in rooms:
            lines.append(f"Room: {name}")
            lines += _kit_lines(kit)
        lines += [
            "",
            "Control: Crestron CP4N processor, TSW-1070 touch panels; DSP: Biamp Tesira Forte AVB VT",
            "Network: AV VLAN 20, control VLAN 30, Dante VLAN 40; PoE+ switch in AV rack",
        ]
        return lines
    if fam == "sales_po":
        lines = ["Sales & PO Report", "Line | Item | Qty | Supplier | PO | Status"]
        for i, (brand, model) in enumerate(_equipment(rng, rng.randint(5, 10)), start=1):
            lines.append(
                f"{i} | {brand} {model} | {rng.randint(1, 8)} | {rng.choice(VENDORS)} | "
                f"PO{rng.randint(40000, 99999)} | {rng.choice(_STATUS)}"
            )
        lines.append(f"Contract value (ex GST): ${rng.randint(8, 400) * 1000 + rng.randint(0, 999):,}")
        return lines
    if fam == "change_order":
        k = meta.get("co", "")
        reason = rng.choice(_CO_REASONS).format(room=room)
        items = _equipment(rng, rng.randint(1, 4))
        return [
            f"Change Order {k}",
            f"Reason: {reason}",
            "Items:",
            *(f"  - {brand} {model} x{rng.randint(1, 4)}" for brand, model in items),
            f"Price (ex GST): ${rng.randint(300, 25000):,}",
            f"Requested by: {rng.choice(PEOPLE)}",
            f"Approved for {ctx.client.name}: ____________________",
        ]
    if fam in ("proposal", "hld", "scope"):
        lines = [
            f"Scope of Works - {ctx.long}",
            f"{FIRM} will supply, install and commission audio visual systems for {ctx.client.name} at {ctx.site}.",
            "",
        ]
        for name, kit in rooms:
            lines.append(f"{name}:")
            lines += _kit_lines(kit)
        lines += [
            "",
            "Exclusions: builders works, electrical outlets, data cabling to the floor boxes.",
            "Warranty: 12 months parts and labour; AVCare support available.",
        ]
        return lines
    if fam == "handover":
        return [
            f"Project Handover Document - {ctx.code}",
            f"Salesperson: {ctx.salesperson}",
            f"Project manager: {ctx.pm}",
            f"Client: {ctx.client.name}",
            f"Site: {ctx.site}",
            f"Rooms in scope: {', '.join(r for r, _ in ctx.rooms[:12])}",
            "Key equipment: " + ", ".join(f"{b} {m}" for b, m in _equipment(rng, 4)),
        ]
    if fam == "floor_plans":
        lines = [
            f"Floor plan - {meta.get('level') or meta.get('room') or meta.get('sheet') or room}",
            f"Building: {ctx.site}",
        ]
        if meta.get("consultant"):
            lines.append(f"Consultant: {meta['consultant']} - drawing revision {meta.get('sheet_rev')}")
        lines.append(f"AV locations marked for {room}")
        return lines
    if fam == "supplier_quotes":
        vendor = meta.get("vendor", rng.choice(VENDORS))
        lines = [f"Quotation from {vendor} to {FIRM}", f"Reference: {ctx.code} {ctx.client.name}"]
        for brand, model in _equipment(rng, rng.randint(2, 6)):
            lines.append(f"  {brand} {model}  qty {rng.randint(1, 6)}  ${rng.randint(90, 9000):,} ea")
        lines.append("Valid for 30 days. Prices ex GST.")
        return lines
    if fam == "purchase_order":
        return [
            f"Purchase Order from {ctx.client.name}",
            f"Supplier: {FIRM_LEGAL}",
            f"Our reference: PAVS-{ctx.code}",
            f"Description: {ctx.long}",
            f"Amount (ex GST): ${rng.randint(2, 300) * 1000:,}",
        ]
    if fam == "swms":
        return [
            "Safe Work Method Statement (SWMS)",
            f"Works: AV installation - {ctx.long}",
            *(f"Hazard: {h}" for h in rng.sample(HAZARDS, k=4)),
            f"Site supervisor: {ctx.pm}",
        ]
    if fam == "qa_itp":
        r = meta.get("room", room)
        return [
            f"QA / ITP Report - {r}",
            f"Technician: {str(meta.get('tech', 'Nick-F')).replace('-', ' ')}",
            *(f"[PASS] {c}" for c in rng.sample(_QA_CHECKS, k=5)),
        ]
    if fam == "manuals":
        brand = meta.get("brand") or rng.choice(EQUIPMENT)[0]
        model = meta.get("model") or rng.choice(EQUIPMENT)[1]
        return [
            f"{brand} {model} - product datasheet / O&M",
            "Power: 100-240 V AC, 50/60 Hz",
            "Warranty: 3 years return to base",
            f"Installed at {ctx.site} for {ctx.client.name}",
        ]
    if fam == "avcare":
        lines = ["AVCare - OnSold Support Services Register", f"Support contract for {ctx.client.name}"]
        for name, kit in rooms:
            lines.append(f"{name}: {KITS[kit][0]} - serial {rng.randint(10**7, 10**8 - 1)}")
        return lines
    if fam == "bom":
        lines = ["LLD BOM Report (By Location)"]
        for name, _kit in rooms:
            for brand, model in _equipment(rng, 3):
                lines.append(f"{name} | {brand} {model} | qty {rng.randint(1, 4)}")
        return lines
    if fam == "program":
        return [
            "Program Schedule",
            "Week 1: site establishment and cable pull",
            "Week 2: rack build and termination",
            "Week 3: display and speaker installation",
            "Week 4: commissioning and client training",
            f"Practical completion target for {ctx.client.name}",
        ]
    if fam == "notes":
        if "IP" in pf.name:
            lines = ["IP address schedule (AV VLAN 20)"]
            for i, (brand, model) in enumerate(_equipment(rng, 6), start=11):
                lines.append(f"10.20.{rng.randint(1, 9)}.{i}  {brand} {model}  {room}")
            return lines
        return [
            f"Site notes for {ctx.client.name} at {ctx.site}",
            f"Contact on site: {rng.choice(PEOPLE)} (facilities)",
            "Loading dock access before 7am; induction required; ceiling tiles 1200x600.",
            f"Rooms visited: {', '.join(r for r, _ in rooms)}",
        ]
    return [f"{pf.meta.get('title', 'Document')} for {ctx.client.name}", f"Reference {ctx.code}"]


def render_text(pf: PlannedFile, ctx: ProjectContext, seed: int) -> tuple[str, list[str]]:
    """(title, body lines) for ``pf``: header with client and site, then a family-specific body."""
    rng = random.Random(f"quicknav-demo-text:{seed}:{pf.rel}")
    stem = pf.name.rsplit(".", 1)[0]
    doc_title = str(pf.meta.get("title") or stem)
    return stem, _header(pf, ctx, doc_title) + _body(pf, ctx, rng)
