"""Labelled request sets for bench/search_quality.py: requests phrased the way people and
assistants pass them on, misspelt requests and paraphrased project descriptions.

Demo sets are generated from the demo firm's plan (its manifest and every planned file's family
and metadata), never from QuickNav's parser, in several phrasing seeds: each seed draws other
projects, other request templates and other ways of naming where the document is (project
number, client and description, client and street, client and city, the description alone). A
way of naming is used only when it identifies one project of the firm, so the truth is that
project's documents. The real-corpus set is written by hand with regular expressions over the
catalogue's file names (which file a person asking for it would want).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from quicknav_mcp.search.text import tokens

ORDINAL_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 7: "seventh", 8: "eighth"}
SUFFIX = {1: "st", 2: "nd", 3: "rd"}


@dataclass
class Labelled:
    corpus: str
    category: str
    target: str  # "projects" | "documents"
    query: str
    relevant: set[str] = field(default_factory=set)  # project codes or root-relative paths


def ordinal_forms(n: int) -> list[str]:
    """The ways a person writes "change order n" with an ordinal or a label."""
    nth = f"{n}{SUFFIX.get(n if n < 20 else n % 10, 'th')}"
    forms = [f"the {nth} change order", f"change order #{n}", f"change order no. {n}", f"CO{n}", f"variation {n}"]
    if n in ORDINAL_WORDS:
        forms += [f"the {ORDINAL_WORDS[n]} change order", f"the {ORDINAL_WORDS[n]} CO"]
    return forms


# --------------------------------------------------------------------------- typos


def typo(word: str, rng: random.Random, kind: str | None = None) -> str:
    """One typing slip in ``word``: two neighbouring letters swapped, one dropped, one doubled or
    one replaced by a keyboard neighbour (``kind`` picks; random otherwise)."""
    if len(word) < 5:
        return word
    kind = kind or rng.choice(("swap", "swap", "drop", "double", "near"))
    j = rng.randrange(1, len(word) - 2)
    if kind == "swap":
        return word[:j] + word[j + 1] + word[j] + word[j + 2 :]
    if kind == "drop":
        return word[:j] + word[j + 1 :]
    if kind == "double":
        return word[:j] + word[j] + word[j:]
    near = {"a": "s", "e": "r", "i": "o", "o": "i", "n": "m", "r": "t", "s": "a", "t": "r", "l": "k", "u": "y"}
    for k in range(j, len(word) - 1):
        if word[k].lower() in near:
            return word[:k] + near[word[k].lower()] + word[k + 1 :]
    return word[:j] + word[j + 1] + word[j] + word[j + 2 :]


def misspell(text: str, rng: random.Random, edits: int = 1) -> str:
    """``text`` with ``edits`` slips in its longest word(s) of 5+ letters."""
    parts = text.split()
    order = sorted(range(len(parts)), key=lambda i: -len(parts[i]))
    done = 0
    for i in order:
        if done >= edits or len(parts[i]) < 5 or any(ch.isdigit() for ch in parts[i]):
            continue
        parts[i] = typo(parts[i], rng)
        done += 1
    return " ".join(parts)


# --------------------------------------------------------------------------- the demo firm


_STREET_WORDS = {"street": "st", "road": "rd", "terrace": "tce", "avenue": "ave"}


class _Firm:
    """Where each planned project is and what it holds, read from the plan."""

    def __init__(self, plan) -> None:
        self.plan = plan
        self.records = {r.code: r for r in plan.manifest.projects}
        self.files: dict[str, list] = {}
        for f in plan.files:
            self.files.setdefault(f.project, []).append(f)
        # Everything a person could name a project by, as words.
        self.words: dict[str, set[str]] = {}
        for code, c in plan.contexts.items():
            r = self.records[code]
            text = " ".join(
                [code, c.client.name, c.client.abbr, *c.client.aliases, c.short, c.long, c.site, c.site_short, c.city]
            )
            self.words[code] = set(tokens(text)) | set(tokens(r.folder_name))

    def unique(self, code: str, phrase: str) -> bool:
        want = set(tokens(phrase))
        return bool(want) and [c for c, w in self.words.items() if want <= w] == [code]

    def where(self, code: str, rng: random.Random) -> str | None:
        """A way of naming project ``code`` that names no other project, or None."""
        c = self.plan.contexts[code]
        title = [w for w in c.long.replace("&", " ").split() if len(w) > 2 and not w.startswith("MSQ")]
        forms = [
            code,
            f"{c.client.name} {' '.join(title[:3])}",
            f"the {c.client.name} job at {c.site_short}",
            f"{c.client.name} {c.city}",
            f"{' '.join(title[:4])} for {c.client.name}",
            c.long,
            f"project {code}",
        ]
        rng.shuffle(forms)
        for phrase in forms:
            if self.unique(code, phrase):
                return phrase
        return None

    def family(self, code: str, family: str) -> set[str]:
        return {f.rel for f in self.files.get(code, []) if f.family == family}


def _design_truth(r) -> tuple[set[str], set[str]]:
    """(current designs of every series, as-built current designs)."""
    return {d.current for d in r.designs}, {d.current for d in r.designs if d.as_built}


def demo_assistant(plan, seeds: tuple[int, ...] = (1, 2, 3), per_seed: int = 40) -> list[Labelled]:
    """Requests as an assistant passes them on, generated from the demo firm's truth."""
    firm = _Firm(plan)
    out: list[Labelled] = []
    seen: set[str] = set()

    def add(query: str, rel: set[str]) -> None:
        if rel and query not in seen and len(rel) <= 8:
            seen.add(query)
            out.append(Labelled("demo", "assistant", "documents", query, set(rel)))

    makers: list[Callable[[str, str, random.Random], tuple[str, set[str]] | None]] = []

    def maker(fn):
        makers.append(fn)
        return fn

    @maker
    def design(code: str, where: str, rng: random.Random):
        r = firm.records[code]
        cur, _ = _design_truth(r)
        if not cur or len(cur) > 3:
            return None
        t = rng.choice(
            [
                "find the latest design for {w}",
                "can you pull up the current system design drawing for {w}",
                "I need the most recent drawings on {w}",
                "what's the current design for {w}?",
                "get me the latest LLD for {w}",
            ]
        )
        return t.format(w=where), cur

    @maker
    def as_built(code: str, where: str, rng: random.Random):
        _, built = _design_truth(firm.records[code])
        if not built or len(built) > 3:
            return None
        t = rng.choice(["find the as-built design for {w}", "as built drawings for {w} please", "{w} AsBuilt design"])
        return t.format(w=where), built

    @maker
    def level_design(code: str, where: str, rng: random.Random):
        r = firm.records[code]
        series = [d for d in r.designs if d.name.startswith("LEVEL ")]
        if not series:
            return None
        d = rng.choice(series)
        n = d.name.split()[1]
        t = rng.choice(["current drawing of level {n} for {w}", "latest level {n} design for {w}", "{w} L{n} design"])
        return t.format(n=n, w=where), {d.current}

    @maker
    def change_order(code: str, where: str, rng: random.Random):
        cos = firm.records[code].change_orders
        if not cos:
            return None
        n = rng.choice(sorted(cos))
        form = rng.choice(ordinal_forms(n))
        t = rng.choice(["{f} on the {w} job", "can you find {f} for {w}", "{w} {f}", "I need {f} from {w}"])
        return t.format(f=form, w=where), set(cos[n])

    @maker
    def latest_change_order(code: str, where: str, rng: random.Random):
        cos = firm.records[code].change_orders
        if len(cos) < 2:
            return None
        t = rng.choice(["the latest change order for {w}", "most recent CO on the {w} job", "last variation for {w}"])
        return t.format(w=where), set(cos[max(cos)])

    @maker
    def sales_po(code: str, where: str, rng: random.Random):
        cur = firm.records[code].sales_po_current
        if not cur:
            return None
        t = rng.choice(
            [
                "latest sales and PO report for {w}",
                "I need the Sales & PO report on the {w} job",
                "can you find the current sales PO report for {w}",
                "what's in the most recent Sales & PO for {w}",
            ]
        )
        return t.format(w=where), {cur}

    def family_maker(family: str, templates: list[str]):
        def make(code: str, where: str, rng: random.Random):
            rel = firm.family(code, family)
            if not rel:
                return None
            return rng.choice(templates).format(w=where), rel

        makers.append(make)

    family_maker("swms", ["safe work method statement for {w}", "where's the SWMS for {w}", "{w} SWMs"])
    family_maker("scope", ["scope of work for {w}", "what's the scope of works on the {w} job", "{w} SOW"])
    family_maker("handover", ["project handover document for {w}", "can you find the handover doc for {w}"])
    family_maker("proposal", ["what did we propose for {w}", "our proposal for {w}", "the proposal we sent for {w}"])
    family_maker("supplier_quotes", ["supplier quotes for {w}", "which supplier quotations came in for {w}"])

    @maker
    def floor_plan(code: str, where: str, rng: random.Random):
        plans = [f for f in firm.files.get(code, []) if f.family == "floor_plans" and f.meta.get("level")]
        if not plans:
            return None
        level = rng.choice(plans).meta["level"]
        rel = {f.rel for f in plans if f.meta.get("level") == level}
        t = rng.choice(["floor plan for {l} at {w}", "{w} {l} floor plan", "the {l} layout for {w}"])
        return t.format(l=level.lower(), w=where), rel

    def make(code: str, where: str, rng: random.Random) -> int:
        made = rng.choice(makers)(code, where, rng)
        before = len(out)
        if made is not None:
            add(*made)
        return len(out) - before

    _draw(firm, seeds, per_seed, make, salt=0, tries=20)
    return out


