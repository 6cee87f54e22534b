"""What a request asks for, weighed against each candidate document.

A request names what it wants (a family or kind: design, Sales & PO report, the third change
order, the latest one, the as-built, the drawing of level 3) and where it is (a project code,
client, site, description words). The fused retrieval score counts every matched word alike, so
an incidental word (the site, "room") can lift the wrong kind of document, or another project's
copy of a firm-wide template, above the one asked for. :class:`Intent` corrects that per candidate:

* where: the share of the request's place words found in the candidate's project, folders and
  name (a document of the asked kind in another project loses);
* level: a drawing of the level asked for wins over other levels' drawings;
* the latest change order: the highest-numbered one of its project among the candidates;
* recency ("latest", "current"): the current document of the asked kind (the domain's rule over its
  series, see search/current.py), never a copy marked ORIGINAL or kept in an old folder;
* templates, registers and master copies lose to a project's own document of the asked kind,
  unless the request asks for them;
* a request naming no kind is weighed by how much of it each name covers (search/coverage.py).

Each effect is a multiplier with the reason naming the part of the request it matched
(``where: poolwerx training``, ``level 3``, ``latest CO4``, ``current sales_po``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable, Mapping
from functools import lru_cache

from ..domain.grammar import GROUND_FLOOR, LEVEL_IN_NAME
from ..repo import ProjectRow
from ..repo.documents import DocumentFacts
from .project_sites import ProjectsById, place_terms, sites_of
from .query import ParsedQuery
from .reasons import Reason, reason
from .text import STOPWORDS, tokens

_TEMPLATE_REASON = Reason("template", "template")
TEMPLATE_NAME = re.compile(
    r"\btemplates?\b|\bmaster\s+(?:copy|template)\b|^job\s*-\s|\bregister\b|\bstandard\s+cus\w*\s+proposal\b", re.I
)
"""Firm-wide copies kept in many projects: ``OnSold Support Services Register - Master Template``,
``POLY MTR MEDIUM ROOM - TEMPLATE``, ``Job - OnSold Support Services Register - Date``, the
``Standard Customer Proposal - Support 2023`` every project is sent."""
_TEMPLATE_WORDS = frozenset(
    {"template", "templates", "master", "register", "registers", "blank", "standard", "support", "managed"}
)
_TEMPLATE_HINTS = re.compile("templat|master|register|job|standard")
"""Cheap test of a name in lower case before :data:`TEMPLATE_NAME` (most names hold none of these)."""
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_NOT_ALNUM_BYTES = bytes(c for c in range(256) if not (97 <= c <= 122 or 48 <= c <= 57))
"""UTF-8 bytes :data:`_NOT_ALNUM` removes: every byte of a character other than a-z and 0-9."""
_OLD_COPY = re.compile(r"\b(?:original|old|superseded|archived?)\b", re.I)

KIND_MATCH, KIND_OTHER, KIND_NAMED = 1.3, 0.8, 1.15
RELATED_NAMES: dict[str, tuple[str, ...]] = {
    "swms": ("sds", "msds", "safety data sheet", "jsa", "job safety analysis", "risk assessment"),
    "scope": ("rfq", "rft", "request for quote", "request for tender", "statement of work"),
}
"""Documents filed as "other" that belong with a family: a project's safety data sheets and job
safety analyses sit with its SWMS; the client's request for quote or tender is its scope. They count
as the asked kind (``related: swms``) when a request asks for that family."""
RELATED_KINDS = {
    kind: re.compile(r"(?<![a-z])(?:" + "|".join(w.replace(" ", r"[\s_-]+") for w in words) + r")(?![a-z])", re.I)
    for kind, words in RELATED_NAMES.items()
}


RELATED_MATCH = KIND_MATCH * 1.6 / 0.75
"""A related document counts as the asked kind here and in the family boost of
``ranking.document_boost`` (x1.6 for the kind, x0.75 for others), which reads ``doc_type`` only."""


def related_words(doc_types: Iterable[str]) -> list[str]:
    """The words (lower-case ASCII) in the names filed as "other" that belong with ``doc_types``."""
    return [w for k in doc_types for w in RELATED_NAMES.get(k, ())]


def related_like(doc_types: Iterable[str]) -> list[str]:
    """``LIKE`` patterns of the names filed as "other" that belong with ``doc_types`` (facts.py)."""
    return [f"%{w}%" for w in related_words(doc_types)]


MAX_SAID_WORDS = 40
WHERE_FLOOR = 0.55
"""A candidate holding none of the request's place words keeps this share of its score."""
LEVEL_MATCH, LEVEL_OTHER = 1.5, 0.6
LATEST_CO, OLDER_CO = 1.8, 0.7
SITE_NAMED = 1.8
"""A candidate of a project whose site (learnt from its documents' text, project_sites.py) the
request's place words name whole: where the job is, not a word some file names share (a room
named after the town in another project's roll-out)."""
CURRENT, OLDER, OLD_COPY, TOP_REVISION = 1.35, 0.85, 0.7, 1.15
TEMPLATE = 0.45


