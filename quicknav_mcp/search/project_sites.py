"""Where each project is (suburb, city, campus), learnt from its documents' text.

A project folder rarely says its place ("19751 - GLNDL - SOC Relocation Phase 2"), yet nearly every
document of the job repeats it in its header: ``Site address: 47 Wickham Terrace, Ipswich QLD 4305``.
People ask by it ("the Glendale job in Ipswich"), and a word of the text alone weighs little against
another project whose file names hold the same word (a room named after the town).

Learnt, never listed: a place is what an Australian address puts before its state and postcode
(``<locality> QLD 4305``), or the value of a labelled line (``Site:``, ``Campus:``, ``Venue:``; not
``Location:``, which in these documents is as often a room) when that value holds no number. A place
becomes a project's **site** when several of its documents name it (:data:`MIN_DOCS`, and a share
:data:`MIN_SHARE` of its documents naming any place), so a place named once in passing (a supplier's
address, a room in another town) is not its site; a place that is the site of most projects of a firm
(its own letterhead) is nobody's (:data:`FIRM_WIDE`).

Bounded: the first :data:`TEXT_CHARS` characters of each document (its header), at most
:data:`PLACES_PER_DOC` places a document, :data:`SITES` sites a project, and a place is at most
:data:`MAX_PLACE_WORDS` words of :data:`MAX_PLACE_CHARS` characters (hostile text makes no long
site). Built from the store in memory when the documents, text or projects changed (on a thread for
a large firm, as :mod:`.project_about`), read per search as a dictionary look-up.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping

from ..repo import ProjectRow
from ..store import Store
from .background_build import SMALL_WAIT_S, BackgroundBuild
from .text import STOPWORDS, tokens
from .versions import Versions

log = logging.getLogger(__name__)

TEXT_CHARS = 600  # of each document's text: its header names the site
PLACES_PER_DOC = 6
SITES = 3  # per project, most named first
MIN_DOCS = 2  # documents naming a place for it to be the site (one document is enough when it is the only one)
MIN_SHARE = 0.25  # ... and this share of the project's documents that name any place
FIRM_WIDE = 0.5  # a place that is the site of more than this share of projects is the firm's own address
FIRM_WIDE_MIN_PROJECTS = 8  # ... once the firm has this many projects with sites
MAX_PLACE_WORDS = 3
MAX_PLACE_CHARS = 40
QUICK_PROJECTS = 600  # up to this many projects a change is learnt at once; above, on a thread
REBUILD_SECONDS = 120.0  # a large firm's sites are learnt again at most this often

_STATE = r"(?:QLD|Qld|NSW|VIC|Vic|SA|WA|TAS|Tas|NT|ACT)"
POSTAL = re.compile(rf"{_STATE}[ \t]+\d{{4}}(?!\d)")
"""``<STATE> <postcode>`` ending an Australian address; the locality is the words before it on its line."""
LOOK_BACK = 80  # characters before a postcode read for its locality
LABELLED = re.compile(r"^[ \t]*(?:site|campus|venue)(?:[ \t]+(?:name|address))?[ \t]*:[ \t]*([^\n]{1,80})", re.I | re.M)
"""A labelled line: ``Site: Glendale Campus``, ``Site address: 12 Ann St, Ipswich QLD 4305``."""
_STREET_TYPES = """street st road rd terrace tce avenue ave drive dr parade pde highway hwy lane ln place pl court
    ct crescent cres boulevard blvd way circuit cct close esplanade esp square sq grove gr"""
STREET_TYPES = frozenset(_STREET_TYPES.split())
"""Words ending a street's name: a locality written without its comma follows the first of them."""
_STREET_WORDS = "street st road rd terrace tce avenue ave drive dr parade pde highway hwy"
STREET_WORDS = frozenset(_STREET_WORDS.split())
"""Street types no locality ends with: after a request's word they make it a street's name."""


def places_in(text: str) -> list[str]:
    """The places ``text`` names (addresses' localities, labelled sites), as written, first first."""
    text = text[:TEXT_CHARS]
    found: list[str] = []
    for m in LABELLED.finditer(text):
        value = m.group(1).strip()
        if not any(ch.isdigit() for ch in value):
            found.append(value)
    for m in POSTAL.finditer(text):
        if m.start() and text[m.start() - 1].isalnum():  # "ASA 1234" is no state (a look-behind costs 5x)
            continue
        found.append(_locality(text, m.start()))
        if len(found) > 4 * PLACES_PER_DOC:
            break
    out: list[str] = []
    for place in found:
        place = clean(place)
        if place and place not in out:
            out.append(place)
        if len(out) >= PLACES_PER_DOC:
            break
    return out


