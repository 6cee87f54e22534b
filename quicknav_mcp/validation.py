"""Validation of text that arrives from outside (tool arguments, HTTP bodies, CLI)."""

from __future__ import annotations

import re
import unicodedata

from .errors import InvalidInput

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028\u2029\ufeff]")
_SPACE = re.compile(r"\s+")
PROJECT_CODE = re.compile(r"^\d{5}$")
MAX_TERM = 200


def strip_controls(text: str) -> str:
    """``text`` without control and zero-width characters, whitespace folded."""
    return _SPACE.sub(" ", _CONTROL.sub("", text)).strip()


def clean_text(value: object, field: str, *, max_len: int = MAX_TERM, allow_empty: bool = False) -> str:
    """Return ``value`` as normalised single-line text, or raise :class:`InvalidInput`.

    Control and zero-width characters are dropped, whitespace is folded, Unicode is NFKC.
    """
    if value is None:
        value = ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # assistants often send project numbers as JSON numbers
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text, got {type(value).__name__}")
    if len(value) > max_len * 4:  # reject before doing work on a huge string
        raise InvalidInput(f"{field} is too long ({len(value)} characters; at most {max_len})")
    # NFKC folds full-width digits and letters (１７７４１ -> 17741) and ligatures to plain forms.
    text = unicodedata.normalize("NFKC", value)
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


def bounded_int(value: object, field: str, lo: int, hi: int) -> int:
    """An integer within ``[lo, hi]``."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(f"{field} must be a whole number")
    if not lo <= value <= hi:
        raise InvalidInput(f"{field} must be between {lo} and {hi}, got {value}")
    return value