def asks_kind(pq: ParsedQuery) -> bool:
    """The request asks for a kind, a change order, a level or the as-built."""
    return bool(pq.doc_types) or pq.change_order is not None or pq.level is not None or pq.as_built


def content_words(pq: ParsedQuery) -> list[str]:
    """The request's plain words that can name something (no single letters, no bare numbers)."""
    return [t for t in pq.terms if len(t) > 1 and not t.isdigit()]


def place_words(pq: ParsedQuery) -> list[str]:
    """The request's place words (client, site, description), weighed when it also asks for a
    kind, a change order, a level or the as-built: alone they are the whole request."""
    return content_words(pq) if asks_kind(pq) else []


def holding(words: list[str], found: Iterable[list[str]]) -> dict[str, int]:
    """How many of ``found`` (each the words one candidate or project holds) hold each word."""
    counts = dict.fromkeys(words, 0)
    for ws in found:
        for w in ws:
            counts[w] += 1
    return counts


def where_weights(words: list[str], found: Iterable[list[str]], projects: int) -> dict[str, float]:
    """Each place word's weight: ``log(1 + projects / holding)`` over the candidate projects (a word
    every project holds still counts, a rare one counts up to a few times more)."""
    return {w: math.log1p(projects / max(1, n)) for w, n in holding(words, found).items()}


@lru_cache(maxsize=4096)
def spaced_words(name: str) -> str:
    # Names recur across searches: each is tokenised once.
    return f" {' '.join(tokens(name))} "


def word_forms(pq: ParsedQuery, words: Iterable[str]) -> dict[str, list[str]]:
    """Each request word's forms (itself, ``MR`` / ``meeting room``, a typo's fix) as they start a
    word of :func:`spaced_words` text."""
    return {w: [f" {f}" for f in dict.fromkeys([w, *pq.forms.get(w, [])]) if f] for w in words}


def words_held(forms: Mapping[str, list[str]], text: str) -> list[str]:
    """The words (:func:`word_forms`) a :func:`spaced_words` ``text`` holds, in any form, at a word's
    start: "cafe" in "Café Royal", not "room" in "boardroom"."""
    has = text.__contains__  # (map over a bound method: no generator for each word of each text)
    return [w for w, fs in forms.items() if any(map(has, fs))]


def _first_words(phrases: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p.split()[0] if p.split() else "" for p in phrases))


def surely_lacks(raw: str, lower: str, heads: Iterable[str]) -> bool:
    """Whether ``spaced_words(raw)`` surely holds none of the phrases whose first words are ``heads``
    (``lower``: ``raw`` in lower case), known without tokenising it.

    Tokenising a name costs more than the rest of a test of it, and most candidates' names hold few
    of a request's words: an ASCII text's words are runs of its lower case, so a phrase whose first
    word is not in that lower case is not held. Never for a non-ASCII text (folding can change its
    letters): it must be tokenised."""
    return raw.isascii() and not any(map(lower.__contains__, heads))


