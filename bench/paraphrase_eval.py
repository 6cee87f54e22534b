"""Project search by meaning: paraphrased project descriptions over demo firms of several seeds.

Each demo project's title ("Gold Coast Boardroom Refurbishment", "SAAB Video Conference Rooms
Level 3 Replacement") is read as concepts — the kind of room or system, the kind of works, the
floor — and re-said with other words and in another order ("refit of the board meeting room",
"video calling suites on the third floor: swap out"): synonyms, no word of the title's own
concepts, places and clients left out. The wanted projects are every project with those
concepts (ground truth from the generator's manifest, not from QuickNav's parser).

Phrasings per firm: the synonyms and templates above (``phrasing``), and others kept out of
anything search was built or tuned with (``held_out_phrasing``, its own seed; ``fresh_phrasing``,
``fresh_phrasing_2`` and ``fresh_phrasing_3``, see their tables; ``--phrasings`` measures some only). MRR, nDCG@10 and
recall@5 of ``search_projects`` per phrasing in lexical, vector and hybrid mode, hybrid without
the project summaries (:mod:`quicknav_mcp.search.project_about`), and the summaries' own list alone
(``summaries_only``: ``ProjectAbout.hits`` as hybrid search asks it, before fusion and re-ranking —
when it is about as good as hybrid, the summaries' matching is what limits hybrid, not the fusion).

    .venv/bin/python bench/paraphrase_eval.py [--seeds 7 8 9 10] [--tuned 7 8] [--projects 40]

Figures are also given per firm group: ``tuned_firms`` (the seeds search's settings were chosen on,
``--tuned``) and ``held_out_firms`` (the others). Each hybrid miss (MRR < 0.5) is put in a class by
what its first result shares with the wanted projects: ``place`` (the same room and works, elsewhere
or on another floor), ``room`` (the works right, another room), ``works`` (the room right, other
works), ``both`` (neither).

Needs the embedding model (sentence-transformers, offline); firms and their indexes are cached
under the bench directory.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import OUT, emit

# Concept -> (title words that name it, paraphrases that share none of the title's rare words).
ROOMS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "boardroom": (("boardroom", "board room", "br"), ("board room", "directors meeting room")),
    "executive": (("executive meeting room", "exec mr"), ("leadership meeting room", "senior management meeting room")),
    "collab": (("collab meeting room", "collab mr"), ("collaboration room", "teamwork meeting room")),
    "meeting": (("meeting room", "meeting rooms", "mr"), ("conference room", "discussion room")),
    "training": (("training room", "tr"), ("learning room", "classroom")),
    "auditorium": (("auditorium", "aud"), ("lecture hall", "presentation hall")),
    "lecture": (("lecture theatre", "lecture th"), ("teaching theatre", "tiered classroom")),
    "conference": (("conference centre", "conf ctr"), ("convention centre", "events venue")),
    "council": (("council chambers", "council chmbr"), ("civic chamber", "chamber for councillors")),
    "hearing": (("hearing loop",), ("assistive listening system", "induction loop for hearing aids")),
    "signage": (("digital signage", "dig sig"), ("electronic signs", "display screens")),
    "foyer": (("foyer led wall", "foyer led"), ("lobby video screen", "reception display screen")),
    "soc": (("security operations centre", "soc"), ("security control room", "surveillance room")),
    "ops": (("operations centre", "ops ctr"), ("control room", "command centre")),
    "control": (("control room", "control rm"), ("command centre", "monitoring room")),
    "simlab": (("simulation lab", "sim lab"), ("simulator room", "flight simulator facility")),
    "function": (("function room", "function rm"), ("events room", "banquet room")),
    "clubhouse": (("club house",), ("clubrooms", "members lounge")),
    "pavilion": (("sports pavilion", "sports pav"), ("grandstand building", "sporting clubrooms")),
    "townhall": (("town hall",), ("civic hall", "municipal hall")),
    "vc": (("video conference rooms", "vc rooms"), ("teleconference rooms", "zoom rooms")),
    "office": (("office",), ("workplace", "corporate offices")),
    "workspace": (("workspace",), ("work area", "open plan area")),
    "projector": (("projector", "pj"), ("beamer", "projection equipment")),
}
WORKS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "replacement": (("replacement",), ("swap out", "replacing")),
    "renewal": (("renewal",), ("refresh", "renewing")),
    "rollout": (("rollout",), ("deployment", "roll-out across sites")),
    "install": (("installation", "install", "inst"), ("installing", "fit off")),
    "expansion": (("expansion",), ("extension", "expanding")),
    "refurb": (("refurbishment", "refurb"), ("refit", "refurbishing")),
    "relocation": (("relocation",), ("move", "relocating")),
    "upgrade": (("upgrade", "upgrades"), ("upgrading", "modernisation")),
    "renovation": (("renovation", "reno"), ("renovating", "remodel")),
    "fitout": (("fitout",), ("fit-out", "fit out")),
    "newbuild": (("new build",), ("greenfield construction", "brand-new construction")),
    "avworks": (("av works",), ("audio visual works", "audio-visual job")),
}
# Other words for the same concepts, and other sentence shapes, kept out of anything search was
# built or tuned with: the held-out phrasing (reported on its own).
HELD_OUT_ROOMS: dict[str, tuple[str, ...]] = {
    "boardroom": ("directors' room", "board meeting space"),
    "executive": ("management meeting room", "c-suite meeting space"),
    "collab": ("team huddle room", "co-working meeting space"),
    "meeting": ("huddle spaces", "small conference rooms"),
    "training": ("education room", "teaching room"),
    "auditorium": ("presentation theatre", "theatre hall"),
    "lecture": ("university lecture space", "lecture hall"),
    "conference": ("congress centre", "convention hall"),
    "council": ("councillors' chamber", "council meeting chamber"),
    "hearing": ("audio induction loop", "hearing assistance system"),
    "signage": ("wayfinding screens", "digital screens"),
    "foyer": ("entrance LED screen", "lobby display wall"),
    "soc": ("security monitoring centre", "CCTV control room"),
    "ops": ("dispatch centre", "network operations room"),
    "control": ("command room", "monitoring centre"),
    "simlab": ("simulator training room", "virtual reality lab"),
    "function": ("reception hall", "party room"),
    "clubhouse": ("club rooms", "sports club building"),
    "pavilion": ("sporting grandstand", "sports ground building"),
    "townhall": ("community hall", "civic centre hall"),
    "vc": ("video meeting rooms", "teams rooms"),
    "office": ("corporate workplace", "office floor"),
    "workspace": ("open-plan office", "workplace floor"),
    "projector": ("data projector", "projection system"),
}
HELD_OUT_WORKS: dict[str, tuple[str, ...]] = {
    "replacement": ("changeover", "replace"),
    "renewal": ("overhaul", "renew"),
    "rollout": ("roll out", "deploy"),
    "install": ("set up", "supply and install"),
    "expansion": ("enlargement", "extra capacity"),
    "refurb": ("facelift", "makeover"),
    "relocation": ("moving", "shift to new premises"),
    "upgrade": ("improvement", "uplift"),
    "renovation": ("rework", "restoration"),
    "fitout": ("fitting out", "interior fit"),
    "newbuild": ("new construction", "build from scratch"),
    "avworks": ("AV job", "audiovisual works"),
}
HELD_OUT_TEMPLATES = (
    "we did a {work} for a {room}: which job was that",
    "looking for the job where we did {work} in the {room}",
    "{room}, {work}",
    "any projects involving {work} of a {room}",
    "that {room} {work} project",
)
# A third phrasing, written after search's thesaurus (search/thesaurus.py) and without looking at it
# again, as people might say it, and never used to change that thesaurus: how it fares on words it was
# not written for (``fresh_phrasing``, its own seed). Some of these the thesaurus holds, some not.
FRESH_ROOMS: dict[str, tuple[str, ...]] = {
    "boardroom": ("chairman's meeting room", "main board room"),
    "executive": ("executive suite meeting room", "leadership team room"),
    "collab": ("collaboration space", "project team room"),
    "meeting": ("meeting spaces", "small meeting room"),
    "training": ("staff training space", "training suite"),
    "auditorium": ("main hall", "big theatre"),
    "lecture": ("lecture venue", "teaching auditorium"),
    "conference": ("conference facility", "convention venue"),
    "council": ("council meeting room", "chambers of the council"),
    "hearing": ("hearing aid system", "loop for the hearing impaired"),
    "signage": ("digital noticeboards", "screens for signage"),
    "foyer": ("entry foyer video wall", "reception LED display"),
    "soc": ("security hub", "security ops room"),
    "ops": ("operations hub", "ops room"),
    "control": ("control centre", "monitoring hub"),
    "simlab": ("simulation room", "simulator lab"),
    "function": ("function space", "events hall"),
    "clubhouse": ("club's rooms", "club premises"),
    "pavilion": ("sports club pavilion", "oval pavilion"),
    "townhall": ("town's hall", "civic auditorium"),
    "vc": ("video conferencing rooms", "video call rooms"),
    "office": ("offices", "office space"),
    "workspace": ("work floor", "staff work area"),
    "projector": ("projection unit", "projectors"),
}
FRESH_WORKS: dict[str, tuple[str, ...]] = {
    "replacement": ("replacing equipment", "like-for-like swap"),
    "renewal": ("lifecycle refresh", "end of life refresh"),
    "rollout": ("rolling out", "staged deployment"),
    "install": ("putting in", "new equipment put in"),
    "expansion": ("extending", "making bigger"),
    "refurb": ("doing up", "sprucing up"),
    "relocation": ("moving house", "move to a new site"),
    "upgrade": ("modernising", "improvements"),
    "renovation": ("remodelling", "rebuild"),
    "fitout": ("fitting-out", "interior works"),
    "newbuild": ("new building", "greenfield build"),
    "avworks": ("AV project", "audio-visual project"),
}
FRESH_TEMPLATES = (
    "which project was the {room} {work}",
    "{work} at a {room}",
    "job: {room} ({work})",
    "do we have a {room} {work} on file",
    "the one with the {room} {work}",
)
# A fourth phrasing, written before any change for it and before reading the thesaurus's word lists,
# in words of its own (how people describe a room, a system, a job), and never read per query while
# search is tuned: only its totals are reported (``fresh_phrasing_2``, its own seed; its queries are
# left out of the listed misses).
FRESH2_ROOMS: dict[str, tuple[str, ...]] = {
    "boardroom": ("room the directors meet in", "board table room", "governance suite"),
    "executive": ("CEO's meeting room", "senior leaders' room", "management suite"),
    "collab": ("brainstorming room", "team workshop space", "agile team space"),
    "meeting": ("catch-up rooms", "interview rooms", "small rooms for meetings"),
    "training": ("induction room", "staff classroom", "room for staff courses"),
    "auditorium": ("tiered seating hall", "big presentation venue", "assembly hall"),
    "lecture": ("teaching hall at the university", "tiered teaching room", "campus lecturing space"),
    "conference": ("exhibition centre", "meetings and events venue", "congress venue"),
    "council": ("councillors' room", "shire's meeting chamber", "municipal debating chamber"),
    "hearing": ("hearing augmentation system", "t-coil loop", "assistive audio for the hard of hearing"),
    "signage": ("information display screens", "electronic message displays", "screens for notices"),
    "foyer": ("videowall at the entrance", "big LED screen in reception", "welcome area display wall"),
    "soc": ("camera monitoring room", "security nerve centre", "guards' monitoring room"),
    "ops": ("dispatch room", "network monitoring centre", "emergency coordination centre"),
    "control": ("monitoring room", "command room", "operator console room"),
    "simlab": ("simulator bay", "immersive training lab", "simulators room"),
    "function": ("events space", "banquet hall", "hire room for parties"),
    "clubhouse": ("members' clubrooms", "the club's building", "golf club lounge"),
    "pavilion": ("cricket club building", "football grandstand", "sports ground clubrooms"),
    "townhall": ("council's public hall", "community meeting hall", "municipal building hall"),
    "vc": ("video call suites", "online meeting rooms", "teleconferencing spaces"),
    "office": ("company headquarters", "corporate premises", "admin building"),
    "workspace": ("hot desking area", "open-plan floor", "staff desks area"),
    "projector": ("ceiling-mounted projection", "beamer", "presentation projection gear"),
}
FRESH2_WORKS: dict[str, tuple[str, ...]] = {
    "replacement": ("changeout", "swapping over", "new ones in place of the old"),
    "renewal": ("technology refresh", "refreshing the kit", "lifecycle replacement"),
    "rollout": ("deploying to every site", "multi-site deployment", "rolling it out"),
    "install": ("supply and fit", "fitting new gear", "commissioning"),
    "expansion": ("enlarging", "adding more rooms", "growing it"),
    "refurb": ("re-fit", "freshen up", "cosmetic overhaul"),
    "relocation": ("office move", "relocating to new premises", "shifting sites"),
    "upgrade": ("bringing up to date", "tech uplift", "enhancement"),
    "renovation": ("rebuilding", "major remodel", "restoring"),
    "fitout": ("interior fit-out", "outfitting", "kit out"),
    "newbuild": ("brand new building", "ground-up build", "newly built facility"),
    "avworks": ("audiovisual job", "AV contract", "sound and vision works"),
}
FRESH2_TEMPLATES = (
    "can you find the {room} {work} we did",
    "{work} - {room}",
    "where are the files for the {room} {work}",
    "I need the {work} job for the {room}",
    "project about {work} of {room}",
    "{room} {work}?",
)
# A fifth phrasing, written before any change for it, in words of its own (how a colleague or an
# assistant would ask: casual, clipped, roundabout), and never read while search is tuned: only its
# totals are reported (``fresh_phrasing_3``, its own seed; its queries are left out of the listed misses).
FRESH3_ROOMS: dict[str, tuple[str, ...]] = {
    "boardroom": ("the board's meeting space", "directors' conference room", "room where the board sits"),
    "executive": ("senior leadership suite", "exec team's room", "meeting space for the executives"),
    "collab": ("shared team room", "ideas room", "collaborative huddle room"),
    "meeting": ("breakout rooms", "client meeting rooms", "meet rooms"),
    "training": ("skills lab", "education suite", "room for running courses"),
    "auditorium": ("performance hall", "large seated hall", "concert hall"),
    "lecture": ("uni lecture room", "teaching amphitheatre", "lecturing hall on campus"),
    "conference": ("expo centre", "delegates' events venue", "business events centre"),
    "council": ("council's debating room", "civic chambers", "elected members' chamber"),
    "hearing": ("audio loop for hearing aids", "hearing impaired loop system", "assisted listening loop"),
    "signage": ("digital display boards", "LCD info screens", "electronic wayfinding"),
    "foyer": ("lobby LED video wall", "entrance hall video screen", "front-of-house LED display"),
    "soc": ("security control centre", "CCTV monitoring hub", "security room"),
    "ops": ("network ops centre", "operational command floor", "ops command centre"),
    "control": ("supervisory room", "operator control centre", "command and control room"),
    "simlab": ("flight sim room", "simulation training lab", "driving simulator room"),
    "function": ("wedding reception room", "hireable event room", "banqueting room"),
    "clubhouse": ("sports club rooms", "clubroom building", "the club's lounge"),
    "pavilion": ("cricket pavilion", "sports field pavilion", "grandstand at the oval"),
    "townhall": ("city hall", "borough hall", "the town's civic hall"),
    "vc": ("videoconference suites", "remote meeting rooms", "Zoom and Teams rooms"),
    "office": ("head office", "corporate office floor", "company offices"),
    "workspace": ("open office area", "shared desks", "coworking floor"),
    "projector": ("video projector", "ceiling projector", "projection screens and projectors"),
}
FRESH3_WORKS: dict[str, tuple[str, ...]] = {
    "replacement": ("switching out the old gear", "changing out old equipment", "rip and replace"),
    "renewal": ("periodic refresh", "asset refresh", "renewing the kit"),
    "rollout": ("roll out to all branches", "national deployment", "site-by-site deployment"),
    "install": ("fit-up", "setting up new equipment", "putting in new gear"),
    "expansion": ("scaling up", "extension works", "growing the capacity"),
    "refurb": ("revamp", "spruce-up", "tidy up and refit"),
    "relocation": ("move to new offices", "shifting premises", "moving to a new building"),
    "upgrade": ("update", "improving the tech", "next-gen uplift"),
    "renovation": ("overhaul", "reworking", "remodel works"),
    "fitout": ("furnishing and fit", "internal fit-out works", "kitting out"),
    "newbuild": ("new construction project", "fresh build", "purpose-built new facility"),
    "avworks": ("audio and video works", "AV package", "A/V scope"),
}
FRESH3_TEMPLATES = (
    "hey, which job had the {room} {work}?",
    "{room} - {work} project, need the folder",
    "pull up the {work} we did for the {room}",
    "show me {room} projects ({work})",
    "who handled the {work} of that {room}",
    "{work} for {room}",
)
ORDINAL = {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", 6: "sixth", 12: "twelfth", 30: "thirtieth"}
TEMPLATES = (
    "{work} of the {room}",
    "the {room} {work}",
    "{room} {work} job",
    "project for a {room}: {work}",
    "{work} work on a {room}",
)


def concepts(title: str) -> tuple[set[str], set[str], int | None]:
    """Room/system concepts, works concepts and floor of a project title."""
    text = " " + re.sub(r"[^a-z0-9 ]+", " ", title.lower()) + " "
    rooms: set[str] = set()
    works: set[str] = set()
    for table, out in ((ROOMS, rooms), (WORKS, works)):
        for concept, (names, _) in table.items():
            for name in sorted(names, key=len, reverse=True):
                if f" {name} " in text:
                    out.add(concept)
                    text = text.replace(f" {name} ", " ", 1)
                    break
    m = re.search(r"\blevel (\d+)\b|\blvl (\d+)\b|\bl(\d+)\b", title.lower())
    level = int(next(g for g in m.groups() if g)) if m else None
    return rooms, works, level


STATES = {"QLD": "Queensland", "NSW": "New South Wales", "VIC": "Victoria", "SA": "South Australia", "WA": "WA"}
_CITY = re.compile(r",\s*([A-Za-z ]+?)\s+(QLD|NSW|VIC|SA|WA|TAS|NT|ACT)\s+\d{4}")


def _rare(manifest) -> set[str]:
    """Title words of at most one in 20 projects: what a paraphrase must not repeat."""
    counts: dict[str, int] = {}
    for r in manifest.projects:
        for w in set(re.findall(r"[a-z0-9]+", r.title.lower())):
            counts[w] = counts.get(w, 0) + 1
    return {w for w, n in counts.items() if n * 20 <= len(manifest.projects)}


def paraphrases(
    manifest,
    rng: random.Random,
    per_project: int = 2,
    held_out: bool = False,
    fresh: bool = False,
    fresh2: bool = False,
    fresh3: bool = False,
) -> list[tuple[str, set[str]]]:
    """``(query, wanted project codes)`` for the projects whose title has a room and a works concept.

    A concept is said with a synonym, or with its usual name when no word of that is rare; the
    city is named when it is not rare, else the state; words are reordered by the templates.
    ``held_out``: the synonyms and templates kept out of search's making (always a synonym); ``fresh``:
    those written after search's thesaurus (always a synonym); ``fresh2``: those written before reading
    its word lists and never read per query (always a synonym); ``fresh3``: another such set, written
    before any tuning for it (always a synonym)."""
    parsed = {r.code: concepts(r.title) for r in manifest.projects}
    rare = _rare(manifest)
    place_of: dict[str, tuple[str, str]] = {}
    for r in manifest.projects:
        m = _CITY.search(r.site_address)
        place_of[r.code] = (m.group(1).strip(), m.group(2)) if m else ("", "")

    def say(table: dict, concept: str) -> str:
        names, synonyms = table[concept]
        if fresh3:
            return rng.choice((FRESH3_ROOMS if table is ROOMS else FRESH3_WORKS)[concept])
        if fresh2:
            return rng.choice((FRESH2_ROOMS if table is ROOMS else FRESH2_WORKS)[concept])
        if fresh:
            return rng.choice((FRESH_ROOMS if table is ROOMS else FRESH_WORKS)[concept])
        if held_out:
            return rng.choice((HELD_OUT_ROOMS if table is ROOMS else HELD_OUT_WORKS)[concept])
        usual = names[0]
        if rng.random() < 0.4 and not set(re.findall(r"[a-z0-9]+", usual)) & rare:
            return usual
        return rng.choice(synonyms)

    out: list[tuple[str, set[str]]] = []
    for r in manifest.projects:
        rooms, works, level = parsed[r.code]
        if not rooms or not works:
            continue
        for _ in range(per_project):
            room = " and ".join(say(ROOMS, c) for c in sorted(rooms))
            work = " and ".join(say(WORKS, c) for c in sorted(works))
            shapes = (
                FRESH3_TEMPLATES
                if fresh3
                else FRESH2_TEMPLATES
                if fresh2
                else FRESH_TEMPLATES
                if fresh
                else HELD_OUT_TEMPLATES
                if held_out
                else TEMPLATES
            )
            query = rng.choice(shapes).format(room=room, work=work)
            city, state = place_of[r.code]
            where: tuple[str, str] | None = None
            if city and rng.random() < 0.7:
                if not set(re.findall(r"[a-z0-9]+", city.lower())) & rare:
                    query += f" in {city}"
                    where = ("city", city)
                elif state in STATES:
                    query += f" in {STATES[state]}"
                    where = ("state", state)
            floor = level is not None and level in ORDINAL and rng.random() < 0.5
            if floor:
                query += f" on the {ORDINAL[level]} floor"
            wanted = {
                code
                for code, (r2, w2, lv2) in parsed.items()
                if rooms <= r2
                and works <= w2
                and (not floor or lv2 == level)
                and (where is None or place_of[code][0 if where[0] == "city" else 1] == where[1])
            }
            out.append((query, wanted))
    return out


def metrics(ranked: list[str], wanted: set[str]) -> dict[str, float]:
    import math

    first = next((i for i, c in enumerate(ranked) if c in wanted), None)
    dcg = sum(1 / math.log2(i + 2) for i, c in enumerate(ranked[:10]) if c in wanted)
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(wanted))))
    return {
        "mrr": 0.0 if first is None else 1 / (first + 1),
        "ndcg10": dcg / ideal if ideal else 0.0,
        "recall5": len(set(ranked[:5]) & wanted) / min(5, len(wanted)) if wanted else 0.0,
    }


def miss_class(top: str | None, wanted: set[str], parsed: dict[str, tuple[set[str], set[str], int | None]]) -> str:
    """Why a miss missed: what its first result shares with the wanted projects' concepts."""
    if top is None:
        return "nothing found"
    rooms = set.intersection(*(parsed[c][0] for c in wanted))
    works = set.intersection(*(parsed[c][1] for c in wanted))
    has_rooms, has_works = rooms <= parsed[top][0], works <= parsed[top][1]
    if has_rooms and has_works:
        return "place"
    return "room" if has_works else "works" if has_rooms else "both"


