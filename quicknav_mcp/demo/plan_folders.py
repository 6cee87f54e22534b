"""Planning the files of a project's folders other than its system designs: sales handover, BOM &
orders, PMO, customer handover and AVCare (pure; see :mod:`.plan`)."""

from __future__ import annotations

from datetime import datetime, timedelta

from .catalog import (
    CONSULTANTS,
    EQUIPMENT,
    FIRM,
    KITS,
    LEVELS,
    PEOPLE,
    SCHEDULE_NAMES,
    SHEET_DESCRIPTIONS,
    TECHS,
    VENDORS,
)
from .manifest import ProjectRecord
from .plan_parts import (
    BOM,
    MONTHS,
    NOW,
    PMO,
    SALES,
    SCO,
    STAGE_RANK,
    Builder,
    date_fmt,
    letters,
    pick,
)

# ---- 1. Sales Handover -----------------------------------------------------------------


def plan_sales_handover(b: Builder) -> None:
    ctx, rng = b.ctx, b.rng
    code = ctx.code
    phd = pick(
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
    n_prop = pick(rng, [(0, 4.0), (1, 4.0), (2, 1.5), (3, 1.0), (5, 0.3)])
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
        plan_floor_plans(b)
        plan_supplier_quotes(b)
        plan_purchase_orders(b)

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


def plan_floor_plans(b: Builder) -> None:
    ctx, rng = b.ctx, b.rng
    fp = f"{SALES}/Floor Plans"
    t = b.when(0.0)
    n_plain = max(rng.randint(0, ctx.size), 1 if b.has("dup") else 0)
    for _ in range(n_plain):
        lvl = rng.choice(LEVELS)[1]
        name = pick(
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
        plan_consultant_set(b, fp, forced)
    if ctx.size >= 3 and rng.random() < 0.35:
        plan_consultant_set(b, f"{SALES}/Electrical")


def plan_consultant_set(b: Builder, base: str, style: str | None = None) -> None:
    ctx, rng = b.ctx, b.rng
    picked = rng.choice(["a_paren", "bracket", "rev_dot", "rev_underscore", "wd_markup"])
    style = style or picked
    received = b.when(0.01)
    sub = pick(
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
            revs = letters(n_rev, rng.randint(0, 2))
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
            revs = [str(k + 1) for k in range(n_rev)] if rng.random() < 0.5 else letters(n_rev, 2 + s % 6)
            names = [f"{sched}_Schedule_(Rev_{r}).pdf" for r in revs]
        else:
            revs = letters(n_rev, rng.randint(3, 18))
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


def plan_supplier_quotes(b: Builder) -> None:
    ctx, rng = b.ctx, b.rng
    folder = f"{SALES}/Supplier Quotes"
    for _ in range(pick(rng, [(0, 3.0), (1, 3.0), (2, 1.5), (3, 0.6), (5, 0.3)])):
        vendor = rng.choice(VENDORS)
        t = b.when(rng.uniform(0.0, 0.1))
        name = pick(
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


def plan_purchase_orders(b: Builder) -> None:
    ctx, rng = b.ctx, b.rng
    folder = f"{SALES}/Purchase Orders"
    for _ in range(pick(rng, [(0, 2.0), (1, 4.0), (2, 1.5)])):
        t = b.when(rng.uniform(0.03, 0.12))
        name = pick(
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


def plan_sales_reports(b: Builder, record: ProjectRecord) -> None:
    ctx, rng = b.ctx, b.rng
    rank = STAGE_RANK[ctx.stage]
    n = 1 if rank == 0 else min(14, 1 + int(rng.expovariate(1.0 / (0.45 * ctx.size + 0.2 * rank))))
    original = rng.random() < 0.75
    style = pick(rng, [("dot4", 6.0), ("dot2", 1.0), ("dash2", 2.0), ("under4", 1.0)])
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
        sep = pick(rng, [(" - ", 6.0), ("  ", 2.0), (" ", 2.0)])
        entries.append((f"{base} - Sales & PO Report{sep}{date_fmt(t, st)}.pdf", t))
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


def plan_change_orders(b: Builder, record: ProjectRecord) -> None:
    ctx, rng = b.ctx, b.rng
    top = {1: 2, 2: 4, 3: 8, 5: 16, 8: 30}[ctx.size]
    if ctx.kind == "rooms":
        top *= 2
    if rng.random() < 0.25:
        top = 0
    n_top = rng.randint(0, top) if top else 0
    if ctx.feature in ("co_web", "co_alt"):
        n_top = max(n_top, 6)
    if STAGE_RANK[ctx.stage] < 2:
        n_top = min(n_top, 2)
    numbers = [k for k in range(1, n_top + 1) if k == n_top or rng.random() > 0.12]
    if not numbers:
        return
    times = b.series_times([rng.uniform(0.2, 0.95) for _ in numbers])
    base = ctx.doc_base
    co_dir = pick(rng, [(f"{SCO}/Change Orders", 8.0), (f"{SCO}/All COs", 1.0)])
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


def plan_bom_extras(b: Builder) -> None:
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


def plan_pmo(b: Builder) -> None:
    ctx, rng = b.ctx, b.rng
    t = b.when(0.4)
    name = pick(
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


# ---- 5./6. Customer Handover, 6./7. AVCare ---------------------------------------------


def plan_customer_handover(b: Builder, record: ProjectRecord) -> None:
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
        name = pick(
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


def plan_avcare(b: Builder) -> None:
    ctx, rng = b.ctx, b.rng
    folder = ctx.avcare_folder
    t = b.when(1.0)
    reg = pick(
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
