"""Fuller client names found in a project's own document names (PLWRX -> Poolwerx)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from .models import ProjectFolder

_SEGMENTS = re.compile(r"\s+[-–]\s+|\s*_-_\s*")
_WORD = re.compile(r"[A-Za-z][A-Za-z&']+")
_GENERIC = frozenset(
    [
        "project",
        "projects",
        "report",
        "sales",
        "po",
        "change",
        "order",
        "orders",
        "rev",
        "revision",
        "design",
        "designs",
        "system",
        "systems",
        "drawing",
        "drawings",
        "floor",
        "plan",
        "plans",
        "room",
        "rooms",
        "level",
        "lvl",
        "upgrade",
        "upgrades",
        "proposal",
        "quote",
        "quotes",
        "purchase",
        "handover",
        "document",
        "documents",
        "customer",
        "standard",
        "support",
        "managed",
        "services",
        "as",
        "built",
        "asbuilt",
        "draft",
        "final",
        "signed",
        "original",
        "template",
        "office",
        "meeting",
        "training",
        "board",
        "boardroom",
        "fitout",
        "refurb",
        "refurbishment",
        "install",
        "installation",
        "renewal",
        "phase",
        "bulk",
        "schedule",
        "audit",
        "job",
        "status",
        "copy",
        "the",
        "and",
        "for",
        "with",
        "of",
        "to",
        "pro",
        "av",
        "solutions",
        "pavs",
        "new",
        "old",
        "main",
    ]
)


def _letters(text: str) -> str:
    return "".join(filter(str.isalpha, text.lower()))


def _is_abbreviation_of(abbr: str, words: str) -> bool:
    """Letters of ``abbr`` appear in order in ``words``, starting with the same letter."""
    return _spells(_letters(abbr), _letters(words))


def _spells(letters: str, text: str) -> bool:
    """:func:`_is_abbreviation_of` on the letters of both (an abbreviation's are found once per project)."""
    if len(letters) < 2 or not text or text[0] != letters[0] or len(text) <= len(letters):
        return False
    pos = 0
    for ch in letters:
        pos = text.find(ch, pos)
        if pos < 0:
            return False
        pos += 1
    return True


def _nice(variants: Counter[str]) -> str:
    mixed = [v for v, _ in variants.most_common() if not v.isupper()]
    return mixed[0] if mixed else variants.most_common(1)[0][0].title()


def _second_segment(text: str, code: str) -> str | None:
    """The segment after the one holding ``code`` when the name has three or more: "21614 - Poolwerx - ...".

    Segments are the non-empty parts between separators. Split into three pieces first: most names are told by
    those (fewer, or no code in the first); the rest is split again only to see that it holds a segment."""
    head = _SEGMENTS.split(text, 2)
    if len(head) < 3:  # fewer than three pieces, so fewer than three segments
        return None
    if (first := head[0].strip()) and (second := head[1].strip()):
        if code not in first or not any(p.strip() for p in _SEGMENTS.split(head[2])):
            return None
        return second
    parts = [p.strip() for p in _SEGMENTS.split(text) if p.strip()]
    return parts[1] if len(parts) >= 3 and code in parts[0] else None


def client_names_from_documents(folder: ProjectFolder, names: Iterable[str]) -> list[str]:
    """Client names in documents that are fuller than (or absent from) the folder name."""
    folder_l = folder.name.lower()
    code = folder.code
    abbr = folder.client or ""
    abbr_l = abbr.lower()
    seconds: Counter[str] = Counter()
    spellings: dict[str, Counter[str]] = {}
    found: dict[str, None] = {}
    # Whether a word may spell out the abbreviation: the same words recur in a project's names.
    spells_abbr: dict[str, bool] = {}
    letters = _letters(abbr) if abbr and " " not in abbr and "-" not in abbr else ""
    for name in names:
        stem = name.rsplit(".", 1)[0]
        text = stem.replace("_", " ")
        # The segment right after the code is where the firm writes the client: "21614 - Poolwerx - ...".
        second = _second_segment(text, code) if code in text else None
        if second is not None:
            words = _WORD.findall(second)
            if (
                1 <= len(words) <= 3
                and " ".join(words) == second
                and words[0].lower() != abbr_l
                and not all(w.lower() in _GENERIC for w in words)
            ):
                key = second.lower()
                seconds[key] += 1
                spellings.setdefault(key, Counter())[second] += 1
        if letters:
            for word in _WORD.findall(stem):
                hit = spells_abbr.get(word)
                if hit is None:
                    low = word.lower()
                    hit = spells_abbr[word] = (
                        low[0] == letters[0] and low not in _GENERIC and _spells(letters, _letters(word))
                    )
                if hit:
                    key = word.lower()
                    spellings.setdefault(key, Counter())[word] += 1
                    found.setdefault(key)
    for key, count in seconds.items():
        if count >= 2 or (abbr and _is_abbreviation_of(abbr, key)):
            found.setdefault(key)
    result: list[str] = []
    for key in found:
        if key in folder_l or key == abbr_l:
            continue
        result.append(_nice(spellings[key]))
    return result