class FormTest:
    """:func:`words_held` of names and paths as they are (not yet :func:`spaced_words`): a text is
    tokenised only when it may hold some form (:func:`surely_lacks`)."""

    def __init__(self, forms: Mapping[str, list[str]]) -> None:
        self.forms = forms
        self.heads = {w: _first_words(fs) for w, fs in forms.items()}

    def held_by(self, raw: str, skip: Collection[str] = ()) -> list[str]:
        """The words not in ``skip`` that ``spaced_words(raw)`` holds (as :func:`words_held`)."""
        lower = raw.lower()
        text = None
        out: list[str] = []
        for w, fs in self.forms.items():
            if w in skip or surely_lacks(raw, lower, self.heads[w]):
                continue
            if text is None:
                text = spaced_words(raw)
            if any(map(text.__contains__, fs)):
                out.append(w)
        return out


def project_words(d: DocumentFacts, projects: Mapping[int, ProjectRow] | None) -> str:
    """The words naming ``d``'s project: its folder's, its description's, its clients' names and its
    sites (both learned from its documents: domain/clients.py, project_sites.py), as :func:`spaced_words`."""
    texts = None
    if isinstance(projects, ProjectsById):
        texts = projects.word_texts
        found = texts.get((d.project_id, d.project_name))
        if found is not None:
            return found
    rec = projects.get(d.project_id) if projects else None
    names = [rec.description, rec.client or "", *rec.client_names, *sites_of(projects, rec.id)] if rec else []
    text = spaced_words(" ".join([d.project_name, *names]))
    if texts is not None:
        texts[(d.project_id, d.project_name)] = text
    return text


def said_with_kind(pq: ParsedQuery) -> list[str]:
    """Runs of three words of the request, one of them a word naming the asked kind and none a stop
    word ("HA design details"): a name saying one is the document asked for, whatever its family."""
    words = tokens(pq.text)[:MAX_SAID_WORDS]
    kind = set(pq.doc_type_words)
    runs = []
    for i in range(len(words) - 2):
        run = words[i : i + 3]
        if kind.intersection(run) and not kind.issuperset(run) and not STOPWORDS.intersection(run):
            runs.append(" ".join(run))
    return runs


def _levels(name: str) -> set[int]:
    found = {int(m.group(1)) for m in LEVEL_IN_NAME.finditer(name)}
    if GROUND_FLOOR.search(name):
        found.add(0)
    return found


