"""Names as people read them: other ways of writing the words of a request.

File names glue words (``ScopeOfWork``, ``HearingLoop``: one token ``scopeofwork`` to FTS5),
shorten them (``MR`` meeting room, ``TR`` training room, ``BR`` boardroom, ``HA`` hearing
augmentation, ``PO`` purchase order, ``SWMS``) and write levels as ``LEVEL 3``, ``Lvl 3`` or ``L3``.
A request may use any of these forms. :func:`candidates` lists, from the request alone, the other
forms of its words; :func:`widen` adds those the index holds to the full-text word groups (each
group is "any of these", groups are ANDed), so ``scope of work`` also matches ``ScopeOfWork`` and
``MR`` also matches ``meeting room``. A form of several words is an FTS5 phrase.
"""

from __future__ import annotations

import re

from .query import ParsedQuery
from .vocab import Vocabulary

_ABBREVIATIONS: dict[str, tuple[str, ...]] = {
    "mr": ("meeting room",),
    "mrs": ("meeting rooms",),
    "tr": ("training room",),
    "br": ("boardroom", "board room"),
    "ha": ("hearing augmentation",),
    "po": ("purchase order",),
    "pos": ("purchase orders",),
    "swms": ("safe work method statement",),
    "sow": ("scope of work", "scope of works"),
    "asbuilt": ("as built",),
    "pj": ("projector",),
    "gf": ("ground floor",),
    "gnd": ("ground",),
    "vc": ("video conference",),
    "av": ("audio visual", "audiovisual"),
    "conf": ("conference",),
    "ctr": ("centre",),
    "chmbr": ("chambers",),
    "reno": ("renovation",),
    "refurb": ("refurbishment",),
    "aud": ("auditorium",),
    "ops": ("operations",),
    "sim": ("simulation",),
    "inst": ("installation", "install"),
    "soc": ("security operations centre",),
    # Streets: requests and folder names shorten them, site addresses in documents' text do not.
    "st": ("street",),
    "rd": ("road",),
    "tce": ("terrace",),
    "ave": ("avenue",),
}
"""Short form -> long forms, as the firm writes them. Read both ways (see :data:`_LONG`)."""

_LONG: dict[tuple[str, ...], list[str]] = {}
for _short, _longs in _ABBREVIATIONS.items():
    for _long in _longs:
        _LONG.setdefault(tuple(_long.split()), []).append(_short)
        glued = _long.replace(" ", "")
        if glued != _short and " " in _long:
            _LONG[tuple(_long.split())].append(glued)
_LONGEST = max(len(k) for k in _LONG)
_JOINERS = frozenset({"of", "and"})
"""Small words glued names keep inside (``ScopeOfWork``, ``SalesAndMarketing``)."""
_LEVEL_WORD = re.compile(r"^(?:l|lv|lvl|level)(\d{1,2})$")


def candidates(pq: ParsedQuery) -> list[tuple[tuple[str, ...], str]]:
    """(terms a form stands for, the form) for every other way of writing the request's words.

    Forms are guesses: :func:`widen` keeps only those the index holds."""
    terms = pq.terms
    words = [w for w in pq.words if w in terms or w in _JOINERS] if pq.words else list(terms)
    out: list[tuple[tuple[str, ...], str]] = []
    n = len(words)
    for i in range(n):
        if words[i] not in terms:
            continue
        for j in range(i + 2, min(n, i + 4) + 1):
            run = words[i:j]
            if run[-1] not in terms:
                continue
            covered = tuple(w for w in run if w in terms)
            out.append((covered, "".join(run)))  # glued: ScopeOfWork, HearingLoop
            for short in _LONG.get(tuple(run), ()):
                out.append((covered, short))
        for short in _LONG.get((words[i],), ()):
            out.append(((words[i],), short))
        for long in _ABBREVIATIONS.get(words[i], ()):
            out.append(((words[i],), long))
    if pq.level is not None:
        out += _level_forms(terms, pq.level)
    return out


def _level_forms(terms: list[str], level: int) -> list[tuple[tuple[str, ...], str]]:
    """``level 3`` -> ``l3`` / ``lvl3`` / ``level3``; ``l3`` -> ``level 3`` / ``lvl 3`` (phrases).

    Two words get only the one-token forms: a phrase alternative on a word as common as "level"
    would make every such query read the positions of all of its postings."""
    n = str(level)
    for i, t in enumerate(terms):
        m = _LEVEL_WORD.match(t)
        if m and m.group(1).lstrip("0") == n.lstrip("0"):
            return [((t,), f) for f in (f"level {n}", f"lvl {n}", f"l{n}", f"lvl{n}", f"level{n}") if f != t]
        if t in ("level", "lvl", "lv", "l") and i + 1 < len(terms) and terms[i + 1].lstrip("0") == n.lstrip("0"):
            return [((t, terms[i + 1]), f) for f in (f"l{n}", f"lvl{n}", f"level{n}")]
    return []


def widen(groups: list[list[str]], pq: ParsedQuery, vocab: Vocabulary) -> list[list[str]]:
    """``groups`` (one per term of ``pq``) with the other forms of their words that the index
    holds, and for a word the index holds only rarely, the common word one slip away (noted in
    ``pq.notes``). Same length and order as ``pq.terms``; every term's forms are kept in
    ``pq.forms`` for the re-ranking (search/intent.py)."""
    if len(groups) != len(pq.terms) or not groups:
        return groups
    df = vocab.snapshot().df
    where = {t: i for i, t in enumerate(pq.terms)}
    out = [list(g) for g in groups]
    for covered, form in candidates(pq):
        if not all(w in df for w in form.split()):
            continue
        for t in covered:
            g = out[where[t]]
            if form not in g:
                g.append(form)
    for t, g in zip(pq.terms, out, strict=True):
        if t in df and len(g) == 1:
            fix = vocab.common_fix(t)
            if fix is not None:
                g.append(fix)
                pq.notes.append(f"also searched {fix!r} for {t!r}")
    pq.forms = {t: [f.rstrip("*") for f in g] for t, g in zip(pq.terms, out, strict=True)}
    return out


def spelled_out(text: str) -> str:
    """``text``'s words with short forms written in full (``Collab MR inst`` -> ``collab meeting room
    installation``, ``L2`` -> ``level 2``): a folder description as its documents would say it."""
    out: list[str] = []
    for word in re.findall(r"[^\W_]+", text.lower()):
        level = _LEVEL_WORD.match(word)
        if level:
            out.append(f"level {int(level.group(1))}")
        else:
            out.append(_ABBREVIATIONS.get(word, (word,))[0])
    return " ".join(out)
