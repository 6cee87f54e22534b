"""Other words for the rooms, systems and kinds of works an AV and building firm's jobs are about.

A sentence model joins "boardroom" and "board room" but not "boardroom" and "directors' room", nor
"refurbishment" and "facelift": a request in other words than the project's own finds the project
by meaning only when the model happens to know both. This thesaurus, written from the trade's
general vocabulary (not from any test set), names each concept once with the ways people write
it; :func:`concepts` finds the concepts a text names and :func:`plainly` says them by their own
names, so project search embeds "facelift of the directors' room" as "refurbishment of the
boardroom" and meets the project summaries (project_about.py) that say it so.

Phrases are matched as whole word runs, longest first, after a light plural fold ("rooms" ->
"room") and on stems ("lecturing" meets "lecture"); a word or run belongs to one concept. A room's own
word before a head word several rooms share names that room when no phrase does ("councillors room").
The fold joins what a plural would otherwise keep apart, so a phrase must still mean its concept once
folded ("Teams room" would read as any team's room: only "Microsoft Teams room" is listed). Short forms
the request parser already spells out (MR, BR, TR...) need not be listed.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TEXT = """
# rooms and spaces
boardroom: boardroom; board room; board meeting room; board meeting space; board suite; directors room;
    directors meeting room; director room; directors suite
meeting room: meeting room; meeting space; meeting pod; conference room; discussion room; huddle room; huddle
    space; small conference room; interview room; breakout room; syndicate room
executive: executive; exec; leadership; senior management; c suite; ceo; chief executive
collaboration: collaboration; collab; collaborative; teamwork; co working; coworking
training room: training room; training centre; training center; training facility; classroom; learning room;
    learning space; learning centre; education room; teaching room; teaching space; seminar room; tutorial room;
    instruction room
auditorium: auditorium; theatre; theater; presentation hall; performance hall; performing arts centre; concert
    hall; recital hall; assembly hall
lecture theatre: lecture theatre; lecture theater; lecture hall; lecture room; lecture space; tiered classroom;
    tiered lecture room; teaching theatre; university lecture
conference centre: conference centre; conference center; conference venue; conference facility; convention
    centre; convention center; convention hall; congress centre; congress center; exhibition centre; exhibition
    hall; events centre; event centre; events venue; event venue
council chamber: council chamber; council chambers; civic chamber; councillors chamber; councilors chamber;
    chamber for councillors; council meeting chamber; council meeting room; debating chamber; legislative
    chamber
function room: function room; function centre; function space; function hall; events room; event room; event
    space; events space; banquet room; banquet hall; reception hall; reception room; party room; ballroom;
    dining room
clubhouse: clubhouse; club house; clubroom; club room; members lounge; club lounge; club building
sports pavilion: sports pavilion; pavilion; grandstand; sports ground building; sporting ground building; sports
    building; sporting clubroom; sports clubroom; stadium; sports club building
town hall: town hall; city hall; civic hall; municipal hall; community hall; shire hall; civic centre
office: office; offices; workplace; head office; corporate office; office floor; tenancy
workspace: workspace; work space; work area; open plan; open plan office; open plan area; workstation area;
    workplace floor; hot desking area
foyer: foyer; lobby; entrance; entrance hall; atrium; reception area; vestibule
control room: control room; command centre; command center; command room; monitoring room; monitoring centre;
    operations centre; operations center; operations room; ops centre; ops room; dispatch centre; dispatch room;
    network operations centre; network operations room; noc; situation room
security operations centre: security operations centre; security operations center; soc; security control room;
    security monitoring centre; security room; surveillance room; surveillance centre; cctv room; cctv control
    room; cctv monitoring room
simulation lab: simulation lab; simulation laboratory; simulation centre; simulation suite; sim lab; simulator;
    simulator room; flight simulator; flight simulator facility; virtual reality lab; vr lab
# systems and equipment
video conference: video conference; video conferencing; videoconference; vc; teleconference; teleconferencing;
    video meeting; video call; video calling; zoom room; microsoft teams room; ms teams room; telepresence; web
    conferencing
hearing loop: hearing loop; induction loop; audio induction loop; audio frequency induction loop; afils;
    assistive listening; assistive listening system; hearing augmentation; hearing assistance; hearing
    assistance system; hearing aid loop; loop system; infrared hearing system
digital signage: digital signage; signage; digital sign; electronic sign; electronic signage; digital display;
    digital screen; display screen; information display; information screen; wayfinding screen; wayfinding
    display; menu board
