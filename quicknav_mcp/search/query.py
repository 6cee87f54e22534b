"""Query understanding: turn what a person typed into filters, boosts and plain words.

``21614 as built design`` -> project code 21614, family ``lld``, as-built boost, no plain words.
``PAVS20699 CO5`` -> code 20699 (glued), change order 5. ``room 12``/``R12`` -> room 12.
``rev 1.02`` -> revision 102. ``"hearing loop"`` -> a phrase. ``type:swms project:17741 ext:pdf
after:2024-01`` -> explicit filters. Everything else is a plain word. Rooms, change orders and
revisions are read with the domain's grammar (domain/grammar.py), which also lists the looser forms
only a query accepts (``rm 12``, ``vo 3``, ``co:5``).

Requests as assistants pass them on are read the same way, in three parts: what is asked for (a
family, ``the third change order``, ``the latest CO``, ``as-built``, recency words), where it is
(codes, and the plain words left: client, site, description, ``level 3``) and filler (``can you
pull up … on the … job``), which is dropped and reported. search/intent.py weighs the candidates
by these parts; search/alternatives.py widens the plain words to the other ways names write them.
A request longer than :data:`MAX_QUERY` is cut with a note rather than refused.

Nothing here touches the database and nothing of the user's text is ever passed to FTS5 raw:
:func:`match_expression` quotes every token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rapidfuzz.distance import OSA

from ..domain import DOC_TYPE_SYNONYMS, DOC_TYPES, extract_project_code
from ..domain.folders import PHASES
from ..domain.grammar import (
    CHANGE_ORDER_IN_QUERY,
    CHANGE_ORDER_LATEST_IN_QUERY,
    CHANGE_ORDER_NUMBER_WORD_IN_QUERY,
    CHANGE_ORDER_ORDINAL_IN_QUERY,
    GROUND_FLOOR,
    LEVEL_IN_QUERY,
    NUMBER_WORDS,
    ORDINAL_WORDS,
    REVISION_IN_QUERY,
    ROOM_IN_QUERY,
    ROOM_LETTER_IN_QUERY,
    WORD_BEFORE_CHANGE_ORDER,
    ordinal_value,
)
from ..domain.revisions import numbered_revision
from ..errors import InvalidInput
from ..validation import clean_text
from .text import ARCHIVE_WORDS, CURRENT_WORDS, FILLER, STOPWORDS, fts_quote, tokens

ORDINAL_FLOOR = re.compile(
    rf"\b(?:(\d{{1,2}})(?:st|nd|rd|th)|({'|'.join(ORDINAL_WORDS)}))\s+(?:floor|storey|story)\b", re.I
)
"""``third floor``, ``3rd storey``: a level said as an ordinal."""
MAX_QUERY = 1000
"""Characters of a request that are read; a longer one is cut (with a note), never refused."""
MAX_INPUT = MAX_QUERY * 4
"""Characters looked at before cutting (the cut never scans a huge string)."""
MAX_TERMS = 24
ASKING = frozenset(
    [
        "can",
        "could",
        "would",
        "find",
        "show",
        "get",
        "give",
        "open",
        "need",
        "want",
        "please",
        "where",
        "what",
        "which",
        "who",
        "how",
    ]
)
"""Stop words that make a request of only stop words a question with nothing to find ("can you
find it"), rather than words to search ("and or")."""

REQUEST_VERBS = frozenset(["sent", "came", "come", "received", "gave", "given", "made", "wrote", "provided"])
"""Verbs of a request that names the kind it wants ("the proposal we sent for …", "which supplier
quotes came in for …"): filler there; alone they stay words to search."""

# "what did we quote Neoen for …": the firm's own quote to its customer is the proposal; a
# "quote" alone stays the supplier's (doc_types.py).
_OUR_QUOTE = re.compile(r"\b(?:(?:did|have|had)\s+we\s+quoted?|we\s+quoted|our\s+quot(?:e|ation)s?)\b", re.I)

FILTER_KEYS = {
    "type": "doc_type",
    "doctype": "doc_type",
    "doc_type": "doc_type",
    "family": "doc_type",
    "project": "project",
    "code": "project",
    "ext": "ext",
    "extension": "ext",
    "after": "after",
    "since": "after",
    "before": "before",
    "phase": "phase",
    "status": "status",
    "year": "year",
    "client": "client",
}
"""Explicit ``key:value`` filters in query text and their canonical filter names."""

STATUS_VALUES = ("current", "superseded", "archive", "as_built", "draft")

_FILTER = re.compile(r"(?<![\w])([A-Za-z_]{2,9}):(\"[^\"]*\"|[^\s\"]+)")
_PHRASE = re.compile(r"\"([^\"]*)\"")
_CODE_CHUNK = re.compile(r"[^\s]+")
_PARTIAL_CODE = re.compile(r"^\d{3,4}$")
_DATE_ISO = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")
_DATE_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")

# Words people use for the families beyond the domain's synonyms (search-side only).
EXTRA_SYNONYMS: dict[str, str] = {
    "commissioning": "qa_itp",
    "commissioning report": "qa_itp",
    "test results": "qa_itp",
    "inspection": "qa_itp",
    "itp report": "qa_itp",
    "method statement": "swms",
    "safe work method statement": "swms",
    "safe work method statements": "swms",
    "scope of work": "scope",
    "statement of work": "scope",
    "safety statement": "swms",
    "quotation": "supplier_quotes",
    "quotations": "supplier_quotes",
    "supplier quotation": "supplier_quotes",
    "supplier quotations": "supplier_quotes",
    "propose": "proposal",
    "proposed": "proposal",
    "proposals": "proposal",
    "floor layout": "floor_plans",
    "room layout": "floor_plans",
    "handed over": "handover",
    "handover document": "handover",
    "variation order": "change_order",
    "bom": "sales_po",
    "sales and po report": "sales_po",
    "sales po reports": "sales_po",
    "sales and po reports": "sales_po",
    "lld drawing": "lld",
    "schematics": "hld",
}


def _synonym_tokens() -> dict[tuple[str, ...], str]:
    """Each family phrase's tokens -> its family (the first listed when two fold to the same
    tokens): one lookup a chunk of the request, where a scan of every phrase took ~20 µs a query."""
    out: dict[tuple[str, ...], str] = {}
    for key, family in {**EXTRA_SYNONYMS, **DOC_TYPE_SYNONYMS}.items():
        if tokens(key):
            out.setdefault(tuple(tokens(key)), family)
    return out


_SYNONYM_TOKENS = _synonym_tokens()
_AS_BUILT_TOKENS = {("as", "built"), ("asbuilt",), ("as", "builts")}
_PHASE_WORDS = {tuple(tokens(label)): key for key, label in PHASES.items()}


@dataclass
class ParsedQuery:
    """The understood query. ``terms`` are plain words (folded), never FTS syntax."""

    raw: str
    text: str
    terms: list[str] = field(default_factory=list)
    phrases: list[list[str]] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    partial_codes: list[str] = field(default_factory=list)
    doc_types: list[str] = field(default_factory=list)
    doc_type_words: list[str] = field(default_factory=list)
    kind_phrases: list[str] = field(default_factory=list)
    """The words that named each family, as written ("room layout", "sales po report")."""
    revision: int | None = None
    room: int | None = None
    change_order: int | None = None
    as_built: bool = False
    wants_current: bool = False
    wants_archive: bool = False
    filters: dict[str, list[str]] = field(default_factory=dict)
    semantic_text: str = ""
    stopwords: list[str] = field(default_factory=list)
    filler: list[str] = field(default_factory=list)
    """Conversational words dropped ("can you pull up … on the … job")."""
    level: int | None = None
    """The floor the request names (``level 3``, ``L3``, ``ground floor`` = 0); its words stay terms."""
    latest_change_order: bool = False
    """"the latest / last change order": the highest-numbered one of the project."""
    forms: dict[str, list[str]] = field(default_factory=dict)
    """Each term's forms searched for it (typo fixes, plurals, glued and short forms), once the
    search has looked them up (search/alternatives.py)."""
    words: list[str] = field(default_factory=list)
    """Every word left after codes, families and facts, in order, stop words included (for glued forms)."""
    notes: list[str] = field(default_factory=list)
    """What was done to the request itself (cut when too long, a number alone) for the answer."""

    @property
    def empty(self) -> bool:
        """Nothing to search for (filters may still select documents)."""
        return not (
            self.terms
            or self.phrases
            or self.codes
            or self.partial_codes
            or self.doc_types
            or self.revision is not None
            or self.room is not None
            or self.change_order is not None
            or self.as_built
            or self.latest_change_order
        )

    @property
    def all_words(self) -> list[str]:
        """Plain words and phrase words, in order, without duplicates."""
        seen: dict[str, None] = {}
        for t in self.terms:
            seen.setdefault(t, None)
        for p in self.phrases:
            for t in p:
                seen.setdefault(t, None)
        return list(seen)


def clean_query(value: object, *, allow_empty: bool = True) -> str:
    """Validated, single-line query text (control characters dropped, at most MAX_QUERY chars)."""
    return clean_text(value, "query", max_len=MAX_QUERY, allow_empty=allow_empty)


def cut_request(value: object, notes: list[str]) -> str:
    """The request's text, cut after :data:`MAX_QUERY` characters at a word boundary (with a note
    in ``notes``) instead of refused: assistants paste whole messages."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or len(value) <= MAX_QUERY:
        return clean_query(value)
    text = clean_text(value[:MAX_INPUT], "query", max_len=MAX_INPUT, allow_empty=True)
    if len(text) <= MAX_QUERY:
        return text
    cut = text[:MAX_QUERY]
    space = cut.rfind(" ")
    if space > MAX_QUERY // 2:
        cut = cut[:space]
    notes.append(f"request cut to its first {len(cut)} of {len(value)} characters")
    return cut.rstrip()


def _add(items: list, value) -> None:
    if value not in items:
        items.append(value)


def parse_date_value(value: str, *, end: bool = False) -> float:
    """``2024``, ``2024-03``, ``2024-03-05`` or day-first ``05/03/2024`` -> epoch seconds (UTC).

    ``end`` gives the end of the period (for ``before:2024`` meaning before 2025-01-01).
    """
    text = value.strip()
    m = _DATE_ISO.match(text)
    if m:
        year, month, day = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    else:
        m = _DATE_DMY.match(text)
        if not m:
            raise InvalidInput(f"date {value[:40]!r} not understood; use YYYY, YYYY-MM, YYYY-MM-DD or DD/MM/YYYY")
        day, month, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if year < 100:
            year += 2000
    if not 1900 <= year <= 2200:
        raise InvalidInput(f"year out of range in {value[:40]!r}")
    try:
        if not month:
            start = datetime(year + (1 if end else 0), 1, 1, tzinfo=UTC)
        elif not day:
            y, mth = (year + month // 12, month % 12 + 1) if end else (year, month)
            start = datetime(y, mth, 1, tzinfo=UTC)
        else:
            start = datetime(year, month, day, tzinfo=UTC)
            if end:
                start = start.replace(hour=23, minute=59, second=59)
    except ValueError as exc:
        raise InvalidInput(f"invalid date {value[:40]!r}: {exc}") from None
    return start.timestamp()


def normalise_filter(key: str, values: list[str]) -> list[str]:
    """Validate one explicit filter; values are returned in canonical form."""
    out: list[str] = []
    for raw in values:
        v = clean_text(raw, f"filter {key}", max_len=100).strip().strip('"').strip()
        if not v:
            continue
        low = v.lower()
        if key == "doc_type":
            canon = low if low in DOC_TYPES else DOC_TYPE_SYNONYMS.get(low.replace("_", " ").replace("-", " "))
            if canon is None:
                known = ", ".join(sorted(DOC_TYPES))
                raise InvalidInput(f"unknown document type {v!r} in filters; use one of: {known}")
            _add(out, canon)
        elif key == "project":
            code = extract_project_code(v)
            if code is None or len(re.sub(r"\D", "", v)) != 5:
                raise InvalidInput(f"project filter must be a 5-digit project number, got {v[:20]!r}")
            _add(out, code)
        elif key == "ext":
            ext = low.lstrip(".")
            if not re.fullmatch(r"[a-z0-9]{1,10}", ext):
                raise InvalidInput(f"ext filter must be a file extension like pdf, got {v[:20]!r}")
            _add(out, ext)
        elif key == "phase":
            words = tuple(tokens(low))
            canon = low if low in PHASES else _PHASE_WORDS.get(words)
            if canon is None:
                raise InvalidInput(f"unknown phase {v!r}; use one of: {', '.join(PHASES)}")
            _add(out, canon)
        elif key == "status":
            canon = low.replace("-", "_").replace(" ", "_")
            if canon in ("asbuilt", "as_built"):
                canon = "as_built"
            if canon in ("archived", "old"):
                canon = "archive"
            if canon not in STATUS_VALUES:
                raise InvalidInput(f"unknown status {v!r}; use one of: {', '.join(STATUS_VALUES)}")
            _add(out, canon)
        elif key == "year":
            if not re.fullmatch(r"(19|20|21)\d{2}", v):
                raise InvalidInput(f"year filter must be a 4-digit year, got {v[:20]!r}")
            _add(out, v)
        elif key in ("after", "before"):
            parse_date_value(v, end=key == "before")  # validates
            _add(out, v)
        elif key == "client":
            _add(out, v)
        else:  # pragma: no cover - keys come from FILTER_KEYS
            raise InvalidInput(f"unknown filter {key!r}")
    return out


def _take_filters(text: str, pq: ParsedQuery) -> str:
    def repl(m: re.Match[str]) -> str:
        key = FILTER_KEYS.get(m.group(1).lower())
        if key is None:
            return m.group(0)
        values = [x for x in m.group(2).strip('"').split(",") if x.strip()]
        for v in normalise_filter(key, values):
            _add(pq.filters.setdefault(key, []), v)
        return " "

    return _FILTER.sub(repl, text)


def _ordinal_slip(m: re.Match[str]) -> str:
    """``thrid change order`` -> ``third change order``: one slip in an ordinal word before a
    change-order keyword (the closest ordinal word, when only one is that close)."""
    word = m.group(1)
    if word.lower() in ORDINAL_WORDS or len(word) < 5:
        return m.group(0)
    close = [w for w in ORDINAL_WORDS if OSA.distance(word.lower(), w) <= 1]
    return m.group(0).replace(word, close[0], 1) if len(close) == 1 else m.group(0)


def _take_structured(text: str, pq: ParsedQuery) -> str:
    """Revisions, change orders and rooms, as the domain's grammar writes them (domain/grammar.py)."""

    def rev(m: re.Match[str]) -> str:
        pq.revision = numbered_revision(m.group(1), m.group(0)).value
        return " "

    def co(m: re.Match[str]) -> str:
        pq.change_order = int(m.group(1))
        _add(pq.doc_types, "change_order")
        return " "

    def room(m: re.Match[str]) -> str:
        pq.room = int(m.group(1))
        return " "

    def co_ordinal(m: re.Match[str]) -> str:
        pq.change_order = ordinal_value(m)
        _add(pq.doc_types, "change_order")
        return " "

    def co_word(m: re.Match[str]) -> str:
        pq.change_order = NUMBER_WORDS[m.group(1).lower()]
        _add(pq.doc_types, "change_order")
        return " "

    def co_latest(m: re.Match[str]) -> str:
        pq.latest_change_order = pq.wants_current = True
        _add(pq.doc_types, "change_order")
        return " "

    text = REVISION_IN_QUERY.sub(rev, text)
    text = CHANGE_ORDER_IN_QUERY.sub(co, text)
    text = WORD_BEFORE_CHANGE_ORDER.sub(_ordinal_slip, text)
    text = CHANGE_ORDER_ORDINAL_IN_QUERY.sub(co_ordinal, text)
    text = CHANGE_ORDER_NUMBER_WORD_IN_QUERY.sub(co_word, text)
    if pq.change_order is None:
        text = CHANGE_ORDER_LATEST_IN_QUERY.sub(co_latest, text)
    text = ROOM_IN_QUERY.sub(room, text)
    text = ROOM_LETTER_IN_QUERY.sub(room, text)
    # Levels keep their words (names write "LEVEL 3" and "L3"; alternatives.py widens them). A floor
    # said as an ordinal is that level ("the third floor" = LEVEL 3; the ground floor is level 0).
    text = ORDINAL_FLOOR.sub(lambda m: f" level {ordinal_value(m)} ", text)
    m = LEVEL_IN_QUERY.search(text)
    if m:
        pq.level = int(m.group(1))
    elif GROUND_FLOOR.search(text):
        pq.level = 0
    return text


def _take_codes(text: str, pq: ParsedQuery) -> str:
    out: list[str] = []
    for chunk in _CODE_CHUNK.findall(text):
        code = extract_project_code(chunk)
        if code is not None:
            _add(pq.codes, code)
            rest = chunk.replace(code, " ")
            # Letters glued to the code (PAVS20699) are the firm's prefix, not a search word.
            if any(ch.isdigit() for ch in rest):
                out.append(rest)
            continue
        out.append(chunk)
    return " ".join(out)


def _take_words(words: list[str], pq: ParsedQuery) -> list[str]:
    """Doc-type phrases (longest first) become families; the rest stay words."""
    kept: list[str] = []
    i = 0
    while i < len(words):
        matched = False
        for n in (4, 3, 2, 1):
            chunk = tuple(words[i : i + n])
            if len(chunk) < n:
                continue
            if chunk in _AS_BUILT_TOKENS:
                pq.as_built = True
                _add(pq.doc_types, "lld")
                pq.doc_type_words.extend(chunk)
                pq.kind_phrases.append(" ".join(chunk))
                i += n
                matched = True
                break
            family = _SYNONYM_TOKENS.get(chunk)
            if family is not None:
                _add(pq.doc_types, family)
                pq.doc_type_words.extend(chunk)
                pq.kind_phrases.append(" ".join(chunk))
                i += n
                matched = True
                break
        if not matched:
            kept.append(words[i])
            i += 1
    return kept


def parse_query(value: object) -> ParsedQuery:
    """Understand ``value``; raises :class:`InvalidInput` only for malformed explicit filters, a
    value that is not text, or a request of nothing but filler. An over-long request is cut (see
    ``notes``). Never returns FTS syntax: only folded alphanumeric tokens."""
    notes: list[str] = []
    text = cut_request(value, notes)
    pq = ParsedQuery(raw=str(value)[:MAX_QUERY], text=text, notes=notes)
    if not text:
        return pq
    rest = _take_filters(text, pq)
    rest = _OUR_QUOTE.sub(" proposal ", rest)
    # Quoted phrases (an unbalanced quote is just dropped).
    room = MAX_TERMS  # words of quoted phrases searched, all phrases together (bounded work)
    for m in _PHRASE.finditer(rest):
        words = tokens(m.group(1))
        if len(words) > 1:
            if room < 2:
                pq.notes.append(f"only the first {len(pq.phrases)} quoted phrases were searched")
                break
            pq.phrases.append(words[:room])
            room -= len(pq.phrases[-1])
        elif words:
            rest += " " + words[0]
    rest = _PHRASE.sub(" ", rest).replace('"', " ")
    rest = _take_structured(rest, pq)
    rest = _take_codes(rest, pq)
    words = tokens(rest)
    words = _take_words(words, pq)
    if pq.doc_types or pq.level is not None:
        # "the proposal we sent for …", "which quotes came in for …": asking, not where.
        pq.filler += [w for w in words if w in REQUEST_VERBS]
        words = [w for w in words if w not in REQUEST_VERBS]
    pq.words = words[: MAX_TERMS * 2]
    terms: list[str] = []
    for w in words:
        if w in CURRENT_WORDS:
            pq.wants_current = True
            if w == "last":
                pq.filler.append(w)
                continue
        if w in ARCHIVE_WORDS:
            pq.wants_archive = True
        if w in STOPWORDS:
            pq.stopwords.append(w)
            continue
        if w in FILLER:
            pq.filler.append(w)
            continue
        if _PARTIAL_CODE.match(w) and not pq.codes:
            _add(pq.partial_codes, w)
        if w not in terms:
            terms.append(w)
    if not terms and not pq.phrases and pq.empty and not pq.filters:
        if pq.filler or ASKING.intersection(pq.stopwords):
            said = " ".join(dict.fromkeys(pq.stopwords + pq.filler))[:80]
            raise InvalidInput(
                f"query is empty of search words: {said!r} only asks; "
                "name a project number, client, site, room or kind of document"
            )
        # Only stop words ("the file", "and or"): search them rather than nothing.
        terms = list(dict.fromkeys(pq.stopwords))
    if len(terms) > MAX_TERMS:
        pq.notes.append(f"only the first {MAX_TERMS} words were searched")
    pq.terms = terms[:MAX_TERMS]
    if terms and all(t.isdigit() for t in terms) and not (pq.codes or pq.partial_codes or pq.doc_types):
        pq.notes.append(
            f"{' '.join(terms[:3])!r} is only a number: project numbers have 5 digits (3-4 digits match inside "
            "them); say what it numbers, e.g. 'CO 4', 'rev 102', 'room 12'"
        )
    sem = [*pq.terms]
    for p in pq.phrases:
        sem.extend(p)
    if pq.doc_type_words:
        sem.extend(pq.doc_type_words)
    pq.semantic_text = " ".join(sem)[:500]
    return pq


def match_expression(groups: list[list[str]], phrases: list[list[str]], *, mode: str = "and") -> str | None:
    """An FTS5 MATCH expression from word groups (alternatives of one word) and phrases.

    Every token is quoted (see :func:`fts_quote`); a token ending in ``*`` in a group means a
    prefix query. ``mode`` is ``and`` (all groups must match) or ``or``.
    """
    parts: list[str] = []
    for group in groups:
        alts = []
        for tok in group:
            if tok.endswith("*"):
                core = tok[:-1]
                if core:
                    alts.append(fts_quote(core) + "*")
            elif tok:
                alts.append(fts_quote(tok))
        alts = list(dict.fromkeys(alts))
        if not alts:
            continue
        parts.append(alts[0] if len(alts) == 1 else "(" + " OR ".join(alts) + ")")
    for phrase in phrases:
        quoted = [fts_quote(t) for t in phrase if t]
        if quoted:
            parts.append(" + ".join(quoted) if len(quoted) > 1 else quoted[0])
    if not parts:
        return None
    joiner = " AND " if mode == "and" else " OR "
    return joiner.join(parts)