def _draw(firm: _Firm, seeds: tuple[int, ...], per_seed: int, make, *, salt: int, tries: int) -> None:
    """Per seed, projects drawn with a way of naming each (:meth:`_Firm.where`) handed to ``make``
    (which returns how many requests it added) until ``per_seed`` are made or ``tries`` per one."""
    codes = sorted(firm.records)
    for seed in seeds:
        rng = random.Random(salt + seed)
        n = attempts = 0
        while n < per_seed and attempts < per_seed * tries:
            attempts += 1
            code = rng.choice(codes)
            where = firm.where(code, rng)
            if where is not None:
                n += make(code, where, rng)


KINDLESS: list[tuple[str, str, list[str]]] = [
    # (family, title in the plan, request templates naming no kind of document: {t} the title, {w} where)
    (
        "notes",
        "Site access notes",
        ["the site access notes for {w}", "{w} site access notes", "how do we get on site at {w}, the access notes"],
    ),
    (
        "notes",
        "IP address schedule",
        ["IP address schedule for {w}", "can you find the IP schedule on the {w} job", "{w} IP addresses"],
    ),
    ("notes", "Site visit notes", ["site visit notes from {w}", "what did we note on the site visit for {w}"]),
    (
        "program",
        "Program Schedule",
        ["program schedule for {w}", "I need the program schedule on the {w} job", "{w} programme schedule"],
    ),
]
"""Kinds of documents the domain has no family word for (notes, schedules, registers): the request
names it by the words of its title only, so what decides is how much of them each name covers."""


