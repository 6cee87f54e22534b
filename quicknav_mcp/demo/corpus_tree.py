"""Materialise a catalogue of relative document paths (``real_paths.txt``) as a real tree.

Each line becomes a small real file: ``.pdf``/``.docx``/``.rtf`` show the file's stem as
text, anything else holds the stem as plain text (``content=False``: empty files). Mtimes
are derived deterministically from the name: a date in the name (``03.04.2025``,
``13-03-25``, ``20240325``, ``31-Jan-2025``) or in a parent folder, else a date derived
from the project code; revisions (``Rev 102``, ``Rev 1.02``, ``[C1]``, ``(Rev_I)``,
``CO7``...), AS-BUILT and ``(1)`` duplicates push the time later, so newer revisions are
newer on disk too.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from .formats import render_file
from .plan_parts import NOW, epoch

__all__ = ["build_corpus_tree", "catalogue_mtime", "validate_catalogue_line"]

_MONTHS = {
    m: i
    for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)
}

_DMY = re.compile(r"(?<!\d)(\d{1,2})[._-](\d{1,2})[._-](\d{4}|\d{2})(?![\d])")
_D_MON_Y = re.compile(r"(?<!\d)(\d{1,2})[-_ ]([A-Za-z]{3})[-_ ](\d{4})(?!\d)")
_YMD = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")
_DMY_SCAN = re.compile(r"(?<!\d)(\d{2})(\d{2})(20\d{2})\d{6}(?!\d)")
_CODE = re.compile(r"^(\d{5})\b")

_REV_DECIMAL = re.compile(r"\brev[\s._-]*(\d)\.(\d{2})(?!\d)", re.IGNORECASE)
_REV_DESIGN = re.compile(r"(?:\b|(?<=-))rev[\s._-]*(\d{3})(?!\d)", re.IGNORECASE)
_REV_SMALL = re.compile(r"\brev[\s._]*(\d{1,2})(?![\d.])", re.IGNORECASE)
_REV_CONSULT = re.compile(r"_\(([A-Z])\)|\[([A-Z])(\d?)\]|\(Rev_([A-Z0-9]{1,2})\)|\bRev\.([A-Z]|\d{1,2})(?![\w])")
_CO = re.compile(r"(?:\bCO|Change[ +]Order[ +])(\d{1,3})(?!\d)", re.IGNORECASE)
_AS_BUILT = re.compile(r"\bas[\s-]?built\b", re.IGNORECASE)
_DRAFT = re.compile(r"\bdraft\b", re.IGNORECASE)
_DUPLICATE = re.compile(r"\((\d)\)\s*$")
_RESAVE = re.compile(r"(?:\s+-\s*|-|\s+V)(\d)\s*$")  # "... 13-03-25 - 1", "... V2"


def validate_catalogue_line(line: str) -> PurePosixPath:
    """The line as a safe relative POSIX path; ValueError for absolute paths or ``..``."""
    text = line.strip().replace("\\", "/")
    if not text:
        raise ValueError("empty catalogue line")
    if "\x00" in text:
        raise ValueError(f"NUL byte in catalogue line: {line!r}")
    if text.startswith("/") or re.match(r"^[A-Za-z]:", text):
        raise ValueError(f"absolute path in catalogue: {line!r}")
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if any(p == ".." for p in parts):
        raise ValueError(f"'..' in catalogue line: {line!r}")
    if not parts:
        raise ValueError(f"no path in catalogue line: {line!r}")
    return PurePosixPath(*parts)


def _valid_date(year: int, month: int, day: int) -> datetime | None:
    if year < 100:
        year += 2000
    try:
        d = datetime(year, month, day)
    except ValueError:
        return None
    return d if datetime(2000, 1, 1) <= d <= NOW else None


def _date_in(text: str) -> datetime | None:
    for m in _DMY.finditer(text):
        d = _valid_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if d:
            return d
    for m in _D_MON_Y.finditer(text):
        month = _MONTHS.get(m.group(2).lower())
        if month:
            d = _valid_date(int(m.group(3)), month, int(m.group(1)))
            if d:
                return d
    for m in _YMD.finditer(text):
        d = _valid_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            return d
    for m in _DMY_SCAN.finditer(text):
        d = _valid_date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
        if d:
            return d
    return None


def _code_date(parts: tuple[str, ...]) -> datetime:
    """A base date from the project code: higher codes are newer (17000 ~ mid 2022)."""
    for part in parts:
        m = _CODE.match(part)
        if m:
            code = int(m.group(1))
            return datetime(2022, 6, 1) + timedelta(days=(code - 17000) * 0.235)
    return datetime(2023, 1, 1)


def _revision_rank(stem: str) -> float:
    """An ordering number for whatever revision the name carries (0 if none)."""
    m = _REV_DECIMAL.search(stem)
    if m:
        value = int(m.group(1)) * 100 + int(m.group(2))
        return (value // 100 - 1) * 30 + value % 100 + 1
    m = _REV_DESIGN.search(stem)
    if m:
        value = int(m.group(1))
        return (value // 100 - 1) * 30 + value % 100 + 1
    m = _REV_CONSULT.search(stem)
    if m:
        letter = m.group(1) or m.group(2) or ""
        digit = m.group(3) or ""
        token = m.group(4) or m.group(5) or ""
        if letter:
            return (ord(letter) - 64) * 10 + (int(digit) if digit else 0)
        if token.isdigit():
            return int(token) + 1
        if token:
            return (ord(token[0].upper()) - 64) * 10 + (int(token[1:]) if token[1:].isdigit() else 0)
    m = _REV_SMALL.search(stem)
    if m:
        return int(m.group(1)) + 1
    m = _CO.search(stem)
    if m:
        return int(m.group(1)) + 1
    return 0.0


def catalogue_mtime(rel: PurePosixPath | str) -> int:
    """A deterministic, plausible mtime (epoch seconds) for a catalogue path."""
    path = PurePosixPath(rel) if not isinstance(rel, PurePosixPath) else rel
    stem = path.stem
    day = _date_in(stem)
    if day is None:
        for folder in reversed(path.parts[:-1]):
            day = _date_in(folder)
            if day:
                break
    dated = day is not None
    base = day if day is not None else _code_date(path.parts)
    rank = _revision_rank(stem)
    unit = timedelta(hours=1) if dated else timedelta(days=4)
    when = base + timedelta(hours=8) + unit * rank
    if _AS_BUILT.search(stem):
        when += unit * 0.5
    if _DRAFT.search(stem):
        when -= unit * 0.5
    for counter in (_DUPLICATE.search(stem), _RESAVE.search(stem)):
        if counter:
            when += timedelta(minutes=10 * int(counter.group(1)))
    if any("Customer Handover" in part for part in path.parts[:-1]):
        when += timedelta(hours=12)  # handover copies are made after the original
    jitter = zlib.crc32(str(path).encode("utf-8")) % 240  # < 4 min: never reorders revisions
    when = min(when, NOW - timedelta(hours=1)) + timedelta(seconds=jitter)
    return epoch(when)


def build_corpus_tree(catalogue: Path | Iterable[str], root: Path, *, content: bool = True) -> int:
    """Create every catalogue path under ``root`` as a real file; return the number of files.

    ``catalogue`` is a text file (one relative path per line) or an iterable of lines.
    Every line is validated first: an absolute line or one containing ``..`` raises
    ValueError before anything is written. Blank lines and ``#`` comments are skipped.
    """
    if isinstance(catalogue, (str, os.PathLike)):
        lines: Iterable[str] = Path(catalogue).read_text(encoding="utf-8").splitlines()
    else:
        lines = catalogue
    rels: dict[str, PurePosixPath] = {}
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        rel = validate_catalogue_line(line)
        rels.setdefault(str(rel), rel)
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    base = root.resolve()
    for rel in rels.values():
        target = base.joinpath(*rel.parts)
        if base not in target.parents:  # belt and braces after validation
            raise ValueError(f"catalogue path escapes root: {rel}")
        target.parent.mkdir(parents=True, exist_ok=True)
        data = render_file(rel.suffix, [], title=rel.stem) if content else b""
        target.write_bytes(data)
        mtime = catalogue_mtime(rel)
        os.utime(target, (mtime, mtime))
    return len(rels)
