"""Validation of text that arrives from outside (tool arguments, resource URIs, HTTP bodies, CLI).

The rules for what a project reference is live here, once: :func:`fold_digits` is the one digit
normalisation, :func:`project_ref` the one classification of "a code or a search term".
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import InvalidInput

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACE = re.compile(r"\s+")
PROJECT_CODE = re.compile(r"^[0-9]{5}$")
_ASCII_NUMBER = re.compile(r"^[0-9]+$")
_DIGIT_RUN = re.compile(r"[0-9]+")
_WORD = re.compile(r"\w+")
MAX_TERM = 200
# A number alone is only worth searching folder names for when it is at least this long: "1" or "42"
# occurs somewhere in every firm, so a hit would be a guess.
MIN_NUMBER_DIGITS = 3
# Query-language words (SQL, FTS5): they never name a project, so they are not content.
OPERATOR_WORDS = frozenset({"and", "or", "not", "near"})
# Characters Windows forbids in file and folder names: a term holding one is query syntax
# (``col:*``, ``a|b``, ``<x>``), never a folder's name, so it cannot match one literally. The
# other forbidden ones are ordinary punctuation in what people type (``?``, ``"``, ``/``).
NAME_IMPOSSIBLE = frozenset(":*<>|")
_PROJECT_HINT = "a 5-digit project number like 17741, or words from the folder or client name"


def fold_digits(text: str) -> str:
    """``text`` with every Unicode decimal digit (full-width, Arabic-Indic, Devanagari, ...) as 0-9."""
    if text.isascii():
        return text
    # ``isdecimal`` is exactly the Nd category, for which ``unicodedata.decimal`` is defined.
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def strip_controls(text: str) -> str:
    """``text`` without control and zero-width characters, whitespace folded."""
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


def clean_text(value: object, field: str, *, max_len: int = MAX_TERM, allow_empty: bool = False) -> str:
    """Return ``value`` as normalised single-line text, or raise :class:`InvalidInput`.

    Control and zero-width characters are dropped, whitespace is folded, Unicode is NFKC and
    every decimal digit is 0-9.
    """
    if value is None:
        value = ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # assistants often send project numbers as JSON numbers
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text, got {_kind(value)}")
    if len(value) > max_len * 4:  # reject before doing work on a huge string
        raise InvalidInput(f"{field} is too long ({len(value)} characters; at most {max_len})")
    # NFKC folds full-width digits and letters (１７７４１ -> 17741) and ligatures to plain forms;
    # digits NFKC leaves alone (٢١٦١٤, २१६१४) are folded after it.
    text = fold_digits(unicodedata.normalize("NFKC", value))
    text = _SPACE.sub(" ", _CONTROL.sub("", text)).strip()
    if not text and not allow_empty:
        raise InvalidInput(f"{field} is empty")
    if len(text) > max_len:
        raise InvalidInput(f"{field} is too long ({len(text)} characters; at most {max_len})")
    return text


def project_code(value: object, field: str = "project_number") -> str:
    """A 5-digit project number, or :class:`InvalidInput` saying what is wrong."""
    text = clean_text(value, field, max_len=32)
    if not PROJECT_CODE.match(text):
        raise InvalidInput(f"{field} must be a 5-digit project number like 17741, got {text[:32]!r}")
    return text


@dataclass(frozen=True, slots=True)
class ProjectRef:
    """What a person gave to name a project: an exact code, or a search term."""

    text: str
    code: str | None = None
    has_letters: bool = False
    # False when the term holds query syntax no folder name can contain (see NAME_IMPOSSIBLE).
    literal: bool = True

    @property
    def numbers(self) -> list[str]:
        """The term's digit runs; each must match a whole number, never part of a longer one."""
        return _DIGIT_RUN.findall(self.text)