def demo_kindless(plan, seeds: tuple[int, ...] = (1, 2, 3), per_seed: int = 15) -> list[Labelled]:
    """Requests naming no kind of document (a title's words and where it is, or a room's support
    register), generated from the plan: the truth is the project's files with that title (and room)."""
    firm = _Firm(plan)
    out: list[Labelled] = []
    seen: set[str] = set()

    def make(code: str, where: str, rng: random.Random) -> int:
        files = firm.files.get(code, [])
        registers = [f for f in files if f.meta.get("title") == "Room support register" and f.meta.get("room")]
        if registers and rng.random() < 0.3:
            room = rng.choice(registers).meta["room"]
            rel = {f.rel for f in registers if f.meta["room"] == room}
            t = rng.choice(["{r} support register for {w}", "support register of the {r} room at {w}"])
            query = t.format(r=room, w=where)
        else:
            family, title, templates = rng.choice(KINDLESS)
            rel = {f.rel for f in files if f.family == family and f.meta.get("title") == title}
            query = rng.choice(templates).format(w=where)
        if not rel or len(rel) > 8 or query in seen:
            return 0
        seen.add(query)
        out.append(Labelled("demo", "assistant no kind", "documents", query, rel))
        return 1

    _draw(firm, seeds, per_seed, make, salt=500, tries=40)
    return out


