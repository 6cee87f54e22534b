"""Planning a project's system designs: the drawing series, their revisions and as-built sets (pure; see
:mod:`.plan`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .catalog import (
    EQUIPMENT,
    KITS,
)
from .manifest import DesignSeries, ProjectRecord
from .plan_parts import (
    DESIGNS,
    PMO,
    SALES,
    Builder,
    fmt_rev,
    pick,
)

# ---- 4. System Designs ------------------------------------------------------------------


@dataclass(slots=True)
class _SeriesSpec:
    name: str
    base: str  # file-name prefix before the revision
    compact: bool
    issues: int
    rooms: list[tuple[str, int]]


def _series_specs(b: Builder) -> list[_SeriesSpec]:
    ctx, rng = b.ctx, b.rng
    code, title = ctx.code, ctx.design_title
    compact = rng.random() < 0.08 or b.has("compact")
    main_base = f"{code}-{ctx.client.abbr}-{ctx.long.upper()}" if compact else f"{code} - {title}"
    issues_main = pick(rng, [(1, 3.0), (2, 3.5), (3, 2.5), (4, 1.2), (5, 0.6), (7, 0.3)])
    if ctx.feature in ("rev_jump", "leave_old", "compact", "asbuilt_norev", "draft", "decimal"):
        issues_main = max(issues_main, 4 if ctx.feature in ("rev_jump", "compact") else 3)
    if ctx.kind == "rooms":
        specs = []
        for i, (room, kit) in enumerate(ctx.rooms, start=1):
            size_word = KITS[kit][1]
            base = f"{code} - R {i:02d} - {size_word} #{(i % 15) + 1:02d} - {room.upper()}"
            specs.append(
                _SeriesSpec(f"R {i:02d}", base, False, pick(rng, [(1, 5.0), (2, 3.0), (3, 1.0)]), [(room, kit)])
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


def plan_designs(b: Builder, record: ProjectRecord) -> None:
    ctx, rng = b.ctx, b.rng
    complete = ctx.stage == "complete"
    style = pick(rng, [("space", 6.0), ("upper", 1.5), ("tight", 0.5), ("decimal", 1.0), ("upper_decimal", 0.3)])
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
            ab_mode = pick(rng, [("next", 55.0), ("same", 20.0), ("norev", 8.0), ("none", 17.0)])
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
        ab_tag = pick(
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
            name = pick(
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
