"""What a query was understood to ask for, and did-you-mean suggestions when it found little."""

from __future__ import annotations

import re
from functools import lru_cache

from ..services.projects import ProjectService
from .models import QueryInterpretation
from .query import ParsedQuery
from .vocab import Vocabulary

MAX_SUGGESTIONS = 6


def interpretation(pq: ParsedQuery, corrections: dict[str, str]) -> QueryInterpretation:
    return QueryInterpretation(
        terms=pq.terms,
        phrases=[" ".join(p) for p in pq.phrases],
        project_codes=pq.codes,
        partial_codes=pq.partial_codes,
        doc_types=pq.doc_types,
        revision=pq.revision,
        room=pq.room,
        change_order=pq.change_order,
        as_built=pq.as_built,
        wants_current=pq.wants_current,
        level=pq.level,
        latest_change_order=pq.latest_change_order,
        filler=list(dict.fromkeys(pq.filler)),
        filters=pq.filters,
        corrections=corrections,
    )


@lru_cache(maxsize=512)
def _whole_word(word: str) -> re.Pattern[str]:
    # Compiled once per typo word (~0.1 ms each): did-you-mean runs on every request with a typo.
    return re.compile(rf"(?i)(?<![^\W_]){re.escape(word)}(?![^\W_])")


def replace_word(text: str, wrong: str, right: str) -> str:
    """``text`` with the first whole-word ``wrong`` (any case) replaced by ``right``."""
    return _whole_word(wrong).sub(right, text, count=1)


def did_you_mean(
    pq: ParsedQuery,
    corrections: dict[str, str],
    total: int,
    notes: list[str],
    vocab: Vocabulary,
    projects: ProjectService,
) -> list[str]:
    """Notes (``no project 99999``), the corrected query, and when few results: close projects
    and per-word fixes."""
    out: list[str] = [*pq.notes, *notes]
    if corrections:
        fixed = pq.text
        for wrong, right in corrections.items():
            fixed = replace_word(fixed, wrong, right)
        if fixed.lower() != pq.text.lower():
            out.append(f"did you mean: {fixed}")
    if total < 3 and pq.terms:
        if total == 0:
            for m in projects.search(" ".join(pq.terms), limit=3):
                out.append(f"project {m.project.name}")
        for term in pq.terms:
            if term not in corrections and term not in vocab.snapshot().df:
                for fix, _ in vocab.corrections(term, limit=1):
                    out.append(f"did you mean: {replace_word(pq.text, term, fix)}")
    return list(dict.fromkeys(out))[:MAX_SUGGESTIONS]