def demo_typos(plan, seeds: tuple[int, ...] = (1, 2), per_seed: int = 12) -> list[Labelled]:
    """Misspelt client names, streets and folder words (one or two slips), for projects and documents."""
    firm = _Firm(plan)
    out: list[Labelled] = []
    for seed in seeds:
        rng = random.Random(100 + seed)
        codes = sorted(firm.records)
        rng.shuffle(codes)
        for code in codes[:per_seed]:
            c = plan.contexts[code]
            r = firm.records[code]
            by_client = {k for k, p in plan.contexts.items() if p.client.name == c.client.name}
            name = misspell(c.client.name, rng, edits=1 + (seed % 2 and len(c.client.name) > 10))
            if name.lower() != c.client.name.lower():
                out.append(Labelled("demo", "typo request", "projects", name.lower(), by_client))
            title = [w for w in c.long.replace("&", " ").split() if len(w) > 2 and not w.startswith("MSQ")][:3]
            phrase = f"{c.client.name} {' '.join(title)}"
            if firm.unique(code, phrase) and r.sales_po_current:
                q = f"sales po report for {misspell(phrase, rng)}"
                out.append(Labelled("demo", "typo request", "documents", q, {r.sales_po_current}))
            street = " ".join(w for w in c.site_short.split() if not w.isdigit())
            if firm.unique(code, f"{c.client.name} {street}") and r.designs:
                q = f"{misspell(c.client.name, rng)} {misspell(street, rng)} design"
                out.append(Labelled("demo", "typo request", "documents", q, {d.current for d in r.designs}))
    return out


def demo_two_typos(plan, seeds: tuple[int, ...] = (1, 2), per_seed: int = 12) -> list[Labelled]:
    """Requests with two misspelt words (the client's name and the street or city), over the
    projects :func:`demo_typos` draws for the same seeds."""
    firm = _Firm(plan)
    out: list[Labelled] = []
    for seed in seeds:
        codes = sorted(firm.records)
        random.Random(100 + seed).shuffle(codes)
        rng = random.Random(200 + seed)
        for code in codes[:per_seed]:
            out += _two_typos(firm, code, rng)
    return out


def _two_typos(firm: _Firm, code: str, rng: random.Random) -> list[Labelled]:
    """Requests with a slip in the client's name AND in the street or city (each word corrected on its
    own), for the project and for its current Sales & PO report; only where both words changed and
    client and place name this project alone."""
    c = firm.plan.contexts[code]
    r = firm.records[code]
    out: list[Labelled] = []
    street = " ".join(w for w in c.site_short.split() if not w.isdigit())
    for place in (street, c.city):
        client, where = misspell(c.client.name, rng), misspell(place, rng)
        if client == c.client.name or where == place or not firm.unique(code, f"{c.client.name} {place}"):
            continue
        if rng.random() < 0.5:
            out.append(Labelled("demo", "two typos", "projects", f"{client} {where}".lower(), {code}))
        elif r.sales_po_current:
            q = rng.choice(("{c} {w} sales po report", "sales & po report for {c} at {w}", "{c} job in {w}: sales po"))
            out.append(Labelled("demo", "two typos", "documents", q.format(c=client, w=where), {r.sales_po_current}))
    return out