led wall: led wall; led screen; led display; led video wall; video wall; videowall; display wall; video screen;
    large format display
projector: projector; projection; projection system; projection equipment; data projector; beamer; pj; video
    projector
# kinds of works
refurbishment: refurbishment; refurb; refurbish; refurbishing; refit; refitting; facelift; face lift; makeover;
    make over; revamp; revamping; do up; spruce up
renovation: renovation; renovate; renovating; reno; remodel; remodelling; remodeling; restoration; restore;
    restoring; rework; reworking; rebuild; rebuilding; redevelopment
upgrade: upgrade; upgrading; modernisation; modernization; modernise; modernize; improvement; uplift;
    enhancement; update; updating; improve; improving
replacement: replacement; replace; replacing; swap out; swap; swapping; changeover; change over; changeout;
    change out; like for like
renewal: renewal; renew; renewing; refresh; refreshing; technology refresh; lifecycle; life cycle; overhaul;
    overhauling
rollout: rollout; roll out; rolling out; deployment; deploy; deploying; multi site; across sites
installation: installation; install; installing; installed; inst; set up; setup; setting up; fit off; supply and
    install; put in; commissioning
expansion: expansion; expand; expanding; extension; extend; extending; enlargement; enlarge; extra capacity;
    additional capacity; addition
relocation: relocation; relocate; relocating; move; moving; office move; shift to new premises; new premises;
    decant
fitout: fitout; fit out; fitting out; interior fit; interior fitout; tenancy fitout; fit up
new build: new build; newbuild; new building; new construction; greenfield; greenfield construction; brand new
    construction; build from scratch; ground up build
av works: av works; av work; av job; av project; audio visual works; audio visual job; audiovisual works;
    audiovisual job
"""


_ROOMS_END = "# systems and equipment"
_BROAD_TEXT = """across additional brand call capacity chief city community construction corporate cycle data digital
    electronic equipment extra face format frequency function head house information interior job large life lift
    like make management member multi network performance plan premise project reality security setting
    situation small sport team technology university venue virtual visual wall web working"""
"""Words of one concept's phrases too broad to name it alone ("data" of "data projector")."""


def _read(text: str) -> dict[str, tuple[str, ...]]:
    """``concept: phrase; phrase`` entries (continued on indented lines; ``#`` lines left out)."""
    lines = "\n".join(line for line in text.strip().splitlines() if not line.startswith("#"))
    out: dict[str, tuple[str, ...]] = {}
    for entry in re.split(r"\n(?=\S)", lines):
        concept, phrases = entry.split(":", 1)
        out[concept.strip()] = tuple(p.strip() for p in " ".join(phrases.split()).split(";") if p.strip())
    return out


CONCEPTS: dict[str, tuple[str, ...]] = _read(_TEXT)
"""Concept -> the ways of writing it (word runs, lower case, no punctuation): ``concept: phrase; phrase``
per entry, continued on indented lines; ``#`` lines head a section."""
_ROOMS = frozenset(_read(_TEXT.split(_ROOMS_END)[0]))
"""The rooms and spaces (the first section): what a cue word before a head word can name."""


def fold(word: str) -> str:
    """A word without a plural ``s`` (rooms -> room, chambers -> chamber; not glass, bus, its)."""
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _written(text: str) -> list[str]:
    """``text``'s runs of ASCII letters and digits as written (no case folding before matching: it
    maps İ, ı, ſ and the Kelvin sign to ASCII letters and would shift one list against the other)."""
    return re.findall(r"[A-Za-z0-9]+", text.replace("'", ""))


def words_of(text: str) -> list[str]:
    """``text``'s words as concepts are matched: lower case, letters and digits, plurals folded; the
    n-th is the n-th of :func:`_written`."""
    return [fold(w.lower()) for w in _written(text)]


def stem(word: str) -> str:
    """A folded word without its ``-ing``/``-ed`` ending and final ``e`` (lecturing, lectured, lecture ->
    lectur; fitting -> fit; moving, move -> mov; doing -> do): phrases and requests are matched on these."""
    for end in ("ing", "ed"):
        if len(word) > len(end) + 1 and word.endswith(end):
            word = word[: -len(end)]
            if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiouls":
                word = word[:-1]  # fitting -> fitt -> fit (not "install", "dress")
            break
    return word[:-1] if len(word) > 3 and word.endswith("e") else word


