"""Checks of the search tools' arguments: each returns the clean value or raises
:class:`InvalidInput` with a message naming the argument."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InvalidInput
from ..validation import bounded_int, clean_text, project_code
from .query import FILTER_KEYS, ParsedQuery, normalise_filter

MODES = ("hybrid", "lexical", "semantic")
MAX_LIMIT = 100
MAX_OFFSET = 10_000
DOC_FILTER_KEYS = ("doc_type", "project", "ext", "phase", "status", "year", "client", "after", "before")
PROJECT_FILTER_KEYS = ("project", "client", "doc_type", "year")


def limit_arg(limit: object, hi: int = MAX_LIMIT) -> int:
    return bounded_int(limit, "limit", 1, hi)


def offset_arg(offset: object) -> int:
    return bounded_int(offset, "offset", 0, MAX_OFFSET)


def user_arg(user_id: object) -> str | None:
    if user_id is None:
        return None
    text = clean_text(user_id, "user_id", max_len=128, allow_empty=True)
    return text or None


def mode_arg(mode: object) -> str:
    if mode not in MODES:
        raise InvalidInput(f"mode must be one of {', '.join(MODES)}")
    return str(mode)


def flag_arg(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{name} must be true or false")
    return value


def project_arg(project_number: object) -> str | None:
    return project_code(project_number) if project_number not in (None, "") else None


def doc_type_arg(doc_type: object) -> str | None:
    if doc_type in (None, ""):
        return None
    from ..services.documents import normalise_doc_type

    return normalise_doc_type(doc_type)


def filters_arg(filters: object, allowed: Sequence[str]) -> dict[str, list[str]]:
    """``{"doc_type": "lld", "ext": ["pdf"]}`` -> normalised values per known key (aliases accepted)."""
    if filters is None:
        return {}
    if not isinstance(filters, dict):
        raise InvalidInput('filters must be an object like {"doc_type": "lld", "ext": ["pdf"]}')
    if len(filters) > 20:
        raise InvalidInput("too many filters (at most 20)")
    out: dict[str, list[str]] = {}
    for raw_key, raw in filters.items():
        key = FILTER_KEYS.get(str(raw_key).lower().strip(), str(raw_key).lower().strip())
        if key == "project_number":
            key = "project"
        if key not in allowed:
            raise InvalidInput(f"unknown filter {str(raw_key)[:30]!r}; use: {', '.join(allowed)}")
        if raw is None:
            continue
        values = raw if isinstance(raw, list) else [raw]
        if len(values) > 50:
            raise InvalidInput(f"filter {key} has too many values (at most 50)")
        texts = []
        for v in values:
            if isinstance(v, bool) or not isinstance(v, str | int):
                raise InvalidInput(f"filter {key} values must be text")
            texts.append(str(v))
        vals = normalise_filter(key, texts)
        if vals:
            out.setdefault(key, [])
            out[key] += [v for v in vals if v not in out[key]]
    return out


def project_filters(flt: dict[str, list[str]], pq: ParsedQuery) -> dict[str, list[str]]:
    """The filters of a project search with those typed in the query (``client:downer``) added."""
    for k, v in pq.filters.items():
        if k not in PROJECT_FILTER_KEYS:
            raise InvalidInput(f"filter {k}: does not apply to projects; use: {', '.join(PROJECT_FILTER_KEYS)}")
        flt.setdefault(k, [])
        flt[k] += [x for x in v if x not in flt[k]]
    return flt
