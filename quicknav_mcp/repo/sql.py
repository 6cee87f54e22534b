"""Small SQL helpers shared by the repositories and the services above them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import Any, TypeVar

T = TypeVar("T")

# SQLite's default limit on host parameters is 32,766, but long IN lists plan and bind slowly;
# id lists are read in chunks of this many.
CHUNK = 900


def marks(n: int) -> str:
    """``?,?,?`` for ``n`` parameters (an ``IN (...)`` list)."""
    return ",".join("?" * n)


def like_pattern(value: str) -> str:
    """``%value%`` for ``LIKE ... ESCAPE '\\'``, with the value's own wildcards escaped."""
    return "%" + value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def json_list(raw: str | None) -> tuple[Any, ...]:
    """A JSON list column as a tuple; empty for NULL, ``[]`` (most rows: no parse) or bad JSON."""
    if not raw or raw == "[]":
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        return ()
    return tuple(value) if isinstance(value, list) else ()


def to_json_list(values: Iterable[Any]) -> str:
    """The stored form of a JSON list column."""
    return json.dumps(list(values))


def paging(limit: int, offset: int) -> tuple[str, tuple[int, int]]:
    """``LIMIT ? OFFSET ?`` and its parameters (both already validated by the caller)."""
    return " LIMIT ? OFFSET ?", (limit, offset)


_POSIX = isinstance(Path(), PurePosixPath)  # a Windows path joins with its own rules


def join_location(root: str, rel_path: str) -> str:
    """A row's location: a path under a folder root, or a URL under a ``scheme://`` root (OneDrive)."""
    if "://" in root:
        return f"{root.rstrip('/')}/{rel_path}" if rel_path else root
    joined = f"{root}/{rel_path}"
    # What Path gives, without its parsing (~20 µs a search hit): an absolute POSIX path with nothing to normalise.
    plain = _POSIX and root[:1] == "/" and rel_path and "//" not in joined and "/./" not in joined
    return joined if plain and not joined.endswith(("/", "/.")) else str(Path(root) / rel_path)


def in_chunks(ids: Iterable[T]) -> Iterator[list[T]]:
    """Distinct ``ids`` (first occurrence kept) in chunks of :data:`CHUNK`."""
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), CHUNK):
        yield unique[start : start + CHUNK]