class Intent:
    """The request's intent over one set of candidates (built once per search)."""

    def __init__(
        self, pq: ParsedQuery, docs: Iterable[DocumentFacts], projects: Mapping[int, ProjectRow] | None = None
    ) -> None:
        self.pq = pq
        self.kinds = frozenset(pq.doc_types)
        # (as bytes: a name's key is made by deleting bytes, _NOT_ALNUM_BYTES)
        self.kind_keys = [(p, _NOT_ALNUM.sub("", p).encode()) for p in pq.kind_phrases if len(p) > 3]
        self.related = [k for k in self.kinds if k in RELATED_KINDS]
        self.said = said_with_kind(pq) if self.kinds else []
        self._said_heads = _first_words(self.said)
        self.where = place_words(pq)
        self.wants_template = any(w in _TEMPLATE_WORDS for w in pq.terms + pq.words)
        self.active = bool(
            self.where or pq.level is not None or pq.latest_change_order or pq.wants_current or self.kinds
        )
        self.latest_co: dict[int, int] = {}
        self.project_levels: dict[int, set[int]] = {}
        self.where_effect: dict[int, tuple[float, str]] = {}  # filled as candidates are weighed
        self._shares: dict[int, float] = {}
        self._where_found: dict[int, list[str]] = {}  # project -> the place words it holds
        self._where_weight: dict[str, float] = {}
        self._where_total = 1.0
        self.site_named: dict[int, str] = {}  # project -> the site of it the request names
        self.top_revision: dict[tuple[int, str], int] = {}
        self.reads_candidates = bool(self.where or pq.wants_current or pq.latest_change_order)
        """Whether the candidates weigh on each other (place words, the latest, the current): if not,
        an intent built without them is the same."""
        if not (self.active and self.reads_candidates):
            return
        texts: dict[int, list[str]] = {}
        where, wants_current, latest_co = bool(self.where), pq.wants_current, pq.latest_change_order
        for d in docs:  # (every candidate: ~100-400)
            if where:
                parts = texts.get(d.project_id)
                if parts is None:
                    parts = texts[d.project_id] = [project_words(d, projects)]
                parts.append(spaced_words(d.project_rel_path))
            if wants_current and d.revision is not None and d.doc_type in self.kinds and not d.is_archive:
                key = (d.project_id, d.doc_type)
                self.top_revision[key] = max(self.top_revision.get(key, -1), d.revision)
            if latest_co and (d.change_order or -1) > self.latest_co.get(d.project_id, -1):
                self.latest_co[d.project_id] = d.change_order or -1
        # A project is named by the words of its folder, its clients' names (learned from its
        # documents, domain/clients.py) and its candidates' names and folders
        # ("Parramatta Executive Meeting Room" lives in "19144 - SNTRX PAR Exec MR inst"): every
        # candidate of the project gets the project's share, so the asked kind decides within it.
        forms = word_forms(pq, self.where)
        found_in = self._where_found = {pid: words_held(forms, "".join(parts)) for pid, parts in texts.items()}
        # A place word most candidate projects hold ("room", "level") says less about where than
        # one only a few hold ("function", "refurbishment"): each counts by its rarity among them.
        weight = self._where_weight = where_weights(self.where, found_in.values(), len(texts))
        self._where_total = sum(weight.values()) or 1.0
        site_words = projects.site_words if isinstance(projects, ProjectsById) else {}
        said = place_terms(self.where)
        for pid in texts:
            sw = site_words.get(pid)
            if sw and sw & said:
                site = next((s for s in sites_of(projects, pid) if set(tokens(s)) <= said), "")
                if site:
                    self.site_named[pid] = site

    def _held(self, project_id: int) -> float:
        """The weighted share of the place words ``project_id`` holds (0 for a project not weighed)."""
        found = self._where_found.get(project_id)
        return sum(self._where_weight[w] for w in found) / self._where_total if found else 0.0

    def _share(self, project_id: int) -> float:
        """The place multiplier of a candidate of ``project_id``."""
        share = self._shares.get(project_id)
        if share is None:
            share = self._shares[project_id] = WHERE_FLOOR + (1 - WHERE_FLOOR) * self._held(project_id)
        return share

    def _where(self, project_id: int) -> tuple[float, str]:
        """The place share of a candidate of ``project_id`` and why (the reason made only for the
        projects scored)."""
        made = self.where_effect.get(project_id)
        if made is None:
            found = self._where_found.get(project_id)
            why = Reason("where: " + " ".join(found), "place_share", self._held(project_id)) if found else ""
            made = self.where_effect[project_id] = (self._share(project_id), why)
        return made

    def bound(self) -> float:
        """The largest multiplier :meth:`effect` can give any candidate (keep in step with it)."""
        if not self.active:
            return 1.0
        # The place share is at most 1; the site is filled when the intent was built.
        return (SITE_NAMED if self.site_named else 1.0) * self.bound_besides_place()

    def place_bound(self, project_id: int) -> float:
        """The place part of :meth:`effect` for every candidate of ``project_id`` (its place share,
        its site): times :meth:`bound_besides_place`, a bound of that project's candidates."""
        if not self.where:
            return 1.0
        return self._share(project_id) * (SITE_NAMED if project_id in self.site_named else 1.0)

    def bound_besides_place(self, doc_type: str | None = None) -> float:
        """The largest multiplier :meth:`effect` can give any candidate (or any of ``doc_type``)
        apart from its place part."""
        if not self.active:
            return 1.0
        bound = 1.0  # templates only lose
        if self.kinds:
            kind = KIND_MATCH * (KIND_NAMED if self.kind_keys else 1.0)
            if self.pq.wants_current:
                kind *= max(CURRENT * TOP_REVISION, OLDER, OLD_COPY)
            # A related name, or one saying the request's words, gets no current factor.
            related = self.said or (self.related and doc_type in (None, "other"))
            other = RELATED_MATCH if related else KIND_OTHER
            if doc_type is None:
                bound *= max(kind, other)
            else:
                bound *= kind if doc_type in self.kinds else other
        if self.pq.level is not None:
            bound *= LEVEL_MATCH
        if self.pq.latest_change_order:
            bound *= LATEST_CO
        return bound

    def _said_in(self, name: str, lower: str) -> str:
        """The request's words with its kind that ``name`` (``lower``: in lower case) says in the
        same order, or ''."""
        if surely_lacks(name, lower, self._said_heads):
            return ""
        text = spaced_words(name)
        return next((run for run in self.said if f" {run} " in text), "")

    def _project_levels(self, d: DocumentFacts) -> set[int]:
        found = self.project_levels.get(d.project_id)
        if found is None:
            found = self.project_levels[d.project_id] = _levels(d.project_name)
        return found

    def effect(self, d: DocumentFacts) -> tuple[float, list[str]]:
        """The multiplier for candidate ``d`` and the reasons (empty when nothing applies)."""
        if not self.active:
            return 1.0, []
        pq = self.pq
        mult = 1.0
        why: list[str] = []
        lower = d.name.lower()
        if self.where:
            share, where = self._where(d.project_id)
            mult *= share
            if where:
                why.append(where)
            site = self.site_named.get(d.project_id)
            if site:
                mult *= SITE_NAMED
                why.append(reason("site: " + site, "site_named"))
        if self.kinds:
            # The asked kind outweighs incidental words (on top of the family boost in documents.py).
            if d.doc_type in self.kinds:
                mult *= KIND_MATCH
                key = lower.encode().translate(None, _NOT_ALNUM_BYTES) if self.kind_keys else b""
                named = [p for p, k in self.kind_keys if k in key]
                if named:  # the name says the kind in the request's words ("RoomLayout", "Sales & PO Report")
                    mult *= KIND_NAMED
                    why.append(reason("named: " + named[0], "kind_named"))
            elif d.doc_type == "other" and any(RELATED_KINDS[k].search(d.name) for k in self.related):
                mult *= RELATED_MATCH
                why.append(reason("related: " + "/".join(sorted(self.related)), "related_kind"))
            elif self.said and (said := self._said_in(d.name, lower)):
                mult *= RELATED_MATCH
                why.append(reason("named: " + said, "kind_named"))
            else:
                mult *= KIND_OTHER
        if pq.level is not None and pq.level not in self._project_levels(d):
            # (a level in the project's own name, "Function Rm L1 Refurb", is where, not what)
            levels = _levels(d.name)
            if pq.level in levels:
                mult *= LEVEL_MATCH
                why.append(reason(f"level {pq.level}", "level_match"))
            elif levels:
                mult *= LEVEL_OTHER
        if pq.latest_change_order and d.change_order is not None:
            if self.latest_co.get(d.project_id) == d.change_order:
                mult *= LATEST_CO
                why.append(reason(f"latest CO{d.change_order}", "latest_co"))
            else:
                mult *= OLDER_CO
        if pq.wants_current and d.doc_type in self.kinds:
            if _OLD_COPY.search(d.project_rel_path):
                mult *= OLD_COPY
            elif d.is_current:
                mult *= CURRENT
                why.append(f"current {d.doc_type}")
                # Several series can each have a current copy ("… Upgrades Proposal" and "… & Lvl 1
                # Upgrades Proposal Rev5"): the highest revision of the project's is the latest.
                if d.revision is not None and self.top_revision.get((d.project_id, d.doc_type)) == d.revision:
                    mult *= TOP_REVISION
            else:
                mult *= OLDER
        if not self.wants_template and _TEMPLATE_HINTS.search(lower) and TEMPLATE_NAME.search(d.name):
            mult *= TEMPLATE
            why.append(_TEMPLATE_REASON)
        return mult, why