def _locality(text: str, end: int) -> str:
    """The words of ``text`` just before ``end`` (a postcode's state) on its line: after its last comma,
    letters only, at most :data:`MAX_PLACE_WORDS`, and after the street's type word when the address has
    no comma ("47 Wickham Terrace Ipswich QLD 4305")."""
    start = max(text.rfind("\n", 0, end) + 1, end - LOOK_BACK)
    line = text[start:end]
    before = line.rsplit(",", 1)[-1].split()
    words: list[str] = []
    for w in reversed(before):
        if len(words) >= MAX_PLACE_WORDS or not w.strip(".'’-").replace("'", "").replace("’", "").isalpha():
            break
        words.append(w)
    words.reverse()
    if "," in line:  # the comma says where the locality starts ("Victoria Park Rd, Kelvin Grove")
        return " ".join(words)
    # No comma: the locality follows the first street type word that leaves one ("22 Smith St Kelvin Grove").
    cut = next((i + 1 for i, w in enumerate(words[:-1]) if w.lower().strip(".") in STREET_TYPES), 0)
    return " ".join(words[cut:])


def place_terms(terms: list[str]) -> set[str]:
    """The request's words that can name a site: not a street's name ("Adelaide St" is a street,
    wherever it is; "Adelaide" alone may be the city). Only words that say nothing but "street" mark
    one here: grove, place, court... also end localities ("Kelvin Grove")."""
    following = [*terms[1:], ""]
    return {t for i, t in enumerate(terms) if following[i] not in STREET_WORDS}


def clean(place: str) -> str:
    """A place in a canonical spelling (title case for all-capitals), '' when it cannot be one:
    too long, no letter word, only stop words."""
    words = [w.strip(".,;:'’-") for w in place.split()]
    words = [w for w in words if w][:MAX_PLACE_WORDS]
    if not words or any(not any(ch.isalpha() for ch in w) for w in words):
        return ""
    text = " ".join(words)
    if len(text) > MAX_PLACE_CHARS or not text.isprintable():
        return ""
    if text.isupper():
        text = text.title()
    words_of = tokens(text)
    if not words_of or all(w in STOPWORDS for w in words_of):
        return ""
    return text


def learn_sites(docs: Iterable[tuple[int, str]]) -> dict[int, tuple[str, ...]]:
    """Per project, the places several of its documents name (most named first): ``docs`` are
    ``(project id, text)`` pairs."""
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    spelling: dict[str, str] = {}
    naming: Counter[int] = Counter()  # documents naming any place, per project
    for pid, text in docs:
        places = places_in(text or "")
        if not places:
            continue
        naming[pid] += 1
        for place in places:
            key = place.casefold()
            spelling.setdefault(key, place)
            counts[pid][key] += 1
    sites: dict[int, tuple[str, ...]] = {}
    for pid, c in counts.items():
        n = naming[pid]
        need = max(MIN_DOCS if n > 1 else 1, MIN_SHARE * n)
        kept = [k for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])) if v >= need][:SITES]
        if kept:
            sites[pid] = tuple(kept)
    held: Counter[str] = Counter(k for ks in sites.values() for k in ks)
    if len(sites) >= FIRM_WIDE_MIN_PROJECTS:
        firm = {k for k, v in held.items() if v > FIRM_WIDE * len(sites)}
        sites = {pid: tuple(k for k in ks if k not in firm) for pid, ks in sites.items()}
    return {pid: tuple(spelling[k] for k in ks) for pid, ks in sites.items() if ks}


class ProjectsById(dict[int, ProjectRow]):
    """Projects by id, with the sites learnt for them (:attr:`sites`: site names by project id): what
    the search's readers of a project's words (intent.py, coverage.py) take."""

    def __init__(
        self,
        rows: Iterable[ProjectRow] = (),
        sites: Mapping[int, tuple[str, ...]] | None = None,
        words: Mapping[int, frozenset[str]] | None = None,
    ) -> None:
        super().__init__((r.id, r) for r in rows)
        self.sites: Mapping[int, tuple[str, ...]] = sites or {}
        self.site_words: Mapping[int, frozenset[str]] = words or {}  # each project's sites' folded words
        # intent.project_words of these projects by (project id, folder name), filled as searches read
        # them: a search reads them for each of its ~30-40 candidate projects, and the joined text was
        # tokenised again each time the name cache had dropped it. A change of projects or sites makes
        # a new ProjectsById, so the texts go with the projects they were made from.
        self.word_texts: dict[tuple[int, str], str] = {}