PARAPHRASE = {
    "installation": "fit-out",
    "install": "fit-out",
    "refurbishment": "makeover",
    "refurb": "makeover",
    "renovation": "makeover",
    "upgrade": "improvements",
    "upgrades": "improvements",
    "replacement": "swap-out",
    "expansion": "extension",
    "new build": "construction",
    "renewal": "refresh",
    "relocation": "move",
    "meeting room": "conference space",
    "boardroom": "executive meeting space",
    "training room": "learning space",
    "council chambers": "council meeting hall",
    "hearing loop": "assistive listening system",
    "projector": "projection",
    "digital signage": "digital displays",
    "conference centre": "convention venue",
    "operations centre": "control room",
    "security operations centre": "security control room",
    "auditorium": "lecture hall",
    "lecture theatre": "lecture hall",
    "simulation lab": "simulator facility",
    "function room": "events room",
    "town hall": "civic hall",
    "led wall": "video wall",
    "video conference rooms": "video calling rooms",
}


def paraphrase(title: str) -> str | None:
    """The project's description in other words (None when no word has another way of saying it)."""
    text = title.lower().replace("&", "and")
    changed = False
    for phrase in sorted(PARAPHRASE, key=len, reverse=True):
        if re.search(rf"\b{re.escape(phrase)}\b", text):
            text = re.sub(rf"\b{re.escape(phrase)}\b", PARAPHRASE[phrase], text)
            changed = True
    return text if changed else None


def demo_paraphrase(plan, seeds: tuple[int, ...] = (1, 2)) -> list[Labelled]:
    """Projects described in other words ("the learning space makeover we did for Marinbank")."""
    out: list[Labelled] = []
    for seed in seeds:
        rng = random.Random(200 + seed)
        for _, c in sorted(plan.contexts.items()):
            said = paraphrase(re.sub(r"MSQ\d+ RFQ - ", "", c.long))
            if said is None or rng.random() < 0.5:
                continue
            t = rng.choice(
                [
                    "the {d} we did for {c}",
                    "{c} {d} in {city}",
                    "which project was the {d} for {c}",
                    "{d} job in {city}",
                ]
            )
            q = t.format(d=said, c=c.client.name, city=c.city)
            same_client = "{c}" in t
            rel = {
                k
                for k, p in plan.contexts.items()
                if p.long == c.long and (p.client.name == c.client.name if same_client else p.city == c.city)
            }
            out.append(Labelled("demo", "paraphrase project", "projects", q, rel))
    return out


# --------------------------------------------------------------------------- the real corpus