def without_eval_words() -> int:
    """Take every phrase of this bench's paraphrase tables out of search's thesaurus (in this process
    only): what the thesaurus does for requests in words it does not hold. Returns how many were taken."""
    from quicknav_mcp.search import thesaurus

    stem = getattr(thesaurus, "stem", lambda w: w)  # phrases are matched on their words' stems

    def run(phrase: str) -> tuple[str, ...]:
        return tuple(stem(w) for w in thesaurus.words_of(phrase))

    said = {run(p) for table in (ROOMS, WORKS) for _, synonyms in table.values() for p in synonyms}
    said |= {
        run(p)
        for table in (
            HELD_OUT_ROOMS,
            HELD_OUT_WORKS,
            FRESH_ROOMS,
            FRESH_WORKS,
            FRESH2_ROOMS,
            FRESH2_WORKS,
            FRESH3_ROOMS,
            FRESH3_WORKS,
        )
        for phrases in table.values()
        for p in phrases
    }
    runs, longest = thesaurus._index()
    kept = {run: c for run, c in runs.items() if run not in said}
    thesaurus._index = lambda: (kept, longest)
    return len(runs) - len(kept)


def summaries_ranked(app, query: str, code_of: dict[int, str]) -> list[str]:
    """The first 10 project codes of the summaries' list alone, asked as a describing hybrid search
    asks it (centred similarities, the request's own vector)."""
    from quicknav_mcp.search.query import parse_query
    from quicknav_mcp.search.thesaurus import plainly

    pq = parse_query(query)
    semantic = app.search.semantic
    qv = semantic.query_vector(plainly(pq.text, pq.semantic_text or pq.text))
    hits = app.search.project_search.about.hits(pq, qv, semantic.embedder.name, sharp=True)
    return [code_of[i] for i, _ in hits[:10] if i in code_of]