def sites_of(projects: Mapping[int, ProjectRow] | None, project_id: int) -> tuple[str, ...]:
    """The sites learnt for a project, () when ``projects`` carries none."""
    return projects.sites.get(project_id, ()) if isinstance(projects, ProjectsById) else ()


class ProjectSites:
    """The learnt sites of the store's projects, rebuilt when documents, text or projects change."""

    def __init__(self, store: Store, versions: Versions) -> None:
        self.store = store
        self.versions = versions
        self._lock = threading.Lock()
        self._sites: dict[int, tuple[str, ...]] = {}
        # One build's sites, their folded words and the projects of each word, swapped together.
        self._state: tuple[dict[int, tuple[str, ...]], dict[int, frozenset[str]], dict[str, tuple[int, ...]]] = (
            self._sites,
            {},
            {},
        )
        self._key: object = None
        self._size: tuple[object, int] = (None, 0)
        self._served = 0  # builds served so far
        self._built_at = -1e9
        self._builds = BackgroundBuild("project-sites", "project sites", closing=lambda: store.closing)

    def current(self, *, wait: bool = True) -> Mapping[int, tuple[str, ...]]:
        """Sites by project id (the last build; a new one starts when the inputs changed, and a small
        firm's search waits for it, so its answer does not depend on a thread's timing)."""
        key = self.versions.get("documents", "content", "projects")
        if key == self._key:
            return self._sites
        if self._size[0] != key:  # the firm's size (projects, not projects with a site), once per change
            self._size = (key, self.store.query_one("SELECT count(*) FROM projects")[0])
        small = self._size[1] <= QUICK_PROJECTS
        after = self._built_at + (0.0 if small else REBUILD_SECONDS)
        self._builds.start(lambda: self._swap(self.build(), key), after=after)
        if wait and small and self._builds.wait(SMALL_WAIT_S) and self._key == key:
            return self._sites
        return self._sites

    def served(self) -> tuple[int, Mapping[int, tuple[str, ...]], Mapping[int, frozenset[str]]]:
        """The build serving now, read together: its number (later builds have larger ones), sites by
        project id, and each project's site words as the index folds them (:func:`.text.tokens`)."""
        with self._lock:
            return self._served, self._state[0], self._state[1]

    def named(self, words: Iterable[str]) -> dict[int, str]:
        """Projects one of whose sites ``words`` name whole (every word of it), with that site."""
        said = set(words)
        sites, _, postings = self._state
        out: dict[int, str] = {}
        for pid in {p for w in said for p in postings.get(w, ())}:
            for site in sites.get(pid, ()):
                if set(tokens(site)) <= said:
                    out[pid] = site
                    break
        return out

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Wait until a build of the current documents, text and projects serves (tests, benchmarks)."""

        def restart() -> None:
            self._built_at = -1e9  # waited for: not held back by the rebuild interval
            self.current(wait=False)

        return self._builds.wait_until(
            lambda: self.versions.get("documents", "content", "projects") == self._key, restart, timeout
        )

    def close(self) -> None:
        self._builds.close()

    def _swap(self, sites: dict[int, tuple[str, ...]], key: object) -> None:
        words = {pid: frozenset(w for s in ss for w in tokens(s)) for pid, ss in sites.items()}
        postings: dict[str, list[int]] = defaultdict(list)
        for pid, ws in words.items():
            for w in ws:
                postings[w].append(pid)
        with self._lock:
            self._state = (sites, words, {w: tuple(ps) for w, ps in postings.items()})
            self._served += 1
            self._sites, self._key, self._built_at = sites, key, time.monotonic()

    def build(self) -> dict[int, tuple[str, ...]]:
        """Read each document's header text once (a reader of its own) and learn the sites."""

        def rows() -> Iterable[tuple[int, str]]:
            with self.store.scan_reader() as read:
                for i, (pid, text) in enumerate(
                    read(
                        "SELECT d.project_id, substr(c.text, 1, ?) FROM document_content c "
                        "JOIN documents d ON d.id = c.doc_id",
                        (TEXT_CHARS,),
                    )
                ):
                    if not i & 0xFF:
                        self._builds.check()
                    yield pid, text

        return learn_sites(rows())


__all__ = ["ProjectSites", "ProjectsById", "learn_sites", "place_terms", "places_in", "sites_of"]