def project_ref(value: object, field: str = "project_number") -> ProjectRef:
    """Classify ``value`` as a 5-digit code or a search term, or raise :class:`InvalidInput`.

    A term needs content: a letter, or a number of at least :data:`MIN_NUMBER_DIGITS` digits,
    once query operators (``OR``, ``=``, ``*``, ...) are set aside. ``-1``, ``"1 OR 1=1"``
    and ``"*"`` are refused instead of being searched for.
    """
    if isinstance(value, bool):  # JSON true/false is not a project, and not the number 1
        raise InvalidInput(f"{field} must be {_PROJECT_HINT}, got {str(value).lower()}")
    text = clean_text(value, field)
    if PROJECT_CODE.match(text):
        return ProjectRef(text, code=text)
    words = [w for w in _WORD.findall(text) if w.lower() not in OPERATOR_WORDS]
    has_letters = any(ch.isalpha() for w in words for ch in w)
    longest = max((len(run) for w in words for run in _DIGIT_RUN.findall(w)), default=0)
    if not has_letters and longest == 0:
        raise InvalidInput(f"{field} {text[:40]!r} holds only operators and punctuation; give {_PROJECT_HINT}")
    if not has_letters and longest < MIN_NUMBER_DIGITS:
        raise InvalidInput(
            f"{field} {text[:40]!r} has no letters and no number of at least {MIN_NUMBER_DIGITS} digits; "
            f"give {_PROJECT_HINT}"
        )
    return ProjectRef(text, has_letters=has_letters, literal=NAME_IMPOSSIBLE.isdisjoint(text))


def whole_number(value: object, field: str, lo: int, hi: int) -> int:
    """A whole number written as text (a resource URI segment), within ``[lo, hi]``.

    Digits are normalised as in project numbers (``２`` and ``٢`` are 2); anything else, signs
    and decimal points included, is refused.
    """
    expected = f"{field} must be a whole number from {lo} to {hi}"
    text = clean_text(value, field, max_len=32, allow_empty=True)
    if not _ASCII_NUMBER.match(text) or len(text) > len(str(hi)):
        raise InvalidInput(f"{expected}, got {text[:20]!r}")
    number = int(text)
    if not lo <= number <= hi:
        raise InvalidInput(f"{expected}, got {number}")
    return number


def bounded_int(value: object, field: str, lo: int, hi: int) -> int:
    """An integer within ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number")
    if not lo <= value <= hi:
        raise InvalidInput(f"{field} must be between {lo} and {hi}, got {value}")
    return value


def closest_name(name: str, choices: Iterable[str]) -> str | None:
    """The choice ``name`` most likely meant: same letters in another case or separator
    style (``projectNumber``, ``project-number``), else a close spelling; ``None`` if none is close."""
    by_key = {_name_key(c): c for c in choices}
    key = _name_key(name)
    if key in by_key:
        return by_key[key]
    close = difflib.get_close_matches(key, list(by_key), n=1, cutoff=0.6)
    return by_key[close[0]] if close else None


def unknown_arguments(tool: str, given: Iterable[str], valid: Iterable[str]) -> str | None:
    """A message naming each argument of ``given`` that ``tool`` does not take, or ``None``."""
    names = list(valid)
    unknown = [str(g) for g in given if g not in names]
    if not unknown:
        return None
    takes = f"{tool} takes: {', '.join(names)}" if names else f"{tool} takes no arguments"
    guesses = [closest_name(arg, names) for arg in unknown]
    if len(unknown) == 1:
        hint = f"; did you mean {guesses[0]!r}?" if guesses[0] else ""
        return f"unknown argument {unknown[0][:40]!r}{hint} ({takes})"
    parts = [f"{a[:40]!r}" + (f" (did you mean {g!r}?)" if g else "") for a, g in zip(unknown, guesses, strict=True)]
    return f"unknown arguments {', '.join(parts)} ({takes})"


def _name_key(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.lower())


def _kind(value: object) -> str:
    return {bool: "a boolean", list: "a list", dict: "an object", float: "a decimal number"}.get(
        type(value), type(value).__name__
    )