REAL_ASSISTANT: list[tuple[str, str, str]] = [
    # (request, project code, file-name pattern of what the person wants)
    ("find the latest as-built design for the Poolwerx training room", "21614", r"Rev 102 AS-BUILT"),
    ("the second change order on the Downer job", "20692", r"\bCO2\b"),
    ("change order #3 on the Spotless B1012 project", "20692", r"\bCO3\b"),
    ("third change order for the Poolwerx training room", "21614", r"\bCO3\b"),
    ("Ingenia club house change order no. 15", "20797", r"\bCO15\b|Change Order 15\b"),
    ("the 4th variation on the WPP Brisbane workspace job", "21376", r"\bCO4\b|Change Order 4\b"),
    ("first change order for DTMR FMB2", "20498", r"\bCO1\b"),
    ("the 2nd CO for the Volvo boardroom", "20699", r"\bCO2\b"),
    ("can you pull up the 15th change order on the QPS MTR room upgrades", "17741", r"\bCO ?15\b|Change.Order.15\b"),
    ("DHA Townsville third change order", "20778", r"\bCO3\b"),
    ("latest sales and PO report for the Poolwerx training room", "21614", r"Sales & PO Report - 03\.04\.2025"),
    ("I need the most recent Sales & PO report for Ingenia Victoria Point", "20797", r"Report - 23\.04\.2025"),
    ("current Sales & PO report on the WPP Brisbane workspace job", "21376", r"Sales & PO Report - 19\.05\.2025"),
    ("latest sales PO report for the DHA Townsville relocation", "20778", r"Sales & PO Report 18\.10\.2024"),
    ("Gallagher Bassett audit sales PO", "17742", r"SALES PO"),
    ("can you find the SWMS for the Volvo boardroom", "20699", r"SWMs"),
    ("safe work method statement for the Santos collab meeting room", "21620", r"SWMS"),
    ("scope of work for the Santos collab meeting room renewal", "21620", r"ScopeOfWork"),
    ("hearing augmentation scope of works for SAAB", "18810", r"Hearing augmentation SOW"),
    ("HA design details for the SAAB hearing loop", "18810", r"Fixed HA design details"),
    ("project handover document for the Neoen QLD office", "20381", r"Project Handover Document"),
    ("where's the handover doc for 50 Quay St", "20865", r"Project Handover Document"),
    ("current drawing of level 3 for 50 Quay St", "20865", r"LEVEL 3 - Rev 107"),
    ("latest ground floor design for 50 Quay Street", "20865", r"GROUND FLOOR - Rev 105"),
    ("as-built design for the Volvo Brisbane boardroom", "20699", r"Rev 1\.02 As Built"),
    ("current design for the DHA Townsville relocation", "20778", r"RELOCATION PROJECT - Rev 107 As Built"),
    ("as built drawings for the Neoen boardroom", "20381", r"AsBuilt"),
    ("latest design for the SAAB hearing loop", "18810", r"Rev 102"),
    ("what's the latest design for the WPP Brisbane workspace refurb", "21376", r"WORKSPACE REFURB - Rev 105"),
    ("latest Ingenia club house design", "20797", r"Rev203"),
    ("latest proposal for the Poolwerx training room", "21614", r"Proposal Rev5"),
    ("WPP Brisbane workspace proposal, latest revision", "21376", r"Proposal Rev3"),
    ("what did we propose to Ingenia for the club house", "20797", r"Proposal Rev8"),
    ("current cable schedule for 50 Quay Street", "20865", r"AV CABLE SCHEDULE - Rev 1\.06"),
    ("master power and data schedule for 50 Quay St", "20865", r"MASTER POWER & DATA SCHEDULE - Rev 1\.05"),
    ("Santos collab room as built schematic", "21620", r"Collab Room - AS BUILT"),
    ("the MR upgrades rollout schedule for QPS", "17741", r"ROLLOUT - Schedule"),
]

REAL_TYPOS: list[tuple[str, str, str]] = [
    ("poolwrex training room sales po report", "21614", r"Sales & PO Report - 03\.04\.2025"),
    ("ingneia club house latest design", "20797", r"Rev203"),
    ("spotles B1012 CO3", "20692", r"\bCO3\b"),
    ("voolvo boardroom as built", "20699", r"Rev 1\.02 As Built"),
    ("townsvile relocation SWMs", "20778", r"SWMs"),
]


def real_sets(lines: list[str]) -> list[Labelled]:
    """Hand-labelled assistant-phrased and misspelt requests over the real corpus's names."""

    def docs(pattern: str, code: str) -> set[str]:
        # Copies filed under an Old folder are never what a person asks for by name.
        rx = re.compile(pattern, re.I)
        return {ln for ln in lines if f"/{code} - " in ln and rx.search(ln.rsplit("/", 1)[-1]) and "/Old/" not in ln}

    out = [Labelled("real", "assistant", "documents", q, docs(p, c)) for q, c, p in REAL_ASSISTANT]
    out += [Labelled("real", "typo request", "documents", q, docs(p, c)) for q, c, p in REAL_TYPOS]
    return [q for q in out if q.relevant]