def prepared_app(projects: int, seed: int):
    """A content firm of ``seed``, indexed and embedded (cached between runs)."""
    from quicknav_mcp.app import App
    from quicknav_mcp.config import load_config
    from quicknav_mcp.demo.firm import generate_firm

    root = OUT / f"firm-{projects}-{seed}"
    root.mkdir(parents=True, exist_ok=True)
    generate_firm(root, projects=projects, seed=seed, content=True)
    app = App.open(load_config(db=OUT / f"firm-{projects}-{seed}.db", roots=[root], env={}))
    if not app.indexing.status().documents:
        app.indexing.reindex()
    app.search.index_content(extract=True, embed=True, workers=1)
    return app, root


BLIND = {"fresh_phrasing_2", "fresh_phrasing_3"}  # phrasings whose queries are never listed (totals only)
MODES = ("lexical", "vector", "hybrid", "hybrid_without_project_summaries", "summaries_only")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--projects", type=int, default=40)
    ap.add_argument("--seeds", type=int, nargs="+", default=[7, 8, 9, 10])
    ap.add_argument("--tuned", type=int, nargs="*", default=[7, 8], help="seeds search's settings were tuned on")
    ap.add_argument(
        "--thesaurus-without-eval-words",
        action="store_true",
        help="take this bench's paraphrase phrases out of search's thesaurus (in this process) first",
    )
    ap.add_argument(
        "--phrasings", nargs="+", default=None, help="phrasings to measure (default: all; e.g. leave blind sets out)"
    )
    ap.add_argument("--misses", type=int, default=20, help="hybrid misses listed")
    ap.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES, help="modes to measure (hybrid always)")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from quicknav_mcp.demo.plan import plan_firm

    taken = without_eval_words() if args.thesaurus_without_eval_words else 0

    t0 = time.perf_counter()
    modes = [m for m in MODES if m in args.modes or m == "hybrid"]
    per: dict[str, dict[str, list[dict[str, float]]]] = {}
    groups: dict[str, dict[str, list[dict[str, float]]]] = {}  # firm group -> phrasing -> hybrid rows
    by_seed: dict[str, dict[str, list[dict[str, float]]]] = {}  # seed -> phrasing -> hybrid rows
    misses: list[dict] = []
    classes: dict[str, dict[str, int]] = {}
    for seed in args.seeds:
        app, _ = prepared_app(args.projects, seed)
        manifest = plan_firm(args.projects, seed).manifest
        parsed = {r.code: concepts(r.title) for r in manifest.projects}
        group = "tuned_firms" if seed in args.tuned else "held_out_firms"
        sets = {
            "phrasing": paraphrases(manifest, random.Random(seed)),
            "held_out_phrasing": paraphrases(manifest, random.Random(seed + 1000), held_out=True),
            "fresh_phrasing": paraphrases(manifest, random.Random(seed + 2000), fresh=True),
            "fresh_phrasing_2": paraphrases(manifest, random.Random(seed + 3000), fresh2=True),
            "fresh_phrasing_3": paraphrases(manifest, random.Random(seed + 4000), fresh3=True),
        }
        if args.phrasings:
            sets = {name: queries for name, queries in sets.items() if name in args.phrasings}
        about = app.search.project_search.about
        code_of = {i: p.code for i, p in app.search.project_search.words.by_id().items()}
        for name, queries in sets.items():
            for mode in modes:
                app.search.project_search.about = None if mode.endswith("without_project_summaries") else about
                search_mode = {"vector": "semantic", "lexical": "lexical"}.get(mode, "hybrid")
                for query, wanted in queries:
                    if mode == "summaries_only":
                        ranked = summaries_ranked(app, query, code_of)
                    else:
                        res = app.search.search_projects(query, limit=10, mode=search_mode, include_facets=False)
                        ranked = [p.project_number for p in res.projects]
                    m = metrics(ranked, wanted)
                    per.setdefault(name, {}).setdefault(mode, []).append(m)
                    if mode != "hybrid":
                        continue
                    groups.setdefault(group, {}).setdefault(name, []).append(m)
                    by_seed.setdefault(f"{seed} ({group.split('_')[0]})", {}).setdefault(name, []).append(m)
                    if m["mrr"] < 0.5 and name not in BLIND:
                        why = miss_class(ranked[0] if ranked else None, wanted, parsed)
                        counts = classes.setdefault(name, {})
                        counts[why] = counts.get(why, 0) + 1
                        misses.append(
                            {"seed": seed, "query": query, "why": why, "wanted": sorted(wanted), "top": ranked[:3]}
                        )
            app.search.project_search.about = about
        app.close()

    def mean(rows: list[dict[str, float]], key: str) -> float:
        return round(sum(r[key] for r in rows) / len(rows), 4) if rows else 0.0

    figures = {
        "seeds": args.seeds,
        "thesaurus_phrases_taken_out": taken,
        "queries": {name: len(rows["hybrid"]) for name, rows in per.items()},
        **{
            name: {mode: {k: mean(rows, k) for k in ("mrr", "ndcg10", "recall5")} for mode, rows in by_mode.items()}
            for name, by_mode in per.items()
        },
        "hybrid_by_firm_group": {
            g: {name: {k: mean(rows, k) for k in ("mrr", "ndcg10", "recall5")} for name, rows in by.items()}
            for g, by in groups.items()
        },
        "hybrid_mrr_by_seed": {
            seed: {name: mean(rows, "mrr") for name, rows in by.items()} for seed, by in by_seed.items()
        },
        "hybrid_miss_classes": classes,
        "misses": misses[: args.misses],
        "seconds": round(time.perf_counter() - t0, 1),
    }
    emit("paraphrase_eval", figures)


if __name__ == "__main__":
    main()