@lru_cache(maxsize=1)
def _index() -> tuple[dict[tuple[str, ...], str], int]:
    """Every phrase's word run (stemmed) -> its concept, and the longest run's length."""
    runs: dict[tuple[str, ...], str] = {}
    for concept, phrases in CONCEPTS.items():
        for phrase in (concept, *phrases):
            runs.setdefault(tuple(stem(w) for w in words_of(phrase)), concept)
    return runs, max(len(r) for r in runs)


@lru_cache(maxsize=1)
def _firsts(runs_id: int) -> frozenset[str]:
    return frozenset(run[0] for run in _index()[0])


@lru_cache(maxsize=1)
def _cues(runs_id: int) -> tuple[dict[str, str], frozenset[str]]:
    """Words that name one room or space concept wherever they appear in its phrases ("councillors" in
    "councillors chamber"), and the head words several concepts share (room, hall, centre): "councillors
    room" is a council chamber though no phrase says it so. A word of one concept only, four letters or
    more, not a stop word nor broad (:data:`_BROAD_TEXT`), and never a whole phrase of its own (a run then)."""
    from .text import STOPWORDS

    runs = _index()[0]
    broad = {stem(fold(w)) for w in _BROAD_TEXT.split()}
    concepts_of: dict[str, set[str]] = {}
    for run, concept in runs.items():
        if concept in _ROOMS:
            for w in run:
                concepts_of.setdefault(w, set()).add(concept)
    heads = frozenset(w for w, cs in concepts_of.items() if len(cs) > 1 and w not in STOPWORDS)
    cues = {
        w: next(iter(cs))
        for w, cs in concepts_of.items()
        if len(cs) == 1 and len(w) >= 4 and w not in STOPWORDS and w not in broad and (w,) not in runs
    }
    return cues, heads


def concepts(words: list[str]) -> list[tuple[str, int, int]]:
    """The concepts named in ``words`` (folded, see :func:`words_of`): ``(concept, start, end)``
    per match, longest run first at each place, left to right, runs not overlapping; words matched by
    their stems (:func:`stem`). A room's own word before a shared head word ("councillors room") names
    that room when no phrase does (see :func:`_cues`)."""
    runs, longest = _index()
    firsts = _firsts(id(runs))
    cues, heads = _cues(id(runs))
    stems = [stem(w) for w in words]
    out: list[tuple[str, int, int]] = []
    i = 0
    while i < len(stems):
        if stems[i] not in firsts and stems[i] not in cues:
            i += 1
            continue
        for j in range(min(len(stems), i + longest), i, -1):
            concept = runs.get(tuple(stems[i:j]))
            if concept is not None:
                out.append((concept, i, j))
                i = j
                break
        else:
            cue = cues.get(stems[i])
            if cue is not None and i + 1 < len(stems) and stems[i + 1] in heads and not _runs_at(stems, i + 1):
                out.append((cue, i, i + 2))
                i += 2
            else:
                i += 1
    return out


def _runs_at(stems: list[str], i: int) -> bool:
    """Whether a phrase of more than one word starts at ``i`` (the head word belongs to it then)."""
    runs, longest = _index()
    return any(tuple(stems[i:j]) in runs for j in range(i + 2, min(len(stems), i + longest) + 1))


def concept_set(text: str) -> set[str]:
    """The concepts ``text`` names."""
    return {c for c, _, _ in concepts(words_of(text))}


def plainly(text: str, said: str | None = None, more: list[tuple[str, int, int]] | None = None) -> str:
    """``text`` with each concept said by its own name ("facelift of the directors room" ->
    "refurbishment of the boardroom"): the words a sentence model reads as the summaries say them.
    ``said``: the words of ``text`` the model is to read (a request's without its stop words): concepts
    are found in ``text`` as written ("put in", "do up", "supply and install" hold stop words), the other
    words kept only when ``said`` has them. Unchanged (``said``, else ``text``, the same string) when
    ``text`` names no concept in other words. ``more``: concepts found otherwise (thesaurus_model.py),
    ``(concept, start, end)`` over :func:`words_of` ``text``, apart from the listed phrases' runs."""
    words = words_of(text)
    found = sorted([*concepts(words), *(more or ())], key=lambda c: c[1])
    if all(words[i:j] == words_of(c) for c, i, j in found):
        return text if said is None else said
    # The words around a concept stay as written (only the concept's run is said another way).
    written = _written(text)
    keep = None if said is None else {fold(w) for w in words_of(said)}
    out: list[str] = []
    at = 0
    for concept, i, j in [*found, ("", len(written), len(written))]:
        out += [w for w in written[at:i] if keep is None or fold(w.lower()) in keep]
        if concept:
            out.append(concept)
        at = j
    return " ".join(out)
